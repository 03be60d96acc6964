"""Writing an output directory atomically, with its run.json."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunescape._paths import RUN_JSON, check_output_dir, list_files, protect_inputs
from immunescape._version import __version__
from immunescape.errors import InputError
from immunescape.tables import write_tsv

__all__ = ["write_outputs", "check_output_dir", "protect_inputs", "to_jsonable"]



def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and containers into plain JSON types."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, float) and np.isnan(obj):
        return None
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_outputs(
    outdir: str | Path,
    *,
    tables: Mapping[str, pd.DataFrame],
    documents: Mapping[str, Any] | None = None,
    texts: Mapping[str, str] | None = None,
    writers: Sequence[Callable[[Path], Any]] = (),
    run: Mapping[str, Any],
    resources: Mapping[str, Any] | None = None,
) -> Path:
    """Write tables (TSV), JSON documents and run.json into ``outdir`` atomically.

    Everything is written into a temporary sibling directory first and renamed into place
    at the end, so a failed run never leaves a partial output directory. run.json lists the
    files written (``files_written``). An existing output directory is replaced only if it
    holds a previous immunescape run (a run.json written by immunescape), none of the inputs
    and nothing but the files that run.json lists (see :func:`check_output_dir`): a file or
    folder the user added is never deleted.

    Parameters
    ----------
    outdir
        The output directory.
    tables
        File name -> DataFrame; written by :func:`immunescape.tables.write_tsv`.
    documents
        File name -> JSON-serialisable object.
    texts
        File name -> text (e.g. report.html).
    writers
        Callables that write further files (e.g. figures) into the (temporary) directory.
    run
        Contents of run.json; the software version is added.
    resources
        Versions and checksums of the shipped resources used (the command-line interface
        passes :func:`immunescape._provenance.resource_versions`), written after ``run``.

    Returns
    -------
    pathlib.Path
        The output directory.
    """
    out = Path(outdir)
    check_output_dir(out)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise InputError(f"cannot write here ({exc.strerror or exc})", source=str(out),
                         fix="choose -o in a directory you can write to") from None
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; give it a normal directory's mode
    try:
        for name, df in tables.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            write_tsv(df, tmp / name)
        for name, doc in (documents or {}).items():
            (tmp / name).write_text(
                json.dumps(to_jsonable(doc), indent=2, sort_keys=False) + "\n", encoding="utf-8"
            )
        for name, text in (texts or {}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")
        for write in writers:
            write(tmp)
        run_doc = {
            "software": {"name": "immunescape", "version": __version__},
            "python": sys.version.split()[0],
            **dict(run),
            **({"resources": dict(resources)} if resources is not None else {}),
            # what a later run may replace: nothing else in this directory is ever deleted
            "files_written": [f for f in list_files(tmp) if f != RUN_JSON],
        }
        (tmp / RUN_JSON).write_text(
            json.dumps(to_jsonable(run_doc), indent=2) + "\n", encoding="utf-8"
        )
        check_output_dir(out)  # again: nothing of the user's may have arrived meanwhile
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.rename(out, old / out.name)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
