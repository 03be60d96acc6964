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

__all__ = ["RUN_JSON", "check_output_dir", "list_files", "protect_inputs"]

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


def _immunescape_run(outdir: Path) -> dict[str, object] | None:
    """Return the run.json of an earlier immunescape output directory (None if none)."""
    try:
        doc = json.loads((outdir / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or (doc.get("software") or {}).get("name") != "immunescape":
        return None
    return doc


def list_files(folder: str | Path) -> list[str]:
    """Every file (and empty folder, as ``name/``) under ``folder``, as sorted relative paths.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "figures").mkdir(); _ = (d / "figures" / "a.svg").write_text("x")
    >>> _ = (d / "scores.tsv").write_text("x")
    >>> (d / "empty").mkdir()
    >>> list_files(d)
    ['empty/', 'figures/a.svg', 'scores.tsv']
    """
    root = Path(folder)
    files = []
    for p in root.rglob("*"):
        if p.is_symlink() or not p.is_dir():
            files.append(p.relative_to(root).as_posix())
        elif not any(p.iterdir()):
            files.append(p.relative_to(root).as_posix() + "/")
    return sorted(files)


def _foreign(folder: Path, written: set[str], prefix: str = "") -> list[str]:
    """Entries under ``folder`` that are not among the ``written`` files (or their folders).

    A foreign directory is named once (``plots/``), not file by file.
    """
    found: list[str] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        rel = f"{prefix}{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            if any(w.startswith(rel + "/") for w in written):
                found += _foreign(Path(entry.path), written, rel + "/")
            else:
                found.append(rel + "/")
        elif rel not in written:
            found.append(rel)
    return found


def _check_replaceable(out: Path) -> None:
    """Refuse to replace a non-empty directory holding anything immunescape did not write.

    An earlier output may be replaced only if every entry in it is a file its run.json lists
    under ``files_written`` (or run.json itself): the user's notes or plots put there are
    never deleted.
    """
    doc = _immunescape_run(out)
    if doc is None:
        raise InputError(
            "output directory exists, is not empty and was not written by immunescape",
            source=str(out),
            fix="choose a new or empty directory with -o",
        )
    written = doc.get("files_written")
    if not isinstance(written, list):
        raise InputError(
            "output directory was written by an immunescape version that did not list its "
            "files in run.json, so files of yours in it cannot be told apart and would be "
            "deleted",
            source=str(out),
            fix="choose a new or empty directory with -o (or empty this one yourself)",
        )
    foreign = _foreign(out, {str(w) for w in written} | {RUN_JSON})
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5
                                          else "")
        one = len(foreign) == 1
        raise InputError(
            f"output directory holds {len(foreign)} entr{'y' if one else 'ies'} immunescape "
            f"did not write ({shown}); replacing the directory would delete "
            f"{'it' if one else 'them'}",
            source=str(out),
            fix="choose a new or empty directory with -o, or move those files out",
        )


def check_output_dir(outdir: str | Path, *, inputs: Sequence[str | Path] = ()) -> None:
    """Refuse an output directory that could destroy anything the user did not ask to replace.

    Allowed: a new path, an empty directory, or an earlier immunescape output directory (its
    ``run.json`` says so) that holds none of the inputs and nothing but the files its
    ``run.json`` lists under ``files_written``. Refused (:class:`InputError`): an existing
    file, a non-empty directory that immunescape did not write, an earlier output holding
    anything else (a file or folder the user added), a directory that is or contains one of
    ``inputs`` (or of the paths registered by
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
        if any(out.iterdir()):
            _check_replaceable(out)
    parent = resolved.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        what = f" ({str(existing)!r} is a file)" if existing is not None else ""
        raise InputError(f"cannot create the output directory's parent{what}", source=str(out),
                         fix="choose -o under an existing directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(
            f"no permission to write in {str(existing)!r}",
            source=str(out),
            fix="choose -o in a directory you can write to",
        )
