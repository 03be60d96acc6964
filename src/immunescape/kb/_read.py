"""Reading knowledge-base files: YAML to schema-checked records, with one-line errors.

A user file that cannot be read is an :class:`~immunescape.errors.InputError`, one that
breaks the schema a :class:`~immunescape.errors.SchemaError` (both exit code 2). The shipped
files are read through :func:`immunescape._resources.read_resource` and checked against
their ``.sha256`` sidecars, so a damaged installation raises
:class:`~immunescape.errors.ResourceError` (exit code 1) instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from immunescape._resources import REINSTALL, read_resource
from immunescape._yaml import YAMLError, safe_load
from immunescape.errors import InputError, ResourceError, SchemaError
from immunescape.kb.schema import KBFile

__all__ = [
    "read_kb_file",
    "kbfile_from_text",
    "parse_yaml",
    "read_user_text",
    "shipped_text",
    "validate_model",
    "PathLike",
    "FIX",
]

PathLike = str | Path
#: The fix named by every schema error.
FIX = "see docs/knowledge_base.md for the schema and 'immunescape kb show ID' for examples"
_SECTIONS = ("mechanisms", "countermeasures", "evidence", "links")
_M = TypeVar("_M", bound=BaseModel)


def shipped_text(name: str) -> str:
    """Return a shipped KB file (``kb/data/<name>``) as text, checked by its sha256 sidecar.

    Raises
    ------
    ResourceError
        The file or its sidecar is missing, the digest differs or the text is not UTF-8.

    Examples
    --------
    >>> shipped_text("kb.yaml").startswith("#")
    True
    """
    raw = read_resource("immunescape.kb", name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ResourceError(
            f"the shipped file immunescape.kb/data/{name} is not UTF-8; {REINSTALL}"
        ) from None


def _loc_text(loc: Sequence[Any], data: Any) -> str:
    """Render a pydantic error location with list indices and record ids."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            try:
                node = node[part]
                rid = node.get("id") if isinstance(node, Mapping) else None
                if rid is None and isinstance(node, Mapping) and "mechanism" in node:
                    rid = f"{node.get('mechanism')}->{node.get('countermeasure')}"
                if rid is not None and len(out.split(".")) == 1:
                    out += f" (id {rid!r})"
            except (IndexError, KeyError, TypeError):
                node = None
        else:
            out += ("." if out else "") + str(part)
            try:
                node = node[part] if isinstance(node, Mapping) else None
            except (KeyError, TypeError):
                node = None
    return out or "(top level)"


_TAGS = {"score", "discordance", "gene_events", "feature", "clinical", "group"}


def _drop_union_tags(loc: Sequence[Any]) -> list[Any]:
    """Drop the discriminator tag pydantic inserts after ``conditions[i]``."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        after_index = i >= 2 and loc[i - 2] == "conditions" and isinstance(loc[i - 1], int)
        if after_index and part in _TAGS:
            continue
        out.append(part)
    return out


def validate_model(model: type[_M], data: Any, source: str) -> _M:
    """Validate parsed YAML against a model; the first problem as one :class:`SchemaError`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt field shows up as "extra" plus "missing": report the typo first
        extra = [e for e in errors if e["type"] == "extra_forbidden"]
        err = extra[0] if extra else errors[0]
        loc = _drop_union_tags(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if extra:
            parent = tuple(err["loc"][:-1])
            missing = [
                str(e["loc"][-1])
                for e in errors
                if e["type"] == "missing" and tuple(e["loc"][:-1]) == parent
            ]
            close = difflib.get_close_matches(str(err["loc"][-1]), missing, n=1)
            if close:
                msg += f" (did you mean {close[0]!r}?)"
        more = f" (+{len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise SchemaError(
            f"field {_loc_text(loc, data)}: {msg}{more}", source=source, fix=FIX
        ) from None


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error or impossible value as one :class:`SchemaError`."""
    try:
        return safe_load(text)
    except YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise SchemaError(
            f"is not valid YAML ({first})", source=source, fix="fix the YAML syntax"
        ) from None
    except ValueError as exc:  # e.g. a date such as 2024-02-30 that the YAML loader rejects
        raise SchemaError(
            f"holds an impossible value ({exc})",
            source=source,
            fix="write dates as real calendar dates, YYYY-MM-DD",
        ) from None


def read_user_text(path: PathLike) -> tuple[str, str]:
    """Return a user file's text and its name; a missing or unreadable file is an InputError."""
    p = Path(path)
    if p.is_dir():
        raise InputError("is a directory, not a file", source=str(p),
                         fix="give a knowledge-base YAML file inside it")
    if not p.is_file():
        raise InputError("file not found", source=str(p), fix="check the path")
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot be read ({exc.__class__.__name__})", source=str(p), fix="give a UTF-8 YAML"
        ) from None


def kbfile_from_text(text: str, source: str) -> KBFile:
    """Parse and schema-check the text of one KB file."""
    data = parse_yaml(text, source)
    if data is None:
        raise SchemaError("is empty", source=source, fix="add mechanisms, evidence or links")
    if not isinstance(data, Mapping):
        raise SchemaError(
            f"must be a mapping with keys {', '.join(_SECTIONS)}, not a {type(data).__name__}",
            source=source,
            fix=FIX,
        )
    return validate_model(KBFile, data, source)


def read_kb_file(path: PathLike) -> KBFile:
    """Read and schema-check one KB YAML file (no cross-references).

    Parameters
    ----------
    path
        A YAML file with any of the sections ``mechanisms``, ``countermeasures``,
        ``evidence``, ``links`` (and ``phenotype``).

    Returns
    -------
    KBFile

    Raises
    ------
    InputError
        The file is missing or unreadable.
    SchemaError
        The file breaks the schema (one line: file, field, problem).
    """
    text, source = read_user_text(path)
    return kbfile_from_text(text, source)

