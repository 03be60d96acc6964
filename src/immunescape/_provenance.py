"""Provenance of a command's run: the versions and checksums of the shipped resources.

An application-layer module (it imports ``genes``, ``signatures`` and ``pathways``), so the
neutral writer :mod:`immunescape._output` receives these versions instead of collecting them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["resource_versions"]


def resource_versions() -> dict[str, Any]:
    """Versions and checksums of every vendored resource, for run.json."""
    out: dict[str, Any] = {}
    try:
        from immunescape.genes import gene_table_info

        out["gene_table"] = gene_table_info()
    except ImportError:  # pragma: no cover
        out["gene_table"] = None
    from immunescape.signatures.registry import load_registry

    reg = load_registry()
    out["signature_registry"] = {"version": reg.version, "files": reg.files}
    try:
        from immunescape.pathways.progeny import progeny_manifest

        out["progeny"] = progeny_manifest()
    except ImportError:  # pragma: no cover
        out["progeny"] = None
    return out
