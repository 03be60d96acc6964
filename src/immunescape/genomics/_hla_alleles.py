"""HLA class I allele names and genotype tables (:class:`HLAGenotypes`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._reading import frame_with_rows, pick_columns
from immunescape.genomics._sample_table import SampleTable

__all__ = ["HLAGenotypes", "normalise_allele"]

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
    # "subject": arcasHLA merge's genotypes.tsv
    "sample_id": ("sample_id", "Tumor_Sample_Barcode", "Sample", "sample", "Patient", "ID",
                  "subject"),
    "allele": ("allele", "hla_allele", "HLA", "Allele", "hla"),
}
#: A column named after one locus (``HLA-A``, ``A``, ``hla_a``) holding its alleles.
_LOCUS_COLUMN = re.compile(r"^(?:hla[-_. ]?)?([abc])$", re.IGNORECASE)
#: Separators of several alleles written in one cell (``A*02:01,A*24:02;B*07:02 B*44:02``).
_LIST_SEP = r"[,;\s]+"


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
class HLAGenotypes(SampleTable):
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

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        source: str = "<memory>",
    ) -> HLAGenotypes:
        """Build from a DataFrame (see :func:`read_hla`)."""
        df = frame_with_rows(frame, what="HLA table", fix="give one row per sample", source=source)
        wide = {c: _WIDE.match(c) for c in df.columns}
        wide_cols = {c: (m.group(1).upper(), m.group(2)) for c, m in wide.items() if m}
        lists: dict[str, str | None] = {}
        if not wide_cols and not (columns and "allele" in columns):
            lists = _list_columns(df, columns=columns, source=source)
        if lists:
            sid = _sample_column(df, columns=columns, others=list(lists), source=source)
            long = pd.concat([pd.DataFrame({"sample_id": df[sid], "allele_input": df[c],
                                            "col": c, "expected": locus})
                              for c, locus in lists.items()], ignore_index=True)  # fmt: skip
        elif wide_cols and not (columns and "allele" in columns):
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
        # several alleles in one cell are split (a list cell of any layout)
        long["allele_input"] = long["allele_input"].astype("string").str.strip().str.split(
            _LIST_SEP, regex=True)
        long = long.explode("allele_input")
        given = long["allele_input"].notna() & (long["allele_input"].astype(str) != "")
        long = long.loc[given].astype({"allele_input": object})
        parsed = [normalise_allele(v) for v in long["allele_input"]]
        long["locus"] = [p[0] for p in parsed]
        long["allele"] = [p[1] for p in parsed]
        long["resolution"] = [p[2] for p in parsed]
        notes: list[str] = []
        if lists:
            notes.append(f"alleles read from the lists in column(s) {', '.join(lists)}")
        bad = long["allele"].isna()
        if bad.any():
            examples = long.loc[bad, "allele_input"].astype(str).unique()[:3]
            first = long.loc[bad].iloc[0]
            raise InputError(
                f"{int(bad.sum())} HLA value(s) are not class I alleles, e.g. "
                f"{', '.join(repr(e) for e in examples)} (first: sample "
                f"{first['sample_id']!r}, column {first['col']!r})",
                source=source,
                fix="write alleles as HLA-A*02:01 (A, B and C loci only), one per cell or "
                "several separated by commas",
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


def _class_i_share(values: pd.Series) -> float:
    """Share of the words of a column (cells split at , ; and spaces) that are class I alleles."""
    words = values.dropna().iloc[:500].astype(str).str.split(_LIST_SEP, regex=True).explode()
    words = words[words != ""]
    if words.empty:
        return 0.0
    return float(np.mean([normalise_allele(w)[0] is not None for w in words]))


def _list_columns(
    df: pd.DataFrame, *, columns: Mapping[str, str] | None, source: str
) -> dict[str, str | None]:
    """Columns holding alleles when there is no allele column: name -> expected locus.

    Without a long ``allele`` column or wide ``HLA-A_1`` columns, a column most of whose words
    are class I alleles is read as lists of alleles (``A*02:01,A*24:02,B*07:02,...``), and so
    are columns named after one locus (``HLA-A``). Several list columns not named after a
    locus are ambiguous and refused; no such column gives the missing-column refusal.
    """
    lower = {c.lower() for c in df.columns}
    if any(a.lower() in lower for a in _LONG_COLUMNS["allele"]):
        return {}
    sample = (columns or {}).get("sample_id")
    names = {a.lower() for a in _LONG_COLUMNS["sample_id"]}
    skip = {sample} if sample else {c for c in df.columns if c.lower() in names}
    found = {c: (m.group(1).upper() if (m := _LOCUS_COLUMN.match(c)) else None)
             for c in df.columns if c not in skip and _class_i_share(df[c]) >= 0.5}
    if not found:
        raise InputError(
            "HLA genotype table is missing required column(s) for allele: no column holds "
            f"class I alleles (columns: {', '.join(repr(c) for c in list(df.columns)[:8])})",
            source=source,
            fix="give a column 'allele' with one allele per row and a sample column, or one "
            "row per sample with columns HLA-A_1, HLA-A_2, ..., HLA-C_2, or all alleles of a "
            "sample in one cell separated by commas",
        )
    unnamed = [c for c, locus in found.items() if locus is None]
    if len(unnamed) > 1:
        raise InputError(
            f"columns {', '.join(repr(c) for c in unnamed)} all hold HLA alleles, so it is "
            "unclear which is the genotype",
            source=source,
            fix="keep one allele column (or name per-locus columns HLA-A, HLA-B, HLA-C)",
        )
    return found


def _sample_column(
    df: pd.DataFrame, *, columns: Mapping[str, str] | None, others: list[str], source: str
) -> str:
    """Find the sample column beside allele-list columns: by name, else the only other one."""
    rest = [c for c in df.columns if c not in others]
    aliases = {"sample_id": _LONG_COLUMNS["sample_id"]}
    mapping = {k: v for k, v in (columns or {}).items() if k == "sample_id"}
    if mapping or any(c.lower() in {a.lower() for a in aliases["sample_id"]} for c in rest):
        return pick_columns(df[rest], aliases=aliases, mapping=mapping, required=("sample_id",),
                            source=source, what="HLA genotype table")["sample_id"]
    if len(rest) == 1:
        return rest[0]
    raise InputError(
        f"cannot tell which column holds the sample ids (columns: "
        f"{', '.join(repr(c) for c in rest[:8])})",
        source=source,
        fix="name the sample column 'sample_id'",
    )
