"""Section builders: result tables in, template-ready containers out.

Nothing here estimates anything: the builders select, order, count and format rows of the
tables they are given. Figures come from :mod:`immunescape.report._figures`.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from immunescape._version import __version__
from immunescape.errors import InputError
from immunescape.report import _figures as F
from immunescape.report._format import (
    anchor_ids,
    citation_ids,
    flatten,
    fmt_num,
    fmt_p,
    is_missing,
    safe_json,
    text,
    truncate,
)
from immunescape.report._model import Cell, Column, Figure, Image, Table

__all__ = ["Builder", "DEFAULT_KEY_SCORES", "LARGE_COHORT"]

#: Scores shown by default in the distributions section (those present in scores.tsv).
DEFAULT_KEY_SCORES = (
    "gep18",
    "ifng6",
    "cyt",
    "cd8_teff",
    "impres",
    "ips",
    "tls9",
    "davoli_is",
    "pan_ftbrs",
    "apm",
    "jerby_resistance",
    "mcp_cd8_t_cells",
)
#: Above this many patients the report is compacted (short hovers, no per-patient event lists).
LARGE_COHORT = 200
#: Patient pages start expanded up to this many patients.
OPEN_PATIENTS = 12
_LEVELS = {"A", "B", "C", "D", "E"}
LEVEL_TEXT = {
    "A": "validated or approved use",
    "B": "clinical evidence from more than 5 patients (trial or cohort)",
    "C": "case report or small case series",
    "D": "preclinical (cells, mice)",
    "E": "inferential (reviews, indirect data)",
}
_EXTRA_PER_SAMPLE = {"hla": "HLA class I", "scna": "copy-number burden"}
_STATUS_ORDER = {"present": 0, "indeterminate": 1, "absent": 2, "not_assessable": 3}
_EVENT_PRIORITY = {
    "truncating": 0,
    "deep_deletion": 1,
    "hotspot_activating": 2,
    "amplification": 3,
    "loh": 4,
}


def _num_cell(value: Any, *, digits: int = 3, p: bool = False) -> Cell:
    v = _float(value)
    return Cell(fmt_p(v) if p else fmt_num(v, digits), sort=None if v != v else v, kind="num")


def _split_ids(value: Any) -> list[str]:
    return [t for t in re.split(r"[;,|\s]+", text(value)) if t]


class Builder:
    """Builds every section of one report from normalised tables.

    Parameters
    ----------
    tables
        Short name -> DataFrame, checked by :func:`normalise_tables`.
    run
        The run.json content.
    key_scores
        Score ids for the distributions section, or None for the defaults.
    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame],
        *,
        run: Mapping[str, Any],
        key_scores: Sequence[str] | None,
        ignored: Sequence[str] = (),
    ) -> None:
        self.t = dict(tables)
        self.ignored = list(ignored)
        self.run = run
        self.key_scores = key_scores
        self._n_fig = 0
        self.response: dict[str, str] = {}
        if "clinical" in self.t:
            c = self.t["clinical"].drop_duplicates("sample_id")
            self.response = dict(zip(c["sample_id"], c["response"], strict=True))
        self.feature_names: dict[str, str] = {}
        if "features" in self.t and "name" in self.t["features"]:
            f = self.t["features"]
            self.feature_names = {i: text(n) or i for i, n in zip(f["id"], f["name"], strict=True)}
        self.mech_names = self._mechanism_names()
        self.patients = self._patient_order()
        self.anchors = anchor_ids(self.patients, prefix="patient")
        self.large = len(self.patients) > LARGE_COHORT

    # ------------------------------------------------------------------ helpers
    @property
    def n_figures(self) -> int:
        """Number of plotly figures made so far."""
        return self._n_fig

    def figure(
        self,
        fig: F.Fig,
        *,
        label: str,
        caption: str | None = None,
        wide: bool = False,
        title: str | None = None,
    ) -> Figure:
        """Serialise a plotly figure for the template."""
        self._n_fig += 1
        payload = safe_json(
            json.dumps(
                fig.to_dict(),
                separators=(",", ":"),
                allow_nan=False,
                ensure_ascii=False,
                default=_json_default,
            )
        )
        return Figure(f"fig-{self._n_fig}", payload, label, caption, wide, title)

    def _mechanism_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        if "mechanism_info" in self.t and "name" in self.t["mechanism_info"]:
            info = self.t["mechanism_info"]
            for m, n in zip(info["mechanism_id"], info["name"], strict=True):
                if not is_missing(n):
                    names[m] = str(n)
        mech = self.t.get("mechanisms")
        if mech is not None:
            for col in ("mechanism_name", "name"):
                if col in mech:
                    for m, n in zip(mech["mechanism_id"], mech[col], strict=True):
                        if m not in names and not is_missing(n):
                            names[m] = str(n)
            for m in mech["mechanism_id"]:
                names.setdefault(m, m)
        return names

    def mech_name(self, mechanism_id: str) -> str:
        """Display name of a mechanism (its id when no name is known)."""
        return self.mech_names.get(mechanism_id, mechanism_id)

    def _patient_order(self) -> list[str]:
        per_patient = ("mechanisms", "phenotypes", "recommendations", "predictions", "drivers")
        present = [k for k in per_patient if k in self.t]
        if not present:
            return []
        order: list[str] = []
        for key in ("scores", "clinical", *present):
            if key in self.t:
                order.extend(self.t[key]["sample_id"])
        seen = set().union(*(set(self.t[k]["sample_id"]) for k in present))
        return [s for s in dict.fromkeys(order) if s in seen]

    def score_label(self, score_id: str) -> str:
        """Label a feature "Name (id)" when features.tsv names it."""
        name = self.feature_names.get(score_id)
        return f"{name} ({score_id})" if name and name != score_id else score_id

    # ------------------------------------------------------------------ overview
    def overview(self) -> dict[str, Any]:
        """Build the overview: inputs, sample counts, resources, gene coverage, warnings."""
        run = self.run
        sw: Mapping[str, Any] = run.get("software") or {}
        if not isinstance(sw, Mapping):
            sw = {}
        if not sw.get("version"):  # run.json before write_outputs added it
            sw = {"name": "immunescape", "version": __version__}
        command = run.get("command")
        if isinstance(command, list | tuple):
            command = shlex.join(str(c) for c in command)
        counts: list[tuple[str, str]] = []
        if "scores" in self.t:
            n_feat = self.t["scores"].shape[1] - 1
            counts.append(("Samples scored", f"{len(self.t['scores'])} ({n_feat} features)"))
        if self.patients:
            counts.append(("Patients with per-patient results", str(len(self.patients))))
        if "mechanisms" in self.t:
            counts.append(
                ("Mechanisms assessed", str(self.t["mechanisms"]["mechanism_id"].nunique()))
            )
        if self.response:
            vals = list(self.response.values())
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
        warnings = [self._warning_text(w) for w in run.get("warnings") or []]
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
            "coverage": self._coverage(),
            "ignored": self.ignored,
        }

    @staticmethod
    def _warning_text(w: Any) -> str:
        if isinstance(w, Mapping):
            return "; ".join(f"{k}: {v}" for k, v in w.items())
        return str(w)

    def _coverage(self) -> dict[str, Any] | None:
        if "features" not in self.t:
            return None
        f = self.t["features"].copy()
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

    # ------------------------------------------------------------------ mechanisms
    def mechanisms(self) -> dict[str, Any] | None:
        """Mechanism x patient matrix and the per-mechanism frequency table."""
        if "mechanisms" not in self.t:
            return None
        mech = self.t["mechanisms"].drop_duplicates(["sample_id", "mechanism_id"], keep="first")
        if mech.empty:
            return {"empty": True}
        counts = (
            mech.groupby(["mechanism_id", "status"])
            .size()
            .unstack(fill_value=0)
            .reindex(columns=list(_STATUS_ORDER), fill_value=0)
        )
        order = counts.sort_values(
            ["present", "indeterminate", "not_assessable"],
            ascending=[False, False, True],
            kind="stable",
        ).index.tolist()
        # Oncoprint ordering of patients: by status pattern down the frequency-ordered rows.
        code = mech.pivot(index="sample_id", columns="mechanism_id", values="status")
        code = code.reindex(columns=order).apply(lambda c: c.map(_STATUS_ORDER)).fillna(4)
        samples = [s for s in self.patients if s in code.index]
        samples += [s for s in code.index if s not in set(samples)]
        code = code.loc[samples]
        samples = code.sort_values(order, kind="stable").index.tolist()
        tracks: dict[str, dict[str, str]] = {}
        if self.response:
            tracks["response"] = {s: self.response.get(s, "unknown") for s in samples}
        if "phenotypes" in self.t:
            ph = self.t["phenotypes"].drop_duplicates("sample_id")
            tracks["phenotype"] = {
                s: text(p) or "no call"
                for s, p in zip(ph["sample_id"], ph["immune_phenotype"], strict=True)
            }
        hover_limit = 0 if self.large else 300
        fig = F.mechanism_matrix(
            mech,
            mechanisms=order,
            samples=samples,
            names=self.mech_names,
            tracks=tracks,
            hover_limit=hover_limit,
        )
        n = len(samples)
        rows = []
        for m in order:
            c = counts.loc[m]
            assessable = int(c["present"] + c["indeterminate"] + c["absent"])
            rows.append(
                [
                    Cell(self.mech_name(m), title=m),
                    Cell(str(int(c["present"])), sort=int(c["present"]), kind="num"),
                    Cell(str(int(c["indeterminate"])), sort=int(c["indeterminate"]), kind="num"),
                    Cell(str(int(c["absent"])), sort=int(c["absent"]), kind="num"),
                    Cell(str(int(c["not_assessable"])), sort=int(c["not_assessable"]), kind="num"),
                    Cell(
                        f"{int(c['present'])}/{assessable}" if assessable else "–",
                        sort=float(c["present"] / assessable) if assessable else None,
                        kind="bar",
                        value=float(c["present"] / assessable) if assessable else None,
                    ),
                ]
            )
        table = Table(
            [
                Column("mechanism"),
                Column("present", True),
                Column("indeterminate", True),
                Column("absent", True),
                Column("not assessable", True),
                Column("present / assessable", True),
            ],
            rows,
            table_id="mechanism-frequency",
            scroll=len(rows) > 15,
        )
        return {
            "empty": False,
            "figure": self.figure(
                fig,
                label=f"Matrix of {len(order)} resistance mechanisms by {n} patients",
                wide=True,
            ),
            "table": table,
            "n_patients": n,
            "tracks": list(tracks),
            "hover_note": "Hover a cell for the evidence trail."
            if hover_limit
            else "Evidence trails are on the patient pages (large cohort).",
        }

    def phenotypes(self) -> dict[str, Any] | None:
        """Count immune phenotypes, by response when labels exist."""
        if "phenotypes" not in self.t:
            return None
        ph = self.t["phenotypes"].drop_duplicates("sample_id")
        pheno = ph["immune_phenotype"].map(lambda v: text(v) or "no call")
        if self.response:
            grp = ph["sample_id"].map(lambda s: self.response.get(s, "unknown"))
        else:
            grp = pd.Series("all", index=ph.index)
        counts = pd.crosstab(pheno, grp)
        order = [p for p in ("inflamed", "excluded", "desert") if p in counts.index]
        counts = counts.reindex(order + [p for p in counts.index if p not in order])
        cols = [c for c in ("R", "NR", "unknown", "all") if c in counts.columns]
        counts = counts[cols]
        rows = [
            [Cell(str(p))]
            + [
                Cell(str(int(counts.loc[p, c])), sort=int(counts.loc[p, c]), kind="num")
                for c in cols
            ]
            + (
                [Cell(str(int(counts.loc[p].sum())), sort=int(counts.loc[p].sum()), kind="num")]
                if len(cols) > 1
                else []
            )
            for p in counts.index
        ]
        table = Table(
            [Column("phenotype")]
            + [Column("patients" if c == "all" else c, True) for c in cols]
            + ([Column("total", True)] if len(cols) > 1 else []),
            rows,
            sortable=False,
        )
        fig = self.figure(F.phenotype_bars(counts), label="Patients per immune phenotype")
        return {"figure": fig, "table": table, "by_response": bool(self.response)}

    # ------------------------------------------------------------------ scores
    def scores(self) -> dict[str, Any] | None:
        """Distributions of key scores (and TMB), by response when labels exist."""
        if "scores" not in self.t and "tmb" not in self.t:
            return None
        figs: list[Figure] = []
        groups = pd.Series(self.response, dtype=object) if self.response else None
        if "scores" in self.t:
            sc = self.t["scores"].drop_duplicates("sample_id").set_index("sample_id")
            numeric = [c for c in sc.columns if pd.api.types.is_numeric_dtype(sc[c])]
            if self.key_scores is not None:
                unknown = [k for k in self.key_scores if k not in sc.columns]
                if unknown:
                    raise InputError(
                        f"key score(s) {', '.join(unknown)} not in scores.tsv",
                        source="render_report(key_scores=...)",
                        fix="name columns of scores.tsv",
                    )
                keys = list(self.key_scores)
            else:
                keys = [k for k in DEFAULT_KEY_SCORES if k in numeric] or numeric[:8]
            for k in keys:
                figs.append(
                    self.figure(
                        F.score_box(sc[k], groups=groups),
                        label=f"Distribution of {k}"
                        + (" by response" if groups is not None else ""),
                        title=self.score_label(k),
                    )
                )
        if "tmb" in self.t:
            tmb = self.t["tmb"].drop_duplicates("sample_id").set_index("sample_id")["tmb_per_mb"]
            figs.append(
                self.figure(
                    F.score_box(tmb, groups=groups, y_title="mutations / Mb"),
                    label="Distribution of TMB",
                    title="Tumour mutational burden (tmb.tsv)",
                )
            )
        if not figs:
            return None
        return {"figures": figs, "by_response": groups is not None}

    # ------------------------------------------------------------------ compare
    def compare(
        self, *, top: int = 40, padj: float = 0.05, lfc: float = 1.0
    ) -> dict[str, Any] | None:
        """Associations, differential expression, mutations, survival, KM, paired samples."""
        keys = (
            "associations",
            "de",
            "pathways",
            "mutations",
            "mechanisms_enrichment",
            "survival",
            "km",
            "paired",
            "paired_values",
            "new_events",
        )
        if not any(k in self.t for k in keys):
            return None
        out: dict[str, Any] = dict.fromkeys(keys)
        if "associations" in self.t:
            out["associations"] = self._associations(top)
        if "de" in self.t:
            de = self.t["de"]
            n_ok = int(
                (
                    pd.to_numeric(de["padj"], errors="coerce").notna()
                    & pd.to_numeric(de["log2FoldChange"], errors="coerce").notna()
                ).sum()
            )
            sig = de[pd.to_numeric(de["padj"], errors="coerce") < padj]
            sig = sig.assign(_p=pd.to_numeric(sig["padj"], errors="coerce")).nsmallest(top, "_p")
            cols = [
                c
                for c in ("baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj")
                if c in de
            ]
            rows = [
                [Cell(r["gene"])] + [_num_cell(r[c], p=c in ("pvalue", "padj")) for c in cols]
                for r in sig.to_dict("records")
            ]
            out["de"] = {
                "figure": self.figure(
                    F.volcano(de, padj_threshold=padj, lfc_threshold=lfc),
                    label="Volcano plot of differential expression",
                ),
                "note": f"{n_ok} of {len(de)} genes with an adjusted p-value plotted; "
                f"thresholds padj < {padj}, |log2FC| ≥ {lfc}.",
                "table": Table(
                    [Column("gene")] + [Column(c, True) for c in cols],
                    rows,
                    caption=f"Genes with padj < {padj} (top {top})",
                    scroll=True,
                ),
            }
        if "mutations" in self.t:
            out["mutations"] = self._ranked_table(
                "mutations",
                label_cols=("gene",),
                num_cols=("n_r_mut", "n_r", "n_nr_mut", "n_nr", "odds_ratio", "p_value", "q_value"),
                text_cols=("note",),
                top=top,
                caption=None,
            )
        if "survival" in self.t:
            sv = self.t["survival"]
            if "p_value" in sv:
                sv = sv.assign(_p=pd.to_numeric(sv["p_value"], errors="coerce")).sort_values(
                    "_p", kind="stable", na_position="last"
                )
            shown = sv.head(top)
            sv_cols = [
                c
                for c in ("hr", "hr_ci_low", "hr_ci_high", "p_value", "q_value", "logrank_p")
                if c in shown
            ]
            rows = [
                [Cell(r["feature"]), Cell(text(r.get("endpoint")))]
                + [
                    _num_cell(r[c], p=c.endswith("_p") or c.startswith(("p_", "q_")))
                    for c in sv_cols
                ]
                for r in shown.to_dict("records")
            ]
            out["survival"] = {
                "figure": self.figure(F.hr_forest(shown), label="Hazard-ratio forest plot"),
                "note": f"{len(shown)} of {len(sv)} rows (smallest p-values first)."
                if len(sv) > len(shown)
                else None,
                "table": Table(
                    [Column("feature"), Column("endpoint")]
                    + [Column(c.replace("_", " "), True) for c in sv_cols],
                    rows,
                    scroll=len(rows) > 15,
                ),
            }
        if "km" in self.t:
            out["km"] = self._km()
        if "paired" in self.t:
            out["paired"] = self._ranked_table(
                "paired",
                label_cols=("feature", "group"),
                num_cols=(
                    "n_pairs",
                    "median_pre",
                    "median_post",
                    "median_delta",
                    "p_value",
                    "q_value",
                ),
                text_cols=("direction", "note"),
                top=top,
                caption="Within-patient change between timepoints (smallest p-values first)",
            )
        if "paired_values" in self.t:
            pr = self.t["paired_values"]
            resp = dict(self.response)
            if "response" in pr:
                resp.update(
                    {
                        s: (text(r).upper() if text(r).upper() in ("R", "NR") else "unknown")
                        for s, r in zip(pr["sample_id"], pr["response"], strict=True)
                    }
                )
            feats = list(dict.fromkeys(pr["feature"]))
            out["paired_values"] = {
                "figures": [
                    self.figure(
                        F.paired_lines(pr, feature=f, response=resp),
                        label=f"Paired before/after values of {f}",
                        title=f,
                    )
                    for f in feats[:12]
                ],
                "note": f"First 12 of {len(feats)} features." if len(feats) > 12 else None,
            }
        if "new_events" in self.t:
            out["new_events"] = self._ranked_table(
                "new_events",
                label_cols=("patient_id", "gene", "event", "detail"),
                num_cols=(),
                text_cols=("biallelic", "gene_altered_before", "mechanism", "reason"),
                top=500,
                caption=None,
            )
        if "pathways" in self.t:
            out["pathways"] = self._ranked_table(
                "pathways",
                label_cols=("pathway", "collection"),
                num_cols=("n_genes", "score", "mean_stat", "p_value", "q_value"),
                text_cols=("direction",),
                top=top,
                caption=f"Top {top} gene sets by p-value",
            )
        if "mechanisms_enrichment" in self.t:
            out["mechanisms_enrichment"] = self._ranked_table(
                "mechanisms_enrichment",
                label_cols=("mechanism_id",),
                num_cols=(
                    "n_r_present",
                    "n_r",
                    "n_nr_present",
                    "n_nr",
                    "odds_ratio",
                    "p_value",
                    "q_value",
                ),
                text_cols=(),
                top=top,
                caption=None,
                names=self.mech_name,
            )
        return out

    def _ranked_table(
        self,
        key: str,
        *,
        label_cols: Sequence[str],
        num_cols: Sequence[str],
        text_cols: Sequence[str],
        top: int,
        caption: str | None,
        names: Any = None,
    ) -> Table:
        """Rows of a statistics table, smallest p-value first, at most ``top``."""
        df = self.t[key]
        if "p_value" in df:
            df = df.assign(_p=pd.to_numeric(df["p_value"], errors="coerce")).sort_values(
                "_p", kind="stable", na_position="last"
            )
        shown = df.head(top)
        labels = [c for c in label_cols if c in df]
        nums = [c for c in num_cols if c in df]
        texts = [c for c in text_cols if c in df]
        rows = []
        for r in shown.to_dict("records"):
            row = [
                Cell(names(text(r[c])) if names and c == labels[0] else text(r[c])) for c in labels
            ]
            row += [_num_cell(r[c], p=c in ("p_value", "q_value")) for c in nums]
            row += [Cell(text(r[c])) for c in texts]
            rows.append(row)
        if len(df) > len(shown) and caption is None:
            caption = f"{len(shown)} of {len(df)} rows (smallest p-values first)"
        return Table(
            [Column(c.replace("_", " ")) for c in labels]
            + [Column(c.replace("_", " "), True) for c in nums]
            + [Column(c.replace("_", " ")) for c in texts],
            rows,
            caption=caption,
            scroll=len(rows) > 15,
        )

    def _associations(self, top: int) -> dict[str, Any]:
        a = self.t["associations"]
        if "p_value" in a:
            a = a.assign(_p=pd.to_numeric(a["p_value"], errors="coerce")).sort_values(
                "_p", kind="stable", na_position="last"
            )
        shown = a.head(top).assign(_auc=lambda d: pd.to_numeric(d["auc"], errors="coerce"))
        shown = shown.sort_values("_auc", ascending=False, kind="stable", na_position="last")
        cols = [
            c
            for c in ("n_r", "n_nr", "auc", "auc_ci_low", "auc_ci_high", "p_value", "q_value")
            if c in a
        ]
        rows = [
            [Cell(r["feature"], title=self.feature_names.get(r["feature"]))]
            + [_num_cell(r[c], p=c in ("p_value", "q_value")) for c in cols]
            + ([Cell(text(r.get("direction")))] if "direction" in a else [])
            for r in shown.to_dict("records")
        ]
        return {
            "figure": self.figure(
                F.auc_forest(shown, names=self.feature_names),
                label="AUC forest plot, responders versus non-responders",
            ),
            "note": f"{len(shown)} of {len(a)} features (smallest p-values), sorted by AUC."
            if len(a) > len(shown)
            else None,
            "table": Table(
                [Column("feature")]
                + [Column(c.replace("_", " "), True) for c in cols]
                + ([Column("direction")] if "direction" in a else []),
                rows,
                scroll=len(rows) > 15,
            ),
        }

    def _km(self) -> list[dict[str, Any]]:
        km = self.t["km"]
        keys = ["feature"] + (["endpoint"] if "endpoint" in km else [])
        logrank: dict[tuple[str, str], Any] = {}
        if "survival" in self.t and "logrank_p" in self.t["survival"]:
            sv = self.t["survival"]
            eps = sv["endpoint"].map(text) if "endpoint" in sv else pd.Series("", index=sv.index)
            logrank = {
                (f, e): p for f, e, p in zip(sv["feature"], eps, sv["logrank_p"], strict=True)
            }
        time_unit = text(self.run.get("time_unit")) or "months"
        panels = []
        # numeric columns once for the whole table (hundreds of panels), numpy per panel
        km = km.assign(
            time=pd.to_numeric(km["time"], errors="coerce"),
            n_at_risk=pd.to_numeric(km["n_at_risk"], errors="coerce"),
        )
        for key, sub in km.groupby(keys, sort=False):
            feature, endpoint = (key[0], text(key[1])) if len(keys) == 2 else (key[0], "")
            ticks = F.km_ticks(float(sub["time"].max()))
            title = feature + (f" · {endpoint}" if endpoint else "")
            p = logrank.get((feature, endpoint))
            if p is not None and not is_missing(p):
                title += f" (log-rank p = {fmt_p(p)})"
            at_risk_rows = []
            sub_time = sub["time"].to_numpy(dtype=float)
            sub_risk = sub["n_at_risk"].to_numpy(dtype=float)
            sub_group = sub["group"].to_numpy()
            for group in (g for g in pd.unique(sub_group) if not pd.isna(g)):
                rows = np.flatnonzero(sub_group == group)
                rows = rows[np.argsort(sub_time[rows], kind="stable")]
                times = sub_time[rows]
                risk = sub_risk[rows]
                cells = []
                for t in ticks:
                    idx = int(np.searchsorted(times, t - 1e-9, side="left"))
                    cells.append(fmt_num(risk[idx]) if idx < len(times) else "0")
                at_risk_rows.append((str(group), cells))
            panels.append(
                {
                    "figure": self.figure(
                        F.km_curves(sub, ticks=ticks, time_label=time_unit),
                        label=f"Kaplan-Meier curves: {title}",
                        title=title,
                    ),
                    "ticks": [fmt_num(t) for t in ticks],
                    "at_risk": at_risk_rows,
                }
            )
        return panels

    # ------------------------------------------------------------------ prediction
    def prediction(self) -> dict[str, Any] | None:
        """ROC curves, calibration, predicted probabilities."""
        if not any(k in self.t for k in ("roc", "calibration", "predictions")):
            return None
        out: dict[str, Any] = dict.fromkeys(("roc", "calibration", "box", "table"))
        if "roc" in self.t:
            out["roc"] = self.figure(F.roc_curves(self.t["roc"]), label="ROC curves of predictors")
        if "calibration" in self.t:
            out["calibration"] = self.figure(
                F.calibration_plot(self.t["calibration"]), label="Calibration plot"
            )
        if "predictions" in self.t:
            pred = self.t["predictions"]
            out["box"] = self.figure(
                F.probability_box(pred, response=self.response),
                label="Predicted probability of response per model"
                + (" by observed response" if self.response else ""),
            )
            models = list(dict.fromkeys(pred["model"]))
            wide = pred.drop_duplicates(["sample_id", "model"]).pivot(
                index="sample_id", columns="model", values="probability"
            )
            rows = []
            for s in [p for p in self.patients if p in wide.index] or list(wide.index):
                row = [
                    Cell(
                        s,
                        kind="link" if s in self.anchors else "text",
                        href=f"#{self.anchors[s]}" if s in self.anchors else None,
                    )
                ]
                if self.response:
                    row.append(Cell(self.response.get(s, "unknown")))
                row += [_num_cell(wide.loc[s, m], digits=2) for m in models]
                rows.append(row)
            out["table"] = Table(
                [Column("patient")]
                + ([Column("response")] if self.response else [])
                + [Column(m, True) for m in models],
                rows,
                scroll=len(rows) > 15,
                caption="Predicted probability of response",
            )
        return out

    # ------------------------------------------------------------------ figures
    @staticmethod
    def images(figures: Mapping[str, Any] | None, *, dpi: int = 110) -> list[Image]:
        """Embed static figures (matplotlib Figures or PNG bytes) as data URIs."""
        out = []
        for name, obj in (figures or {}).items():
            if isinstance(obj, bytes | bytearray | memoryview):
                data = bytes(obj)
            elif hasattr(obj, "savefig"):
                buf = io.BytesIO()
                obj.savefig(
                    buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None}
                )
                data = buf.getvalue()
            else:
                raise InputError(
                    f"figure {name!r} is a {type(obj).__name__}",
                    source="render_report(figures=...)",
                    fix="pass a matplotlib Figure or PNG bytes",
                )
            if not data.startswith(b"\x89PNG\r\n\x1a\n"):
                raise InputError(
                    f"figure {name!r} is not a PNG image",
                    source="render_report(figures=...)",
                    fix="pass PNG bytes (e.g. fig.savefig(buf, format='png'))",
                )
            out.append(
                Image(str(name), "data:image/png;base64," + base64.b64encode(data).decode("ascii"))
            )
        return out

    # ------------------------------------------------------------------ patients
    def _by_sample(self, key: str) -> dict[str, list[dict[str, Any]]]:
        if key not in self.t:
            return {}
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self.t[key].to_dict("records"):
            out.setdefault(r["sample_id"], []).append(r)
        return out

    def patients_section(self) -> dict[str, Any] | None:
        """Patient index and one page per patient."""
        if not self.patients:
            return None
        mech = self._by_sample("mechanisms")
        recs = self._by_sample("recommendations")
        pheno = self._by_sample("phenotypes")
        preds = self._by_sample("predictions")
        drivers = self._by_sample("drivers")
        events = {} if self.large else self._by_sample("genomic_events")
        tmb = self._by_sample("tmb")
        extra = {label: self._by_sample(key) for key, label in _EXTRA_PER_SAMPLE.items()}
        models = (
            list(dict.fromkeys(self.t["predictions"]["model"])) if "predictions" in self.t else []
        )
        pages = []
        index_rows = []
        for s in self.patients:
            page = self._patient(
                s,
                mech.get(s, []),
                recs.get(s, []),
                pheno.get(s, []),
                preds.get(s, []),
                drivers.get(s, []),
                events.get(s),
                tmb.get(s, []),
            )
            page["extra"] = [
                (label, [(k, _show(v)) for k, v in rows[s][0].items() if k != "sample_id"])
                for label, rows in extra.items()
                if s in rows
            ]
            pages.append(page)
            row = [Cell(s, kind="link", href=f"#{page['anchor']}")]
            if self.response:
                row.append(Cell(page["response"]))
            if "phenotypes" in self.t:
                row.append(Cell(page["phenotype"] or "–"))
            if "mechanisms" in self.t:
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
            if "recommendations" in self.t:
                top = page["recommendations"][0] if page["recommendations"] else None
                row.append(Cell(f"{top['countermeasure']} ({top['level'] or '–'})" if top else "–"))
            prob = {p["model"]: p["probability"] for p in page["predictions"]}
            row += [_num_cell(prob.get(m), digits=2) for m in models[:3]]
            index_rows.append(row)
        cols = [Column("patient")]
        cols += [Column("response")] if self.response else []
        cols += [Column("phenotype")] if "phenotypes" in self.t else []
        if "mechanisms" in self.t:
            cols += [
                Column("present", True),
                Column("indeterminate", True),
                Column("mechanisms present"),
            ]
        cols += [Column("top countermeasure (level)")] if "recommendations" in self.t else []
        cols += [Column(f"P(response) {m}", True) for m in models[:3]]
        return {
            "index": Table(cols, index_rows, scroll=len(index_rows) > 20, table_id="patient-index"),
            "pages": pages,
            "open": len(pages) <= OPEN_PATIENTS,
            "large": self.large,
            "has_recommendations": "recommendations" in self.t,
            "countermeasures": self._countermeasure_summary(),
            "levels": LEVEL_TEXT,
        }

    def _countermeasure_summary(self) -> Table | None:
        if "recommendations" not in self.t:
            return None
        rec = self.t["recommendations"]
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
                        cls=f"level-{best}" if best in _LEVELS else None,
                        sort=best or "Z",
                    ),
                    Cell(", ".join(self.mech_name(m) for m in mechs)),
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
        self,
        s: str,
        mech: list[dict[str, Any]],
        recs: list[dict[str, Any]],
        pheno: list[dict[str, Any]],
        preds: list[dict[str, Any]],
        drivers: list[dict[str, Any]],
        events: list[dict[str, Any]] | None,
        tmb: list[dict[str, Any]],
    ) -> dict[str, Any]:
        shown, not_assessable, n_absent = [], [], 0
        for r in sorted(
            mech, key=lambda r: (_STATUS_ORDER[r["status"]], -_float(r.get("strength")))
        ):
            if r["status"] in ("present", "indeterminate"):
                st = _float(r.get("strength"))
                shown.append(
                    {
                        "id": r["mechanism_id"],
                        "name": self.mech_name(r["mechanism_id"]),
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
                    {"name": self.mech_name(r["mechanism_id"]), "reason": text(r.get("reason"))}
                )
            else:
                n_absent += 1
        recommendations = []
        for r in sorted(recs, key=lambda r: _float(r.get("rank"), np.inf)):
            level = text(r.get("evidence_level")).upper()
            recommendations.append(
                {
                    "rank": fmt_num(r.get("rank")),
                    "countermeasure": text(r.get("countermeasure")),
                    "id": text(r.get("countermeasure_id")),
                    "level": level,
                    "level_cls": f"level-{level}" if level in _LEVELS else "level-x",
                    "level_text": LEVEL_TEXT.get(level, ""),
                    "mechanisms": [self.mech_name(m) for m in _split_ids(r.get("mechanism_ids"))],
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
                    (k, _show(v))
                    for k, v in pheno[0].items()
                    if k not in ("sample_id", "immune_phenotype")
                ]
        by_model: dict[str, list[dict[str, Any]]] = {}
        for d in drivers:
            by_model.setdefault(d["model"], []).append(d)
        predictions = []
        for p in preds:
            drv = sorted(
                by_model.get(p["model"], []), key=lambda d: -abs(_float(d["contribution"], 0))
            )[:8]
            top = max((abs(_float(d["contribution"], 0)) for d in drv), default=0) or 1.0
            predictions.append(
                {
                    "model": p["model"],
                    "probability": _float(p.get("probability")),
                    "probability_text": fmt_num(p.get("probability"), 2),
                    "predicted": text(p.get("predicted")),
                    "drivers": [
                        {
                            "feature": text(d["feature"]),
                            "value": fmt_num(d.get("value")) if "value" in d else "",
                            "contribution": fmt_num(d["contribution"], 2),
                            "width": round(50 * abs(_float(d["contribution"], 0)) / top, 1),
                            "positive": _float(d["contribution"], 0) >= 0,
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
            "anchor": self.anchors[s],
            "response": self.response.get(s, "unknown") if self.response else "",
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


def _show(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return fmt_num(value)
    return text(value) or "–"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__} in a figure")


def _float(value: Any, default: float = float("nan")) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return default
    return default if x != x else x
