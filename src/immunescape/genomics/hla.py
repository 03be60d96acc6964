"""HLA class I: genotypes, allele-specific LOH and the features linked to ICB outcome.

Features (one row per sample, :func:`hla_features`):

- homozygosity per locus (A, B, C), the number of homozygous loci and whether any locus is
  homozygous: Chowell et al. 2018 (Science, PMID 29217585) found maximal heterozygosity at
  HLA-A, -B and -C associated with longer survival after checkpoint blockade. Alleles are
  compared at two-field (four-digit) resolution; one-field typings decide only when the
  allele groups differ.
- B44 and B62 supertype carriage (Chowell 2018: B44 favourable, B62 unfavourable), with the
  allele -> supertype assignments of Sidney et al. 2008 (BMC Immunol, PMID 18211710) vendored
  in ``genomics/data/hla_supertypes_sidney2008.tsv``. An allele the paper does not classify
  gives "unknown", not "no".
- LOH of any HLA class I allele from LOHHLA-style calls (McGranahan et al. 2017, Cell,
  PMID 29107330): an allele is lost when its copy number is < 0.5 and the allelic-imbalance
  p value is < 0.01.

HLA evolutionary divergence (HED; Chowell et al. 2019) needs the protein sequences of every
allele (IPD-IMGT/HLA), which are not available offline here: it is not computed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._reading import (
    PathLike,
    is_true,
    pick_columns,
    read_shipped_table,
    read_table,
    split_sample_path,
)

__all__ = [
    "HLAGenotypes",
    "read_hla",
    "read_hla_loh",
    "hla_loh_from_frame",
    "hla_features",
    "normalise_allele",
    "supertypes",
    "LOH_MAX_COPY_NUMBER",
    "LOH_MAX_P_VALUE",
]

#: LOHHLA rule (McGranahan et al. 2017): an allele with copy number below this is lost ...
LOH_MAX_COPY_NUMBER = 0.5
#: ... when the allelic-imbalance p value is below this.
LOH_MAX_P_VALUE = 0.01

_LOCI = ("A", "B", "C")
_SEP = re.compile(
    r"^(?:HLA[-_]?)?(?P<locus>[ABC])(?:\*|_)?(?P<f1>\d{2,3})(?:[:_](?P<f2>\d{2,4}))?"
    r"(?:[:_]\d{2,4})*(?P<suffix>[NLSCAQ])?$",
    re.IGNORECASE,
)
_COMPACT = re.compile(
    r"^(?:HLA[-_]?)?(?P<locus>[ABC])\*?(?P<digits>\d{4,8})(?P<suffix>[NLSCAQ])?$", re.IGNORECASE
)
_WIDE = re.compile(r"^(?:hla[-_. ]?)?([abc])[-_. ]?(?:allele[-_. ]?)?([12])$", re.IGNORECASE)
_LONG_COLUMNS: dict[str, tuple[str, ...]] = {
    "sample_id": ("sample_id", "Tumor_Sample_Barcode", "Sample", "sample", "Patient", "ID"),
    "allele": ("allele", "hla_allele", "HLA", "Allele", "hla"),
}
_LOH_COLUMNS: dict[str, tuple[str, ...]] = {
    "sample_id": ("sample_id", "region", "Sample", "sample", "Tumor_Sample_Barcode"),
    "allele": ("allele", "hla_allele", "Allele"),
    "copy_number": ("copy_number", "copyNum", "cn"),
    "p_value": ("p_value", "PVal_unique", "pvalue", "p"),
    "lost": ("lost", "loss", "loh", "LOH"),
}


def normalise_allele(value: object) -> tuple[str | None, str | None, int]:
    """Return (locus, allele, resolution) of an HLA class I allele name.

    The allele is written ``A*02:01`` (two fields) or ``A*02`` (one field); an expression
    suffix (``N`` null, ``L``, ``S``, ...) is kept.

    Parameters
    ----------
    value
        ``HLA-A*02:01:01``, ``A*0201``, ``hla_a_02_01_01`` (POLYSOLVER/LOHHLA), ``A02:01``...

    Returns
    -------
    tuple
        Locus (``"A"``, ``"B"``, ``"C"``) or None when not a class I allele; the normalised
        allele; the number of fields (0 when not recognised).

    Examples
    --------
    >>> normalise_allele("hla_b_44_02_01_01"), normalise_allele("HLA-A*0201")
    (('B', 'B*44:02', 2), ('A', 'A*02:01', 2))
    >>> normalise_allele("C*07"), normalise_allele("DRB1*01:01")
    (('C', 'C*07', 1), (None, None, 0))
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None, None, 0
    text = str(value).strip()
    if not text:
        return None, None, 0
    m = _COMPACT.match(text) if "*" in text or text[:1].isalpha() else None
    if m is not None and ":" not in text and "_" not in text:
        d = m["digits"]
        locus = m["locus"].upper()
        suffix = (m["suffix"] or "").upper()
        return locus, f"{locus}*{d[:2]}:{d[2:4]}{suffix}", 2
    m = _SEP.match(text)
    if m is None:
        return None, None, 0
    locus = m["locus"].upper()
    f1 = m["f1"].zfill(2)
    suffix = (m["suffix"] or "").upper()
    if m["f2"] is None:
        return locus, f"{locus}*{f1}{suffix}", 1
    return locus, f"{locus}*{f1}:{m['f2'].zfill(2)}{suffix}", 2


@dataclass(eq=False)
class HLAGenotypes:
    """HLA class I genotypes, long: one row per (sample, allele copy).

    Attributes
    ----------
    data
        Columns ``sample_id``, ``locus`` (A, B, C), ``allele`` (normalised), ``resolution``
        (fields) and ``allele_input`` (as given). A homozygous locus has two identical rows.
    source, notes
        Provenance.

    Examples
    --------
    >>> import pandas as pd
    >>> g = HLAGenotypes.from_frame(pd.DataFrame({"sample_id": ["S1"], "HLA-A_1": ["A*02:01"],
    ...     "HLA-A_2": ["A*02:01"], "HLA-B_1": ["B*44:02"], "HLA-B_2": ["B*07:02"],
    ...     "HLA-C_1": ["C*07:01"], "HLA-C_2": ["C*05:01"]}))
    >>> g.data["allele"].tolist()
    ['A*02:01', 'A*02:01', 'B*44:02', 'B*07:02', 'C*07:01', 'C*05:01']
    """

    data: pd.DataFrame
    source: str = "<memory>"
    notes: list[str] = field(default_factory=list)

    @property
    def samples(self) -> list[str]:
        """Sample ids, first-seen order."""
        return list(pd.unique(self.data["sample_id"]))

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        source: str = "<memory>",
    ) -> HLAGenotypes:
        """Build from a DataFrame (see :func:`read_hla`)."""
        if frame.empty:
            raise InputError(
                "the HLA table has no rows", source=source, fix="give one row per sample"
            )
        df = frame.copy()
        df.columns = [str(c) for c in df.columns]
        wide = {c: _WIDE.match(c) for c in df.columns}
        wide_cols = {c: (m.group(1).upper(), m.group(2)) for c, m in wide.items() if m}
        if wide_cols and not (columns and "allele" in columns):
            sid = pick_columns(
                df, aliases={"sample_id": _LONG_COLUMNS["sample_id"]},
                mapping={k: v for k, v in (columns or {}).items() if k == "sample_id"},
                required=("sample_id",), source=source, what="HLA genotype table",
            )["sample_id"]  # fmt: skip
            parts = []
            for c, (locus, _) in wide_cols.items():
                parts.append(pd.DataFrame({"sample_id": df[sid], "allele_input": df[c], "col": c,
                                           "expected": locus}))  # fmt: skip
            long = pd.concat(parts, ignore_index=True)
        else:
            found = pick_columns(
                df, aliases=_LONG_COLUMNS, mapping=columns, required=("sample_id", "allele"),
                source=source, what="HLA genotype table",
            )  # fmt: skip
            long = pd.DataFrame(
                {"sample_id": df[found["sample_id"]], "allele_input": df[found["allele"]],
                 "col": found["allele"], "expected": None}
            )  # fmt: skip
        long["sample_id"] = long["sample_id"].astype("string").str.strip().astype(object)
        given = long["allele_input"].notna() & (long["allele_input"].astype(str).str.strip() != "")
        long = long.loc[given]
        parsed = [normalise_allele(v) for v in long["allele_input"]]
        long["locus"] = [p[0] for p in parsed]
        long["allele"] = [p[1] for p in parsed]
        long["resolution"] = [p[2] for p in parsed]
        notes: list[str] = []
        bad = long["allele"].isna()
        if bad.any():
            examples = long.loc[bad, "allele_input"].astype(str).unique()[:3]
            raise InputError(
                f"{int(bad.sum())} HLA value(s) are not class I alleles, e.g. "
                f"{', '.join(repr(e) for e in examples)}",
                source=source,
                fix="write alleles as HLA-A*02:01 (A, B and C loci only)",
            )
        mismatch = long["expected"].notna() & (long["expected"] != long["locus"])
        if mismatch.any():
            row = long.loc[mismatch].iloc[0]
            raise InputError(
                f"column {row['col']!r} holds allele {row['allele_input']!r} of another locus",
                source=source,
                fix="put each locus's alleles in its own columns",
            )
        counts = long.groupby(["sample_id", "locus"]).size()
        if (counts > 2).any():
            sample, locus = counts[counts > 2].index[0]
            raise InputError(
                f"sample {sample!r} has more than two HLA-{locus} alleles",
                source=source,
                fix="give two alleles per locus (the same allele twice when homozygous)",
            )
        out = long[["sample_id", "locus", "allele", "resolution", "allele_input"]].reset_index(
            drop=True
        )
        return cls(data=out, source=source, notes=notes)


def read_hla(
    path: PathLike, *, columns: Mapping[str, str] | None = None, sample_id: str | None = None
) -> HLAGenotypes:
    r"""Read HLA class I genotypes: a table, or an HLA typing tool's own output.

    Typing tools' files are recognised by their content: POLYSOLVER ``winners.hla.txt``
    (``HLA-A<TAB>hla_a_24_02_01_01<TAB>...``), HLA-HD ``*_final.result.txt``
    (``A<TAB>HLA-A*02:01:01<TAB>HLA-A*24:02:01``; ``-`` = homozygous, ``Not typed`` skipped;
    more than two candidates: the first two distinct two-field alleles), arcasHLA
    ``*.genotype.json`` (``{"A": ["A*01:01:01", ...]}``; class II loci ignored) and OptiType
    ``*_result.tsv`` (columns ``A1``..``C2``, ``Reads``, ``Objective``). These hold one
    sample, named by ``sample_id`` or by the file name (``Pt1.genotype.json`` -> ``Pt1``;
    for a generic name such as ``winners.hla.txt``, by the folder holding it; on the command
    line ``--hla SAMPLE=FILE``).

    Accepted layouts: *wide*, one row per sample with a sample column and two columns per
    locus named like ``HLA-A_1``/``HLA-A_2``, ``A1``/``A2`` or ``hla_a_1``; or *long*, one row
    per allele with ``sample_id`` and ``allele``. Allele names as written by HLA typing tools
    are accepted (``HLA-A*02:01:01``, ``A*0201``, POLYSOLVER ``hla_a_02_01_01``). Give a
    homozygous locus as the same allele twice.

    Parameters
    ----------
    path
        The file.
    columns
        ``{"sample_id": ..., "allele": ...}`` for a long table with other column names.
    sample_id
        Sample of a single-sample typing tool output.

    Returns
    -------
    HLAGenotypes
        The genotypes.

    Raises
    ------
    InputError
        Unknown alleles, alleles in the wrong locus column, more than two alleles per locus.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "hla.tsv"
    >>> _ = f.write_text("sample_id\tallele\nS1\tHLA-B*15:01:01\nS1\thla_b_44_03\n")
    >>> read_hla(f).data["allele"].tolist()
    ['B*15:01', 'B*44:03']
    """
    given, path = split_sample_path(path)
    sample_id = sample_id or given
    typed = _read_typer_output(path, sample_id=sample_id)
    if typed is not None:
        return typed
    df, warnings = read_table(path, what="HLA genotype table")
    if sample_id is not None or _is_optitype(df):
        df = _optitype_frame(df, path, sample_id)
    g = HLAGenotypes.from_frame(df, columns=columns, source=str(path))
    g.notes.extend(warnings)
    return g


_TYPER_LINE = re.compile(r"^(?:HLA-)?(A|B|C|DRB1|DRB3|DRB4|DRB5|DQA1|DQB1|DPA1|DPB1|E|F|G)$", re.I)
_GENERIC_NAMES = re.compile(
    r"(\.genotype\.json|\.partial_genotype\.json|_result\.tsv|\.winners\.hla\.txt|"
    r"winners\.hla\.txt|_final\.result\.txt|final\.result\.txt|\.json|\.tsv|\.txt)$",
    re.IGNORECASE,
)


def _default_sample(path: PathLike) -> str:
    """Sample id from a typer's file name (``Pt1.genotype.json`` -> ``Pt1``), else its folder."""
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


def _read_typer_output(path: PathLike, *, sample_id: str | None) -> HLAGenotypes | None:
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


def _is_optitype(df: pd.DataFrame) -> bool:
    cols = {c.strip() for c in df.columns}
    return {"A1", "A2", "B1", "B2", "C1", "C2"} <= cols and ("Reads" in cols or "Objective" in cols)


def _optitype_frame(df: pd.DataFrame, path: PathLike, sample_id: str | None) -> pd.DataFrame:
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


def hla_loh_from_frame(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    sample_id: str | None = None,
    max_copy_number: float = LOH_MAX_COPY_NUMBER,
    max_p_value: float = LOH_MAX_P_VALUE,
    source: str = "<memory>",
) -> pd.DataFrame:
    """Allele-specific HLA LOH calls from a DataFrame (formats as in :func:`read_hla_loh`).

    Parameters
    ----------
    frame
        A LOHHLA ``HLAlossPrediction_CI`` table or a long table (one row per allele).
    columns
        Field -> column mapping for the long format (``sample_id``, ``allele``,
        ``copy_number``, ``p_value``, ``lost``).
    sample_id
        Sample of a single-sample LOHHLA table without ``region``.
    max_copy_number, max_p_value
        The LOH rule: lost when copy number < ``max_copy_number`` and p < ``max_p_value``.
    source
        Name for messages.

    Returns
    -------
    pandas.DataFrame
        ``sample_id``, ``locus``, ``allele``, ``copy_number``, ``p_value``, ``lost``.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = hla_loh_from_frame(pd.DataFrame({"sample_id": ["S1"], "allele": ["C*07:01"],
    ...                                          "copy_number": [0.3], "p_value": [0.004]}))
    >>> calls[["locus", "allele", "lost"]].values.tolist()
    [['C', 'C*07:01', True]]
    """
    if frame.empty:
        raise InputError("the HLA LOH table has no rows", source=source, fix="give the calls")
    df = frame.copy()
    df.columns = [str(c) for c in df.columns]
    if "HLA_A_type1" in df.columns and "HLA_A_type2" in df.columns:
        need = ["HLA_type1copyNum_withBAFBin", "HLA_type2copyNum_withBAFBin"]
        pcol = "PVal_unique" if "PVal_unique" in df.columns else "PVal"
        missing = [c for c in [*need, pcol] if c not in df.columns]
        if missing:
            raise InputError(
                f"LOHHLA table lacks column(s) {', '.join(missing)}",
                source=source,
                fix="give the *.HLAlossPrediction_CI file written by LOHHLA",
            )
        if "region" in df.columns:
            sid = df["region"]
        elif sample_id is not None:
            sid = pd.Series(sample_id, index=df.index)
        else:
            raise InputError(
                "LOHHLA table has no 'region' column naming the tumour sample",
                source=source,
                fix="pass sample_id=... for a single-sample LOHHLA file",
            )
        parts = []
        for k in ("1", "2"):
            parts.append(
                pd.DataFrame(
                    {
                        "sample_id": sid,
                        "allele_input": df[f"HLA_A_type{k}"],
                        "copy_number": df[f"HLA_type{k}copyNum_withBAFBin"],
                        "p_value": df[pcol],
                    }
                )
            )
        long = pd.concat(parts, ignore_index=True)
        long["lost_given"] = pd.NA
    else:
        found = pick_columns(
            df, aliases=_LOH_COLUMNS, mapping=columns, required=("sample_id", "allele"),
            source=source, what="HLA LOH table",
        )  # fmt: skip
        has_rule = "copy_number" in found and "p_value" in found
        if not has_rule and "lost" not in found:
            raise InputError(
                "HLA LOH table needs copy_number and p_value columns (or a lost column)",
                source=source,
                fix="add the allele copy number and the allelic-imbalance p value per allele",
            )
        long = pd.DataFrame(
            {"sample_id": df[found["sample_id"]], "allele_input": df[found["allele"]]}
        )
        long["copy_number"] = df[found["copy_number"]] if "copy_number" in found else np.nan
        long["p_value"] = df[found["p_value"]] if "p_value" in found else np.nan
        if "lost" in found:
            text = df[found["lost"]].astype("string").str.strip().str.lower()
            long["lost_given"] = text.map({"true": True, "false": False, "1": True, "0": False,
                                           "yes": True, "no": False})  # fmt: skip
        else:
            long["lost_given"] = pd.NA
    if sample_id is not None and "region" not in df.columns:
        long["sample_id"] = sample_id
    long["sample_id"] = long["sample_id"].astype("string").str.strip().astype(object)
    for c in ("copy_number", "p_value"):
        txt = long[c].astype("string").str.strip()
        num = pd.to_numeric(txt, errors="coerce")
        bad = num.isna() & txt.notna() & ~txt.str.upper().isin(["NA", "NAN", ""])
        if bad.any():
            raise InputError(
                f"HLA LOH column {c} has non-numeric values such as {txt[bad].iloc[0]!r}",
                source=source,
                fix="give numbers (NA when not estimable)",
            )
        long[c] = num.astype(float)
    parsed = [normalise_allele(v) for v in long["allele_input"]]
    long["locus"] = [p[0] for p in parsed]
    long["allele"] = [p[1] for p in parsed]
    if long["allele"].isna().any():
        ex = long.loc[long["allele"].isna(), "allele_input"].astype(str).iloc[0]
        raise InputError(
            f"HLA LOH allele {ex!r} is not a class I allele",
            source=source,
            fix="write alleles as HLA-A*02:01 or hla_a_02_01",
        )
    by_rule = (long["copy_number"] < max_copy_number) & (long["p_value"] < max_p_value)
    rule_known = long["copy_number"].notna() & long["p_value"].notna()
    given = long["lost_given"].astype("boolean")
    rule_call = pd.Series(by_rule.to_numpy(), index=long.index, dtype="boolean")
    rule_call[~rule_known.to_numpy()] = pd.NA
    long["lost"] = given.where(given.notna(), rule_call)
    out = long[["sample_id", "locus", "allele", "copy_number", "p_value", "lost"]]
    return out.drop_duplicates(["sample_id", "allele", "copy_number", "p_value"]).reset_index(
        drop=True
    )


def read_hla_loh(
    path: PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    sample_id: str | None = None,
    max_copy_number: float = LOH_MAX_COPY_NUMBER,
    max_p_value: float = LOH_MAX_P_VALUE,
) -> pd.DataFrame:
    r"""Read allele-specific HLA LOH calls.

    Accepted formats:

    arcasHLA-quant
        The results table with per-locus ``A_LOSS``/``B_LOSS``/``C_LOSS`` (true/false) and
        ``A_lost``/``B_lost``/``C_lost`` (the lost allele names); the first column is the
        sample. The tool's own calls are used as given.
    LOHHLA
        The ``*.HLAlossPrediction_CI`` table: ``region`` (tumour sample; or pass
        ``sample_id``), ``HLA_A_type1``, ``HLA_A_type2`` (allele names of the gene in that
        row), ``HLA_type1copyNum_withBAFBin``, ``HLA_type2copyNum_withBAFBin`` and
        ``PVal_unique`` (``PVal`` if absent).
    long
        One row per allele: ``sample_id``, ``allele``, ``copy_number``, ``p_value``, and/or a
        ``lost`` true/false column (your own calls, used as given).

    An allele is lost when copy number < ``max_copy_number`` and p < ``max_p_value``
    (McGranahan et al. 2017: 0.5 and 0.01).

    Parameters
    ----------
    path
        The file.
    columns
        Field -> column mapping for the long format.
    sample_id
        Sample of a single-sample LOHHLA file without ``region``.
    max_copy_number, max_p_value
        The LOH rule thresholds.

    Returns
    -------
    pandas.DataFrame
        ``sample_id``, ``locus``, ``allele``, ``copy_number``, ``p_value``, ``lost``
        (boolean; NA when neither a call nor the numbers are given).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "loh.tsv"
    >>> _ = f.write_text("sample_id\tallele\tcopy_number\tp_value\n"
    ...                  "S1\tA*02:01\t0.2\t0.001\nS1\tA*24:02\t1.4\t0.001\n")
    >>> read_hla_loh(f)[["allele", "lost"]].values.tolist()
    [['A*02:01', True], ['A*24:02', False]]
    """
    df, _ = read_table(path, what="HLA LOH table")
    if {"A_LOSS", "A_lost", "B_lost", "C_lost"} <= set(df.columns):
        return _arcashla_quant_loh(df, source=str(path))
    return hla_loh_from_frame(
        df,
        columns=columns,
        sample_id=sample_id,
        max_copy_number=max_copy_number,
        max_p_value=max_p_value,
        source=str(path),
    )


def _arcashla_quant_loh(df: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """arcasHLA-quant loss calls: ``X_LOSS`` true/false per locus, ``X_lost`` the lost allele(s).

    A locus with ``X_LOSS`` False gives one row with no allele and ``lost`` False, so the
    sample counts as assessed (``hla_loh`` False) without inventing allele names.
    """
    sid_col = df.columns[0]
    rows = []
    for _, r in df.iterrows():
        sample = str(r[sid_col]).strip()
        for locus in _LOCI:
            flag = str(r.get(f"{locus}_LOSS", "")).strip().lower()
            if flag not in ("true", "false"):
                continue
            if flag == "true":
                names = [a for a in str(r.get(f"{locus}_lost", "")).split(",") if a.strip()]
                alleles = list(dict.fromkeys(normalise_allele(a)[1] for a in names))
                for a in alleles:
                    if a is None:
                        raise InputError(
                            f"arcasHLA-quant lost allele {r.get(f'{locus}_lost')!r} of sample "
                            f"{sample!r} is not a class I allele name",
                            source=source,
                            fix="keep the X_lost columns as arcasHLA-quant wrote them",
                        )
                    rows.append((sample, locus, a, np.nan, np.nan, True))
            else:
                rows.append((sample, locus, None, np.nan, np.nan, False))
    if not rows:
        raise InputError(
            "arcasHLA-quant table has no A/B/C_LOSS value", source=source,
            fix="give the results table arcasHLA-quant wrote",
        )  # fmt: skip
    out = pd.DataFrame(rows, columns=["sample_id", "locus", "allele", "copy_number", "p_value",
                                      "lost"])  # fmt: skip
    out["lost"] = out["lost"].astype("boolean")
    return out


@cache
def supertypes() -> pd.DataFrame:
    """Return the Sidney et al. 2008 HLA-B supertype table (vendored data file).

    Returns
    -------
    pandas.DataFrame
        Indexed by two-field allele (``B*44:02``), columns ``supertype`` (``B07``, ``B08``,
        ``B27``, ``B44``, ``B58``, ``B62`` or ``unassigned``) and ``cross_checked``.

    Examples
    --------
    >>> supertypes().loc[["B*44:02", "B*15:01"], "supertype"].tolist()
    ['B44', 'B62']
    """
    return read_shipped_table("hla_supertypes_sidney2008.tsv").set_index("allele")


def _locus_homozygous(alleles: list[str], resolutions: list[int]) -> object:
    if len(alleles) != 2:
        return pd.NA
    if min(resolutions) >= 2:
        return alleles[0] == alleles[1]
    g1 = [a.split(":")[0] for a in alleles]
    return False if g1[0] != g1[1] else pd.NA


def hla_features(
    genotypes: HLAGenotypes | None = None,
    *,
    loh: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """HLA class I features per sample (the ``hla`` table).

    Parameters
    ----------
    genotypes
        HLA class I genotypes (:func:`read_hla`).
    loh
        Allele-specific LOH calls (:func:`read_hla_loh`).

    Returns
    -------
    pandas.DataFrame
        One row per sample: ``sample_id``, ``hla_a_homozygous``, ``hla_b_homozygous``,
        ``hla_c_homozygous`` (boolean, NA when a locus is not typed with two alleles),
        ``n_homozygous_loci`` (Int64, NA unless all three loci are known),
        ``any_homozygous`` (Chowell 2018's "homozygous at >= 1 locus"), ``b44_supertype``,
        ``b62_supertype`` (carrier of at least one allele of the supertype; NA when an allele
        is not classified by Sidney 2008), ``hla_loh`` (any class I allele lost; NA without
        LOH data) and ``hla_loh_alleles``.

    Examples
    --------
    >>> import pandas as pd
    >>> g = HLAGenotypes.from_frame(pd.DataFrame({"sample_id": ["S1"] * 6, "allele": [
    ...     "A*02:01", "A*02:01", "B*44:02", "B*15:01", "C*07:01", "C*05:01"]}))
    >>> row = hla_features(g).iloc[0]
    >>> bool(row.hla_a_homozygous), int(row.n_homozygous_loci), bool(row.b44_supertype)
    (True, 1, True)
    """
    if genotypes is None and loh is None:
        raise InputError(
            "no HLA input: give genotypes and/or LOH calls",
            source="hla_features",
            fix="pass genotypes=read_hla(...) and/or loh=read_hla_loh(...)",
        )
    samples: list[str] = []
    if genotypes is not None:
        samples += genotypes.samples
    if loh is not None:
        samples += [s for s in pd.unique(loh["sample_id"]) if s not in set(samples)]
    rows: dict[str, dict[str, object]] = {s: {"sample_id": s} for s in samples}
    table = supertypes()
    b44 = set(table.index[table["supertype"] == "B44"])
    b62 = set(table.index[table["supertype"] == "B62"])
    known = set(table.index)
    if genotypes is not None:
        for (sample, locus), grp in genotypes.data.groupby(["sample_id", "locus"], sort=False):
            rows[sample][f"hla_{locus.lower()}_homozygous"] = _locus_homozygous(
                grp["allele"].tolist(), grp["resolution"].tolist()
            )
            if locus == "B":
                alleles = [a.rstrip("NLSCAQ") for a in grp["allele"]]
                for name, members in (("b44_supertype", b44), ("b62_supertype", b62)):
                    if any(a in members for a in alleles):
                        rows[sample][name] = True
                    elif len(alleles) == 2 and all(a in known for a in alleles):
                        rows[sample][name] = False
                    else:
                        rows[sample][name] = pd.NA
    out = pd.DataFrame(list(rows.values()))
    for locus in _LOCI:
        col = f"hla_{locus.lower()}_homozygous"
        if col not in out:
            out[col] = pd.NA
        out[col] = out[col].astype("boolean")
    for col in ("b44_supertype", "b62_supertype"):
        if col not in out:
            out[col] = pd.NA
        out[col] = out[col].astype("boolean")
    hom = out[[f"hla_{x.lower()}_homozygous" for x in _LOCI]]
    complete = hom.notna().all(axis=1)
    n = hom.fillna(False).astype(int).sum(axis=1)
    out["n_homozygous_loci"] = pd.array(np.where(complete, n, 0), dtype="Int64")
    out.loc[~complete, "n_homozygous_loci"] = pd.NA
    anyh = hom.fillna(False).any(axis=1)
    out["any_homozygous"] = pd.array(
        [True if a else (False if c else pd.NA) for a, c in zip(anyh, complete, strict=True)],
        dtype="boolean",
    )
    if loh is not None:
        lost = loh.loc[is_true(loh["lost"])]
        lost_by = lost.groupby("sample_id")["allele"].agg(lambda s: ";".join(sorted(set(s))))
        called = loh.loc[loh["lost"].notna()].groupby("sample_id").size()
        out["hla_loh"] = pd.array(
            [True if s in lost_by.index else (False if s in called.index else pd.NA)
             for s in out["sample_id"]],
            dtype="boolean",
        )  # fmt: skip
        out["hla_loh_alleles"] = out["sample_id"].map(lost_by).fillna("")
    else:
        out["hla_loh"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["hla_loh_alleles"] = ""
    cols = [
        "sample_id",
        "hla_a_homozygous",
        "hla_b_homozygous",
        "hla_c_homozygous",
        "n_homozygous_loci",
        "any_homozygous",
        "b44_supertype",
        "b62_supertype",
        "hla_loh",
        "hla_loh_alleles",
    ]
    return out[cols]
