"""Cohort overview: software, command, inputs, counts, resources, gene coverage, warnings."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

import pandas as pd

from immunescape._version import __version__
from immunescape.report._builder import Builder
from immunescape.report._format import flatten, fmt_num, text, truncate
from immunescape.report._model import Cell, Column, Table

__all__ = ["overview"]


def overview(b: Builder) -> dict[str, Any]:
    """Build the overview: inputs, sample counts, resources, gene coverage, warnings."""
    run = b.run
    sw: Mapping[str, Any] = run.get("software") or {}
    if not isinstance(sw, Mapping):
        sw = {}
    if not sw.get("version"):  # run.json before write_outputs added it
        sw = {"name": "immunescape", "version": __version__}
    command = run.get("command")
    if isinstance(command, list | tuple):
        command = shlex.join(str(c) for c in command)
    counts: list[tuple[str, str]] = []
    if "scores" in b.t:
        n_feat = b.t["scores"].shape[1] - 1
        counts.append(("Samples scored", f"{len(b.t['scores'])} ({n_feat} features)"))
    if b.patients:
        counts.append(("Patients with per-patient results", str(len(b.patients))))
    if "mechanisms" in b.t:
        counts.append(
            ("Mechanisms assessed", str(b.t["mechanisms"]["mechanism_id"].nunique()))
        )
    if b.response:
        vals = list(b.response.values())
        counts.append(
            (
                "Clinical response",
                f"{vals.count('R')} responders, {vals.count('NR')} non-responders, "
                f"{vals.count('unknown')} unknown",
            )
        )
    inputs = run.get("input", run.get("inputs"))
    input_rows = _input_groups(inputs) if isinstance(inputs, Mapping) else []
    params = run.get("parameters")
    param_rows = flatten(params, depth=3) if isinstance(params, Mapping) else []
    resources = []
    res = run.get("resources")
    if isinstance(res, Mapping):
        for name, v in res.items():
            if isinstance(v, Mapping):
                version = v.get("version") or v.get("source_version") or ""
                checksum = v.get("sha256") or ""
                source = v.get("source") or v.get("source_package") or ""
            else:
                version, checksum, source = ("–" if v is None else v), "", ""
            resources.append((str(name), text(version), text(checksum)[:10], text(source)))
    warnings = [_warning_text(w) for w in run.get("warnings") or []]
    return {
        "software": f"{sw.get('name', 'immunescape')} {sw.get('version', '')}".strip(),
        "python": text(run.get("python")),
        "command": text(command),
        "counts": counts,
        "inputs": input_rows,
        "parameters": param_rows,
        "resources": resources,
        "warnings": warnings,
        "run_json": json.dumps(run, indent=2, default=str, ensure_ascii=False) if run else "",
        "coverage": _coverage(b),
        "ignored": b.ignored,
    }

def _warning_text(w: Any) -> str:
    if isinstance(w, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in w.items())
    return str(w)

def _coverage(b: Builder) -> dict[str, Any] | None:
    if "features" not in b.t:
        return None
    f = b.t["features"].copy()
    total = pd.to_numeric(f.get("genes_total"), errors="coerce") if "genes_total" in f else None
    found = pd.to_numeric(f.get("genes_found"), errors="coerce") if "genes_found" in f else None
    frac = (found / total.where(total > 0)) if total is not None and found is not None else None
    if frac is not None:
        f = f.assign(_frac=frac).sort_values("_frac", kind="stable", na_position="last")
    cols = [
        Column("feature"),
        Column("name"),
        Column("kind"),
        Column("method"),
        Column("scope"),
        Column("direction"),
        Column("genes found", numeric=True),
        Column("coverage", numeric=True),
        Column("status"),
        Column("missing genes"),
    ]
    rows = []
    for r in f.to_dict("records"):
        fr = r.get("_frac")
        has_frac = fr is not None and not pd.isna(fr)
        status = text(r.get("status"))
        rows.append(
            [
                Cell(r["id"]),
                Cell(text(r.get("name"))),
                Cell(text(r.get("kind"))),
                Cell(text(r.get("method"))),
                Cell(text(r.get("scope"))),
                Cell(text(r.get("direction"))),
                Cell(
                    f"{fmt_num(r.get('genes_found'))} / {fmt_num(r.get('genes_total'))}",
                    sort=float(fr) if has_frac else None,
                    kind="num",
                ),
                Cell(
                    f"{100 * fr:.0f}%" if has_frac else "–",
                    sort=float(fr) if has_frac else None,
                    kind="bar",
                    value=float(fr) if has_frac else None,
                ),
                Cell(
                    status,
                    kind="badge",
                    cls="ok" if status == "scored" else ("warn" if status else None),
                ),
                Cell(
                    truncate(text(r.get("missing_genes")), 120),
                    title=text(r.get("missing_genes")) or None,
                ),
            ]
        )
    n = len(f)
    summary = f"{n} features"
    if "status" in f:
        n_ok = int((f["status"].astype(str) == "scored").sum())
        summary = f"{n_ok} of {n} features scored"
        not_ok = f.loc[f["status"].astype(str) != "scored", "id"].tolist()
        if not_ok:
            summary += f"; not scored: {', '.join(not_ok[:15])}"
            summary += f" and {len(not_ok) - 15} more" if len(not_ok) > 15 else ""
    return {
        "summary": summary,
        "table": Table(cols, rows, scroll=n > 15, table_id="coverage-table"),
    }


_MAIN_INPUT_KEYS = (
    "file",
    "path",
    "files",
    "format",
    "unit",
    "n_samples",
    "n_genes",
    "n_variants",
    "n_patients",
    "n_rows",
    "genes_in",
    "conversions",
)


def _input_groups(inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per input: its main facts (file, unit, counts) and every other field."""
    groups = []
    for name, value in inputs.items():
        if isinstance(value, Mapping):
            main = [(k, v) for k, v in flatten(value, depth=1) if k in _MAIN_INPUT_KEYS]
            rest = [(k, v) for k, v in flatten(value, depth=3) if k not in _MAIN_INPUT_KEYS]
        else:
            main, rest = [("", flatten(value, depth=0)[0][1])], []
        groups.append({"name": str(name), "main": main, "rest": rest})
    return groups
