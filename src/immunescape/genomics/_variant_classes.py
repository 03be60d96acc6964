"""MAF variant classes and the Sequence Ontology -> MAF mapping (:func:`classify_variants`)."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._reading import read_shipped_table

__all__ = [
    "classify_variants", "so_terms", "MAF_CLASSES", "NONSYNONYMOUS", "TRUNCATING", "MISSENSE",
    "INFRAME",
]  # fmt: skip

#: MAF Variant_Classification values, most severe first (the order decides which row of a
#: duplicated variant is kept).
MAF_CLASSES: tuple[str, ...] = (
    "Nonsense_Mutation",
    "Frame_Shift_Del",
    "Frame_Shift_Ins",
    "Splice_Site",
    "Translation_Start_Site",
    "Nonstop_Mutation",
    "In_Frame_Del",
    "In_Frame_Ins",
    "Missense_Mutation",
    "Splice_Region",
    "Silent",
    "De_novo_Start_InFrame",
    "De_novo_Start_OutOfFrame",
    "5'UTR",
    "3'UTR",
    "RNA",
    "Intron",
    "5'Flank",
    "3'Flank",
    "IGR",
    "Targeted_Region",
)
#: Protein-changing classes: the common TMB definition (maftools' non-synonymous classes).
NONSYNONYMOUS = frozenset(
    {
        "Missense_Mutation",
        "Nonsense_Mutation",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "In_Frame_Del",
        "In_Frame_Ins",
        "Splice_Site",
        "Nonstop_Mutation",
        "Translation_Start_Site",
    }
)
#: Classes that truncate or abolish the protein: nonsense, frameshift, canonical splice site,
#: start lost, stop lost (nonstop).
TRUNCATING = frozenset(
    {
        "Nonsense_Mutation",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "Splice_Site",
        "Translation_Start_Site",
        "Nonstop_Mutation",
    }
)
MISSENSE = frozenset({"Missense_Mutation"})
INFRAME = frozenset({"In_Frame_Del", "In_Frame_Ins"})
_SEVERITY = {c: i for i, c in enumerate(MAF_CLASSES)}


@cache
def so_terms() -> pd.DataFrame:
    """Return the Sequence Ontology -> MAF class table (``genomics/data/so_terms.tsv``).

    Returns
    -------
    pandas.DataFrame
        Indexed by SO term, columns ``rank`` (Ensembl VEP severity, 1 = most severe),
        ``maf_class`` and ``note``.

    Examples
    --------
    >>> so_terms().loc["stop_gained", "maf_class"]
    'Nonsense_Mutation'
    """
    return read_shipped_table("so_terms.tsv", dtype={"note": str}).set_index("term")


def _class_of_value(value: str, table: pd.DataFrame) -> str | None:
    v = value.strip()
    maf_lower = {c.lower(): c for c in MAF_CLASSES}
    if v.lower() in maf_lower:
        return maf_lower[v.lower()]
    terms = [t.strip() for t in re.split(r"[&,]", v) if t.strip()]
    if not terms:
        return None
    lower_index = {t.lower(): t for t in table.index}
    best: tuple[int, str] | None = None
    for t in terms:
        key = t if t in table.index else lower_index.get(t.lower())
        if key is None:
            return None
        rank = int(table.at[key, "rank"])
        if best is None or rank < best[0]:
            best = (rank, str(table.at[key, "maf_class"]))
    return None if best is None else best[1]


def classify_variants(
    values: pd.Series,
    *,
    ref: pd.Series | None = None,
    alt: pd.Series | None = None,
    hgvsc: pd.Series | None = None,
    source: str = "<memory>",
) -> pd.Series:
    """Map MAF classes or Sequence Ontology consequence terms to MAF classes.

    Combined SO terms (``missense_variant&splice_region_variant``) take the most severe term
    (Ensembl VEP order). ``frameshift_variant`` becomes ``Frame_Shift_Ins`` when the
    alternate allele is longer than the reference (or the HGVSc says ``ins``/``dup`` when the
    alleles are absent), else ``Frame_Shift_Del``. ``protein_altering_variant`` becomes an
    in-frame or frameshift insertion/deletion from the allele lengths, and
    ``Missense_Mutation`` (never truncating) when the alleles are absent.

    Parameters
    ----------
    values
        Variant classes, one per mutation.
    ref, alt
        Reference and alternate alleles (``-`` or empty for none), aligned with ``values``.
    hgvsc
        Coding HGVS, used only for frameshifts without alleles.
    source
        File name for messages.

    Returns
    -------
    pandas.Series
        MAF classes, same index.

    Raises
    ------
    InputError
        If values are missing or are neither MAF classes nor known SO terms.

    Examples
    --------
    >>> import pandas as pd
    >>> classify_variants(pd.Series(["stop_gained&splice_region_variant", "Silent",
    ...                              "splice_acceptor_variant&intron_variant"])).tolist()
    ['Nonsense_Mutation', 'Silent', 'Splice_Site']
    """
    table = so_terms()
    if values.isna().any():
        n = int(values.isna().sum())
        raise InputError(
            f"{n} mutation row(s) have no variant class",
            source=source,
            fix="fill the variant class column (MAF Variant_Classification or SO terms) "
            "or remove those rows",
        )
    text = values.astype(str)
    uniq = pd.unique(text)
    mapping = {u: _class_of_value(u, table) for u in uniq}
    unknown = [u for u, c in mapping.items() if c is None]
    if unknown:
        counts = text[text.isin(unknown)].value_counts()
        shown = ", ".join(f"{k!r} ({v} rows)" for k, v in counts.head(4).items())
        more = f" and {len(unknown) - 4} more" if len(unknown) > 4 else ""
        raise InputError(
            f"unknown variant class(es) {shown}{more}",
            source=source,
            fix="use MAF Variant_Classification values (e.g. Missense_Mutation) or Sequence "
            "Ontology terms (e.g. missense_variant); see docs/genomics.md for the list",
        )
    out = text.map(mapping)
    special = out.isin(["Frame_Shift", "Protein_Altering"])
    if special.any():
        out = out.copy()
        idx = out.index[special]
        if ref is not None and alt is not None:
            r = ref.loc[idx].fillna("").astype(str).replace("-", "")
            a = alt.loc[idx].fillna("").astype(str).replace("-", "")
            have = (r != "") | (a != "")
            lr, la = r.str.len(), a.str.len()
        else:
            have = pd.Series(False, index=idx)
            lr = la = pd.Series(0, index=idx)
        ins = la > lr
        inframe = ((la - lr).abs() % 3) == 0
        fs_rows = out.loc[idx] == "Frame_Shift"
        if hgvsc is not None:
            hins = hgvsc.loc[idx].fillna("").astype(str).str.contains(r"ins|dup", regex=True)
        else:
            hins = pd.Series(False, index=idx)
        fs_ins = np.where(have, ins, hins)
        fs_class = np.where(fs_ins, "Frame_Shift_Ins", "Frame_Shift_Del")
        pa_class = np.where(
            have,
            np.where(
                inframe,
                np.where(ins, "In_Frame_Ins", "In_Frame_Del"),
                np.where(ins, "Frame_Shift_Ins", "Frame_Shift_Del"),
            ),
            "Missense_Mutation",
        )
        out.loc[idx] = np.where(fs_rows, fs_class, pa_class)
    return out
