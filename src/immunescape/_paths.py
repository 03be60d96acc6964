"""Where outputs may go: inputs are never replaced, foreign directories never overwritten.

Kept free of numpy and pandas so that the command line can register its inputs at start-up
without importing the scientific stack.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from immunescape.errors import InputError

__all__ = ["RUN_JSON", "check_output_dir", "protect_inputs"]

RUN_JSON = "run.json"

_PROTECTED: list[Path] = []


def protect_inputs(paths: Sequence[str | Path]) -> None:
    """Register the user's input paths: no output directory may hold or replace one of them.

    The command line registers every existing path among its arguments before a command
    runs, so every command's :func:`write_outputs` refuses an ``-o`` that is, or contains,
    an input (rather than replacing it).
    """
    _PROTECTED.clear()
    for p in paths:
        try:
            _PROTECTED.append(Path(p).resolve())
        except (OSError, RuntimeError):  # pragma: no cover - unresolvable: nothing to protect
            continue


def _is_immunescape_output(outdir: Path) -> bool:
    try:
        doc = json.loads((outdir / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and (doc.get("software") or {}).get("name") == "immunescape"


def check_output_dir(outdir: str | Path, *, inputs: Sequence[str | Path] = ()) -> None:
    """Refuse an output directory that could destroy anything the user did not ask to replace.

    Allowed: a new path, an empty directory, or an earlier immunescape output directory (its
    ``run.json`` says so) that holds none of the inputs. Refused (:class:`InputError`): an
    existing file, a non-empty directory that immunescape did not write, a directory that
    is or contains one of ``inputs`` (or of the paths registered by
    :func:`protect_inputs`), and a parent that cannot be created or written.
    """
    out = Path(outdir)
    resolved = out.resolve()
    for given in [*(Path(p).resolve() for p in inputs), *_PROTECTED]:
        if given == resolved or resolved in given.parents:
            raise InputError(
                f"the output directory holds the input {str(given)!r}; writing there would "
                "replace it",
                source=str(out),
                fix="choose an output directory (-o) that is not, and does not contain, an input",
            )
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise InputError(
                "exists and is not a directory", source=str(out), fix="choose another -o"
            )
        if any(out.iterdir()) and not _is_immunescape_output(out):
            raise InputError(
                "output directory exists, is not empty and was not written by immunescape",
                source=str(out),
                fix="choose a new or empty directory with -o",
            )
    parent = resolved.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise InputError("cannot create the output directory's parent", source=str(out),
                         fix="choose -o under an existing directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(
            f"no permission to write in {str(existing)!r}",
            source=str(out),
            fix="choose -o in a directory you can write to",
        )
