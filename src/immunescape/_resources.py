"""The one loader of data files shipped inside the package (checked against their sha256).

Every vendored table, model or reference lives in a ``data/`` folder of its subpackage, next
to a ``<file>.sha256`` sidecar in ``sha256sum`` format (``<hex digest>  <file name>``) written
by the script that built it. :func:`read_resource` verifies the digest on every read, so an
edited, truncated or missing file is refused instead of used; the only exception it raises is
:class:`~immunescape.errors.ResourceError`, which the command-line interface reports with exit
code 1 and a request to reinstall (the user's input is not at fault).
"""

from __future__ import annotations

import hashlib
from importlib import resources

from immunescape.errors import ResourceError

__all__ = ["read_resource", "resource_sha256", "REINSTALL"]

#: What to do about a broken shipped file; appended to every :class:`ResourceError`.
REINSTALL = "reinstall the package (pip install --force-reinstall immunescape)"


def _read(package: str, name: str) -> bytes:
    try:
        return resources.files(package).joinpath("data", name).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ResourceError(
            f"the shipped file {package}/data/{name} is missing; {REINSTALL}"
        ) from None


def resource_sha256(package: str, name: str) -> str:
    """Return the expected sha256 of a shipped file, read from its ``.sha256`` sidecar.

    Parameters
    ----------
    package
        The subpackage holding the ``data/`` folder, e.g. ``"immunescape.genes"``.
    name
        The file name inside ``data/``.

    Returns
    -------
    str
        The 64-character hexadecimal digest.

    Examples
    --------
    >>> len(resource_sha256("immunescape.genes", "hs_genes.tsv.gz"))
    64
    """
    text = _read(package, f"{name}.sha256").decode("ascii", errors="replace").split()
    if not text or len(text[0]) != 64:
        raise ResourceError(f"the checksum file of {package}/data/{name} is malformed; {REINSTALL}")
    return text[0].lower()


def read_resource(package: str, name: str) -> bytes:
    """Return a shipped file's bytes, after checking them against its sha256 sidecar.

    Parameters
    ----------
    package
        The subpackage holding the ``data/`` folder, e.g. ``"immunescape.genes"``.
    name
        The file name inside ``data/``.

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    ResourceError
        The file or its sidecar is missing, or the digest differs.

    Examples
    --------
    >>> read_resource("immunescape.genes", "hs_genes.tsv.gz")[:2].hex()  # gzip magic
    '1f8b'
    """
    raw = _read(package, name)
    expected = resource_sha256(package, name)
    found = hashlib.sha256(raw).hexdigest()
    if found != expected:
        raise ResourceError(
            f"the shipped file {package}/data/{name} is corrupt (sha256 {found[:12]}..., "
            f"expected {expected[:12]}...); {REINSTALL}"
        )
    return raw
