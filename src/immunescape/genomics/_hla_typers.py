"""HLA typing tools' own output files (POLYSOLVER, HLA-HD, arcasHLA, OptiType, LOHHLA lists)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._hla_alleles import _LOCI, _LONG_COLUMNS, HLAGenotypes, normalise_allele
from immunescape.genomics._reading import PathLike

__all__ = ["read_typer_output", "is_optitype", "optitype_frame"]

_TYPER_LINE = re.compile(r"^(?:HLA-)?(A|B|C|DRB1|DRB3|DRB4|DRB5|DQA1|DQB1|DPA1|DPB1|E|F|G)$", re.I)
_GENERIC_NAMES = re.compile(
    r"(\.genotype\.json|\.partial_genotype\.json|_result\.tsv|\.winners\.hla\.txt|"
    r"winners\.hla\.txt|_final\.result\.txt|final\.result\.txt|\.json|\.tsv|\.txt)$",
    re.IGNORECASE,
)


def _default_sample(path: PathLike) -> str:
    """Sample id from a typer's file name (``Pt1.genotype.json`` -> ``Pt1``), else its folder.

    Examples
    --------
    >>> _default_sample("typing/Pt1.genotype.json"), _default_sample("/data/Pt2/winners.hla.txt")
    ('Pt1', 'Pt2')
    """
    p = Path(path)
    stem = _GENERIC_NAMES.sub("", p.name).rstrip("._-")
    for prefix in ("orig", "hlahd", "optitype", "polysolver", "arcashla", "test"):
        if stem.lower() == prefix:
            stem = ""
    return stem or p.resolve().parent.name


def _genotype_rows(sample: str, pairs: list[tuple[str, list[str]]], source: str,
                   tool: str) -> HLAGenotypes:  # fmt: skip
    rows = []
    notes = []
    for locus, alleles in pairs:
        if locus.upper() not in _LOCI:
            continue
        given = [a.strip() for a in alleles if a and a.strip() and a.strip().lower() != "-"
                 and "not typed" not in a.lower()]  # fmt: skip
        if not given:
            notes.append(f"HLA-{locus.upper()} not typed")
            continue
        if len(given) > 2:
            two = []
            for a in given:
                n = normalise_allele(a)[1]
                if n is not None and n not in two:
                    two.append(n)
            notes.append(
                f"HLA-{locus.upper()}: {len(given)} candidate alleles ({', '.join(given)}); "
                f"the first two distinct two-field alleles kept"
            )
            given = two[:2] if len(two) >= 2 else [two[0], two[0]] if two else []
        if len(given) == 1 or (len(alleles) >= 2 and alleles[1].strip() == "-"):
            given = [given[0], given[0]]  # homozygous ("-" in HLA-HD)
        rows += [{"sample_id": sample, "allele": a} for a in given]
    if not rows:
        raise InputError(
            f"has no HLA class I allele ({tool} output)",
            source=source,
            fix="give the typing of HLA-A, -B and -C",
        )
    g = HLAGenotypes.from_frame(pd.DataFrame(rows), source=source)
    g.notes += [f"read as {tool} output, sample {sample!r}"] + notes
    return g


def read_typer_output(path: PathLike, *, sample_id: str | None) -> HLAGenotypes | None:
    """POLYSOLVER winners.hla.txt, HLA-HD final.result.txt and arcasHLA JSON; else None."""
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0 or p.stat().st_size > 1_000_000:
        return None
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        return None
    text = raw.decode("utf-8", "replace").strip()
    sample = sample_id or _default_sample(p)
    if text.startswith("{"):
        import json

        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"is not valid JSON ({exc.msg} at line {exc.lineno})",
                source=str(p),
                fix="give arcasHLA's genotype.json as written",
            ) from None
        if not isinstance(doc, dict):
            return None
        pairs = []
        for locus, value in doc.items():
            if not isinstance(value, list):
                continue
            if value and isinstance(value[0], list):
                raise InputError(
                    "is an arcasHLA EM file (allele groups with abundances), not a genotype",
                    source=str(p),
                    fix="give arcasHLA genotype's *.genotype.json",
                )
            pairs.append((locus, [str(v) for v in value]))
        return _genotype_rows(sample, pairs, str(p), "arcasHLA JSON")
    lines = [line.split("\t") for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if lines and all(len(f) == 1 and normalise_allele(f[0])[1] for f in lines):
        by_locus: dict[str, list[str]] = {}
        for f in lines:
            by_locus.setdefault(str(normalise_allele(f[0])[0]), []).append(f[0].strip())
        return _genotype_rows(sample, list(by_locus.items()), str(p), "allele list (LOHHLA hlas)")
    typed = [(m, f) for f in lines if len(f) >= 2 and (m := _TYPER_LINE.match(f[0].strip()))]
    if lines and len(typed) == len(lines):
        tool = "POLYSOLVER" if "hla_" in text.lower() else "HLA-HD"
        pairs = [(m.group(1), f[1:]) for m, f in typed]
        return _genotype_rows(sample, pairs, str(p), tool)
    return None


def is_optitype(df: pd.DataFrame) -> bool:
    cols = {c.strip() for c in df.columns}
    return {"A1", "A2", "B1", "B2", "C1", "C2"} <= cols and ("Reads" in cols or "Objective" in cols)


def optitype_frame(df: pd.DataFrame, path: PathLike, sample_id: str | None) -> pd.DataFrame:
    """OptiType *_result.tsv (one unnamed index column, A1..C2, Reads, Objective)."""
    out = df.copy()
    has_sample = any(c in out.columns for c in _LONG_COLUMNS["sample_id"])
    if not has_sample:
        sid = sample_id or _default_sample(path)
        if len(out) > 1:
            out.insert(0, "sample_id", [f"{sid}_{i}" for i in range(len(out))])
        else:
            out.insert(0, "sample_id", sid)
    out = out.drop(columns=[c for c in out.columns if c.startswith("Unnamed") or c in
                            ("Reads", "Objective")])  # fmt: skip
    return out
