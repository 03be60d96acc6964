"""Patient index, countermeasure summary and one page per patient."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from immunescape.kb.vocabulary import LEVEL_ORDER, level_texts
from immunescape.report._builder import STATUS_ORDER, Builder, num_cell, show, to_float
from immunescape.report._format import citation_ids, fmt_num, is_missing, text
from immunescape.report._model import Cell, Column, Table

__all__ = ["patients"]

#: Patient pages start expanded up to this many patients.
OPEN_PATIENTS = 12
_EXTRA_PER_SAMPLE = {"hla": "HLA class I", "scna": "copy-number burden"}
#: Order of genomic events on a patient page (biallelic first, then these events).
_EVENT_PRIORITY = {
    "truncating": 0,
    "deep_deletion": 1,
    "hotspot_activating": 2,
    "amplification": 3,
    "loh": 4,
}


def _split_ids(value: Any) -> list[str]:
    return [t for t in re.split(r"[;,|\s]+", text(value)) if t]


def patients(b: Builder) -> dict[str, Any] | None:
    """Patient index and one page per patient."""
    if not b.patients:
        return None
    mech = b.by_sample("mechanisms")
    recs = b.by_sample("recommendations")
    pheno = b.by_sample("phenotypes")
    preds = b.by_sample("predictions")
    drivers = b.by_sample("drivers")
    events = {} if b.large else b.by_sample("genomic_events")
    tmb = b.by_sample("tmb")
    extra = {label: b.by_sample(key) for key, label in _EXTRA_PER_SAMPLE.items()}
    models = (
        list(dict.fromkeys(b.t["predictions"]["model"])) if "predictions" in b.t else []
    )
    pages = []
    index_rows = []
    for s in b.patients:
        page = _patient(
            b,
            s,
            mech=mech.get(s, []),
            recs=recs.get(s, []),
            pheno=pheno.get(s, []),
            preds=preds.get(s, []),
            drivers=drivers.get(s, []),
            events=events.get(s),
            tmb=tmb.get(s, []),
        )
        page["extra"] = [
            (label, [(k, show(v)) for k, v in rows[s][0].items() if k != "sample_id"])
            for label, rows in extra.items()
            if s in rows
        ]
        pages.append(page)
        row = [Cell(s, kind="link", href=f"#{page['anchor']}")]
        if b.response:
            row.append(Cell(page["response"]))
        if "phenotypes" in b.t:
            row.append(Cell(page["phenotype"] or "–"))
        if "mechanisms" in b.t:
            row.append(Cell(str(page["n_present"]), sort=page["n_present"], kind="num"))
            row.append(
                Cell(str(page["n_indeterminate"]), sort=page["n_indeterminate"], kind="num")
            )
            row.append(
                Cell(
                    ", ".join(
                        m["name"] for m in page["mechanisms"] if m["status"] == "present"
                    )[:160]
                )
            )
        if "recommendations" in b.t:
            top = page["recommendations"][0] if page["recommendations"] else None
            row.append(Cell(f"{top['countermeasure']} ({top['level'] or '–'})" if top else "–"))
        prob = {p["model"]: p["probability"] for p in page["predictions"]}
        row += [num_cell(prob.get(m), digits=2) for m in models[:3]]
        index_rows.append(row)
    cols = [Column("patient")]
    cols += [Column("response")] if b.response else []
    cols += [Column("phenotype")] if "phenotypes" in b.t else []
    if "mechanisms" in b.t:
        cols += [
            Column("present", True),
            Column("indeterminate", True),
            Column("mechanisms present"),
        ]
    cols += [Column("top countermeasure (level)")] if "recommendations" in b.t else []
    cols += [Column(f"P(response) {m}", True) for m in models[:3]]
    return {
        "index": Table(cols, index_rows, scroll=len(index_rows) > 20, table_id="patient-index"),
        "pages": pages,
        "open": len(pages) <= OPEN_PATIENTS,
        "large": b.large,
        "has_recommendations": "recommendations" in b.t,
        "countermeasures": _countermeasure_summary(b),
        "levels": level_texts(),
    }

def _countermeasure_summary(b: Builder) -> Table | None:
    if "recommendations" not in b.t:
        return None
    rec = b.t["recommendations"]
    rows = []
    key = "countermeasure_id" if "countermeasure_id" in rec else "countermeasure"
    for _, g in rec.groupby(key, sort=False):
        first = g.iloc[0]
        levels = sorted(
            {text(v).upper() for v in g.get("evidence_level", pd.Series(dtype=str)) if text(v)}
        )
        best = levels[0] if levels else ""
        mechs = sorted(
            {m for v in g.get("mechanism_ids", pd.Series(dtype=str)) for m in _split_ids(v)}
        )
        n = g["sample_id"].nunique()
        rows.append(
            [
                Cell(text(first["countermeasure"]), title=text(first.get("countermeasure_id"))),
                Cell(str(n), sort=n, kind="num"),
                Cell(
                    best or "–",
                    kind="badge",
                    cls=f"level-{best}" if best in LEVEL_ORDER else None,
                    sort=best or "Z",
                ),
                Cell(", ".join(b.mech_name(m) for m in mechs)),
            ]
        )
    rows.sort(key=lambda r: -int(r[1].sort))
    return Table(
        [
            Column("countermeasure"),
            Column("patients", True),
            Column("best evidence level"),
            Column("against mechanisms"),
        ],
        rows,
        scroll=len(rows) > 15,
        table_id="countermeasure-summary",
    )

def _patient(
    b: Builder,
    s: str,
    *,
    mech: list[dict[str, Any]],
    recs: list[dict[str, Any]],
    pheno: list[dict[str, Any]],
    preds: list[dict[str, Any]],
    drivers: list[dict[str, Any]],
    events: list[dict[str, Any]] | None,
    tmb: list[dict[str, Any]],
) -> dict[str, Any]:
    """One patient's page from the rows of each per-sample table (``events`` None: not shown)."""
    shown, not_assessable, n_absent = [], [], 0
    for r in sorted(
        mech, key=lambda r: (STATUS_ORDER[r["status"]], -to_float(r.get("strength")))
    ):
        if r["status"] in ("present", "indeterminate"):
            st = to_float(r.get("strength"))
            shown.append(
                {
                    "id": r["mechanism_id"],
                    "name": b.mech_name(r["mechanism_id"]),
                    "status": r["status"],
                    "strength": fmt_num(st, 2),
                    "strength_value": st if st == st else None,
                    "evidence": [
                        (label, text(r.get(col)))
                        for col, label in (
                            ("dna_evidence", "DNA"),
                            ("rna_evidence", "RNA"),
                            ("clinical_evidence", "Clinical"),
                            ("reason", "Reason"),
                        )
                        if text(r.get(col))
                    ],
                }
            )
        elif r["status"] == "not_assessable":
            not_assessable.append(
                {"name": b.mech_name(r["mechanism_id"]), "reason": text(r.get("reason"))}
            )
        else:
            n_absent += 1
    recommendations = []
    for r in sorted(recs, key=lambda r: to_float(r.get("rank"), np.inf)):
        level = text(r.get("evidence_level")).upper()
        recommendations.append(
            {
                "rank": fmt_num(r.get("rank")),
                "countermeasure": text(r.get("countermeasure")),
                "id": text(r.get("countermeasure_id")),
                "level": level,
                "level_cls": f"level-{level}" if level in LEVEL_ORDER else "level-x",
                "level_text": level_texts().get(level, ""),
                "mechanisms": [b.mech_name(m) for m in _split_ids(r.get("mechanism_ids"))],
                "citations": citation_ids(r.get("citations")),
                "trials": citation_ids(r.get("trials")),
                "rationale": text(r.get("rationale")),
                "stage": text(r.get("stage")).replace("_", " ")
                + (f" (as of {text(r.get('stage_as_of'))})" if text(r.get("stage_as_of"))
                   and text(r.get("stage")) else ""),
                "contested": text(r.get("contested")).lower() in ("true", "1", "yes"),
                "caution": text(r.get("caution")),
            }
        )
    phenotype, pheno_detail = "", []
    if pheno:
        phenotype = text(pheno[0].get("immune_phenotype"))
        if text(pheno[0].get("rule")):  # the phenotype module explains its call
            pheno_detail = [("", text(pheno[0]["rule"]))]
        else:
            pheno_detail = [
                (k, show(v))
                for k, v in pheno[0].items()
                if k not in ("sample_id", "immune_phenotype")
            ]
    by_model: dict[str, list[dict[str, Any]]] = {}
    for d in drivers:
        by_model.setdefault(d["model"], []).append(d)
    predictions = []
    for p in preds:
        drv = sorted(
            by_model.get(p["model"], []), key=lambda d: -abs(to_float(d["contribution"], 0))
        )[:8]
        top = max((abs(to_float(d["contribution"], 0)) for d in drv), default=0) or 1.0
        predictions.append(
            {
                "model": p["model"],
                "probability": to_float(p.get("probability")),
                "probability_text": fmt_num(p.get("probability"), 2),
                "predicted": text(p.get("predicted")),
                "drivers": [
                    {
                        "feature": text(d["feature"]),
                        "value": fmt_num(d.get("value")) if "value" in d else "",
                        "contribution": fmt_num(d["contribution"], 2),
                        "width": round(50 * abs(to_float(d["contribution"], 0)) / top, 1),
                        "positive": to_float(d["contribution"], 0) >= 0,
                    }
                    for d in drv
                ],
            }
        )
    event_rows, n_more = None, 0
    if events is not None:
        ranked = sorted(
            events,
            key=lambda e: (
                0 if text(e.get("biallelic")).lower() == "true" else 1,
                _EVENT_PRIORITY.get(text(e.get("event")), 9),
            ),
        )
        limit = 25
        event_rows = [
            (
                text(e.get("gene")),
                text(e.get("event")),
                text(e.get("detail")),
                text(e.get("biallelic")),
            )
            for e in ranked[:limit]
        ]
        n_more = max(len(ranked) - limit, 0)
    tmb_text = ""
    if tmb:
        tmb_text = f"{fmt_num(tmb[0].get('tmb_per_mb'))} mutations/Mb"
        if not is_missing(tmb[0].get("n_mutations_counted")):
            tmb_text += f" ({fmt_num(tmb[0]['n_mutations_counted'])} counted)"
    return {
        "sample_id": s,
        "anchor": b.anchors[s],
        "response": b.response.get(s, "unknown") if b.response else "",
        "phenotype": phenotype,
        "phenotype_detail": pheno_detail,
        "mechanisms": shown,
        "n_present": sum(m["status"] == "present" for m in shown),
        "n_indeterminate": sum(m["status"] == "indeterminate" for m in shown),
        "not_assessable": not_assessable,
        "n_absent": n_absent,
        "recommendations": recommendations,
        "predictions": predictions,
        "events": event_rows,
        "n_more_events": n_more,
        "tmb": tmb_text,
    }
