"""MAF variant classes and the Sequence Ontology -> MAF mapping (:func:`classify_variants`).

The vocabularies (MAF classes in severity order, the class sets, the accepted column names)
are data, in the shipped file ``genomics/data/maf_vocabulary.yaml``, read once at import
through :func:`immunescape._resources.read_resource` (so a damaged file raises
:class:`~immunescape.errors.ResourceError`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from immunescape._resources import REINSTALL, read_resource
from immunescape._yaml import YAMLError, safe_load
from immunescape.errors import InputError, ResourceError
from immunescape.genomics._reading import read_shipped_table, row_place

__all__ = [
    "classify_variants", "so_terms", "MAF_CLASSES", "NONSYNONYMOUS", "TRUNCATING", "MISSENSE",
    "INFRAME", "MAF_COLUMNS", "MISSING_VALUES",
]  # fmt: skip

_FILE = "maf_vocabulary.yaml"
_SETS = ("nonsynonymous", "truncating", "missense", "inframe")
#: Canonical mutation fields whose column names ``maf_vocabulary.yaml`` must give.
_FIELDS = (
    "sample_id", "gene", "variant_class", "hgvsp", "hgvsc", "chrom", "start", "end", "ref",
    "alt", "t_depth", "t_alt_count",
)  # fmt: skip


def _broken(problem: str) -> ResourceError:
    return ResourceError(
        f"the shipped file immunescape.genomics/data/{_FILE} {problem}; {REINSTALL}"
    )


def _strings(value: object, what: str) -> list[str]:
    """Return ``value`` if it is a non-empty list of distinct names, else raise ResourceError."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v for v in value)
        or len(set(value)) != len(value)
    ):
        raise _broken(f"must give {what} as a list of distinct names")
    return value


def _load_vocabulary() -> dict[str, Any]:
    """Read and check ``genomics/data/maf_vocabulary.yaml`` (checksum verified).

    Returns the MAF classes (a tuple, most severe first), the class sets (frozensets), the
    accepted column names per field (a dict of tuples, file order) and the missing-value
    tokens (a tuple); raises only
    :class:`~immunescape.errors.ResourceError` for a missing, corrupt or malformed file.
    """
    try:
        doc = safe_load(read_resource("immunescape.genomics", _FILE).decode("utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise _broken(f"cannot be parsed ({exc.__class__.__name__})") from None
    if not isinstance(doc, Mapping):
        raise _broken("must be a mapping with maf_classes, class_sets and maf_columns")
    classes = tuple(_strings(doc.get("maf_classes"), "maf_classes"))
    sets = doc.get("class_sets")
    if not isinstance(sets, Mapping) or set(sets) != set(_SETS):
        raise _broken(f"must give the class sets {', '.join(_SETS)}")
    class_sets: dict[str, frozenset[str]] = {}
    for name in _SETS:
        members = frozenset(_strings(sets[name], f"class set {name!r}"))
        if not members <= set(classes):
            raise _broken(f"puts classes outside maf_classes in class set {name!r}")
        class_sets[name] = members
    columns = doc.get("maf_columns")
    if not isinstance(columns, Mapping) or not columns:
        raise _broken("must give maf_columns as a mapping of field -> column names")
    if not all(isinstance(k, str) for k in columns) or not set(_FIELDS) <= set(columns):
        raise _broken(f"must give the column names of the fields {', '.join(_FIELDS)}")
    missing = doc.get("missing_values")
    if (
        not isinstance(missing, list)
        or not missing
        or not all(isinstance(v, str) for v in missing)
        or len({v.strip().upper() for v in missing}) != len(missing)
    ):
        raise _broken("must give missing_values as a list of distinct strings")
    return {
        "classes": classes,
        "sets": class_sets,
        "columns": {k: tuple(_strings(v, f"the columns of {k!r}")) for k, v in columns.items()},
        "missing": tuple(missing),
    }


_VOCABULARY = _load_vocabulary()

#: MAF Variant_Classification values (GDC MAF specification), most severe first (the order
#: decides which row of a duplicated variant is kept); data: ``maf_vocabulary.yaml``.
MAF_CLASSES: tuple[str, ...] = _VOCABULARY["classes"]
#: Protein-changing classes: the common TMB definition (maftools' non-synonymous classes).
NONSYNONYMOUS: frozenset[str] = _VOCABULARY["sets"]["nonsynonymous"]
#: Classes that truncate or abolish the protein: nonsense, frameshift, canonical splice site,
#: start lost, stop lost (nonstop).
TRUNCATING: frozenset[str] = _VOCABULARY["sets"]["truncating"]
MISSENSE: frozenset[str] = _VOCABULARY["sets"]["missense"]
INFRAME: frozenset[str] = _VOCABULARY["sets"]["inframe"]
#: Accepted column names per canonical mutation field, in order of preference (GDC/TCGA MAF
#: first); data: ``maf_vocabulary.yaml``. Re-exported by :mod:`immunescape.genomics.mutations`.
MAF_COLUMNS: dict[str, tuple[str, ...]] = _VOCABULARY["columns"]
#: Cell values every genomic table reader reads as missing (trimmed, any letter case); data:
#: ``maf_vocabulary.yaml``, which says which tool writes which. Used through
#: :func:`immunescape.genomics._numeric.parse_numeric`.
MISSING_VALUES: tuple[str, ...] = _VOCABULARY["missing"]
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
    lines: np.ndarray | None = None,
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
    lines
        File line of each value, to name the first bad row (else its data row).

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
        first = row_place(int(np.flatnonzero(values.isna().to_numpy(dtype=bool))[0]), lines)
        raise InputError(
            f"{n} mutation row(s) have no variant class (first: {first})",
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
        first = row_place(int(np.flatnonzero(text.isin(unknown).to_numpy(dtype=bool))[0]), lines)
        raise InputError(
            f"unknown variant class(es) {shown}{more} (first: {first})",
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
