"""Per-mutation tables: MAF files and other mutation lists, normalised to one schema.

A :class:`MutationTable` has one row per (sample, variant) with canonical columns
(``sample_id``, ``gene``, ``variant_class`` as a MAF ``Variant_Classification``, parsed HGVSp,
alleles, read counts) plus every extra column of the input. Variant classes may be given as
MAF classes or as Sequence Ontology consequence terms (VEP/SnpEff, combined with ``&``); the
SO -> MAF mapping is the data file ``genomics/data/so_terms.tsv``; the MAF classes and the
accepted column names (:data:`MAF_COLUMNS`) are in ``genomics/data/maf_vocabulary.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import get_args

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape._validate import check_choice
from immunescape._vocab import OnMalformedHgvs
from immunescape.errors import InputError
from immunescape.genomics._numeric import parse_numeric
from immunescape.genomics._reading import (
    PathLike,
    check_chromosomes,
    frame_with_rows,
    map_unique,
    normalise_chrom,
    pick_columns,
    read_table_lines,
    row_place,
    with_sample_col,
)
from immunescape.genomics._sample_table import SampleTable
from immunescape.genomics._variant_classes import (
    _SEVERITY,
    INFRAME,
    MAF_CLASSES,
    MAF_COLUMNS,
    MISSENSE,
    NONSYNONYMOUS,
    TRUNCATING,
    classify_variants,
    so_terms,
)
from immunescape.genomics.hgvs import parse_hgvsp

__all__ = [
    "MutationTable",
    "read_maf",
    "classify_variants",
    "so_terms",
    "MAF_CLASSES",
    "NONSYNONYMOUS",
    "TRUNCATING",
    "MISSENSE",
    "INFRAME",
    "MAF_COLUMNS",
    "MALFORMED_HGVS_OPTIONS",
    "OnMalformedHgvs",
]

#: Values of ``on_malformed_hgvs`` / ``--malformed-hgvs``: ``warn`` (default) reads a minority
#: of malformed HGVSp values as missing and lists their rows (a majority is refused: the column
#: is probably something else); ``raise`` refuses any; ``blank`` reads any number as missing.
MALFORMED_HGVS_OPTIONS: tuple[str, ...] = get_args(OnMalformedHgvs)


_REQUIRED = ("sample_id", "gene", "variant_class")
_INTS = ("start", "end", "t_depth", "t_alt_count")


def _as_int64(num: pd.Series) -> pd.Series:
    """Whole numbers (int or float with NaN) as a nullable Int64 column, built directly."""
    if isinstance(num.dtype, pd.Int64Dtype):
        return num
    values = num.to_numpy(dtype=float, na_value=np.nan)
    mask = np.isnan(values)
    data = np.where(mask, 0, values).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(data, mask), index=num.index)


@dataclass(eq=False)
class MutationTable(SampleTable):
    """Somatic mutations in one schema.

    Attributes
    ----------
    data
        One row per input mutation. Canonical columns: ``sample_id``, ``gene`` (current HGNC
        symbol when the offline resolver knows it), ``gene_input`` (as given),
        ``variant_class`` (MAF class), ``consequence`` (as given), ``hgvsp`` (as given),
        ``hgvsp_short``, ``hgvs_kind``, ``ref_aa``, ``prot_start``, ``prot_end``, ``alt_aa``
        and, when present in the input, ``hgvsc``, ``chrom``, ``start``, ``end``, ``ref``,
        ``alt``, ``t_depth``, ``t_alt_count``; every other input column is kept as is.
    source
        File name (or ``<memory>``).
    columns
        Canonical field -> input column actually used.
    notes
        What was done on reading (for run.json).
    malformed_hgvsp_rows
        1-based data rows (the first row after the header is 1) whose HGVSp was not protein
        HGVS and was read as missing.

    Examples
    --------
    >>> import pandas as pd
    >>> mt = MutationTable.from_frame(pd.DataFrame({
    ...     "Tumor_Sample_Barcode": ["S1"], "Hugo_Symbol": ["BRAF"],
    ...     "Variant_Classification": ["Missense_Mutation"], "HGVSp_Short": ["p.V600E"]}))
    >>> mt.data[["sample_id", "gene", "variant_class", "prot_start"]].values.tolist()
    [['S1', 'BRAF', 'Missense_Mutation', 600.0]]
    """

    columns: dict[str, str] = field(default_factory=dict)
    malformed_hgvsp_rows: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.data)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        source: str = "<memory>",
        resolve_genes: bool = True,
        on_malformed_hgvs: OnMalformedHgvs = "warn",
        lines: np.ndarray | None = None,
        allow_empty: bool = False,
    ) -> MutationTable:
        """Build a table from a DataFrame (see :func:`read_maf` for the parameters).

        ``lines`` gives the file line of each row (set by :func:`read_maf`): messages about
        a row name its line rather than its data row.
        """
        check_choice("on_malformed_hgvs", on_malformed_hgvs, OnMalformedHgvs)
        df = frame.rename(columns=str) if allow_empty and len(frame.columns) else frame_with_rows(
            frame, what="mutation table", source=source, deep=False,
            fix="give at least one mutation (samples without mutations are listed with "
            "samples=... in compute_tmb)",
        )  # fmt: skip
        found = pick_columns(
            df, aliases=MAF_COLUMNS, mapping=columns, required=_REQUIRED, source=source,
            what="mutation table",
        )  # fmt: skip
        notes: list[str] = []
        # a dict of columns until the end: a DataFrame would be consolidated twice
        out: dict[str, pd.Series] = {key: df[col] for key, col in found.items()}
        for key in ("sample_id", "gene"):
            out[key] = map_unique(out[key], lambda u: u.astype(str).str.strip())
        bad = (out["sample_id"].isna() | (out["sample_id"] == "")).to_numpy(dtype=bool)
        if bad.any():
            rows = np.flatnonzero(bad)
            places = ", ".join(row_place(int(i), lines) for i in rows[:3])
            comment = str(df.iloc[rows[0], 0]).startswith("#")
            raise InputError(
                f"{len(rows)} mutation row(s) have no sample id (column "
                f"{found['sample_id']!r}; {places}{' ...' if len(rows) > 3 else ''})"
                + (f"; {row_place(int(rows[0]), lines)} is a '#' comment line inside the data, "
                   "as when files are concatenated" if comment else ""),
                source=source,
                fix="remove the '#' lines after the header" if comment else
                "fill the sample id of every row or remove those rows",
            )
        for key in _INTS:
            if key in out:
                col = parse_numeric(out[key])
                num = col.numbers
                frac = num.notna() & (num % 1 != 0)
                if frac.any():
                    first = row_place(int(np.flatnonzero(frac.to_numpy(dtype=bool))[0]), lines)
                    raise InputError(
                        f"column {found[key]!r} ({key}) has a value that is not a whole number "
                        f"({float(num[frac].iloc[0])!r}, {first})",
                        source=source,
                        fix="give whole numbers, or map another column",
                    )
                if col.bad.any():
                    first = row_place(int(np.flatnonzero(col.bad.to_numpy(dtype=bool))[0]), lines)
                    raise InputError(
                        f"column {found[key]!r} ({key}) has non-numeric values such as "
                        f"{col.shown()} (first: {first})",
                        source=source,
                        fix="give whole numbers (NA where unknown), or map another column",
                    )
                neg = num < 0
                if neg.any():
                    row = int(np.flatnonzero(neg.to_numpy(dtype=bool))[0])
                    raise InputError(
                        f"column {found[key]!r} ({key}) has a negative value "
                        f"({out[key][neg].iloc[0]}, {row_place(row, lines)})",
                        source=source,
                        fix="positions and read counts are >= 0; correct or remove the row",
                    )
                out[key] = _as_int64(num)
        if "chrom" in out:
            check_chromosomes(out["chrom"], source=source, column=found["chrom"])
            out["chrom"] = normalise_chrom(out["chrom"])
        out["consequence"] = out["variant_class"]
        out["variant_class"] = classify_variants(
            out["variant_class"],
            ref=out.get("ref"),
            alt=out.get("alt"),
            hgvsc=out.get("hgvsc"),
            source=source,
            lines=lines,
        )
        malformed_rows: list[int] = []
        if "hgvsp" in out:
            parsed = parse_hgvsp(out["hgvsp"])
            malformed = parsed["malformed"].to_numpy(dtype=bool)
            if malformed.any():
                n_bad = int(malformed.sum())
                n_given = int(out["hgvsp"].notna().sum())
                examples = out["hgvsp"][malformed].astype(str).unique()[:3]
                malformed_rows = [int(i) + 1 for i in np.flatnonzero(malformed)]
                shown = ", ".join(repr(e) for e in examples)
                rows_txt = ", ".join(str(r) for r in malformed_rows[:10]) + (
                    " ..." if len(malformed_rows) > 10 else ""
                )
                if on_malformed_hgvs == "raise" or (
                    on_malformed_hgvs == "warn" and 2 * n_bad > n_given
                ):
                    most = "" if on_malformed_hgvs == "raise" else (
                        f" (most of the {n_given} values, so the column is probably not HGVSp)"
                    )
                    if lines is not None:
                        rows_txt = ("line " if n_bad == 1 else "lines ") + ", ".join(
                            str(lines[r - 1]) for r in malformed_rows[:10]) + (
                            " ..." if len(malformed_rows) > 10 else "")
                    else:
                        rows_txt = "data rows " + rows_txt
                    raise InputError(
                        f"{n_bad} value(s) of column {found['hgvsp']!r} are not protein HGVS"
                        f"{most}, e.g. {shown} ({rows_txt})",
                        source=source,
                        fix="correct them (form p.V600E or p.Val600Glu), map another column, "
                        "or read them as missing with --malformed-hgvs blank "
                        "(Python: on_malformed_hgvs='blank')",
                    )
                notes.append(
                    f"{n_bad} malformed HGVSp value(s) read as missing, the variant classified "
                    f"from {found['variant_class']!r} (e.g. {shown}; data rows {rows_txt})"
                )
            parsed = parsed.drop(columns="malformed")
        else:
            parsed = parse_hgvsp(pd.Series(np.nan, index=df.index, dtype=object)).drop(
                columns="malformed"
            )
            notes.append("no HGVSp column: hotspot calls use HGVSc codons where possible")
        parsed = parsed.rename(columns={"kind": "hgvs_kind"})
        # one DataFrame built at the end (column-by-column insertion re-consolidates blocks)
        columns_out: dict[str, pd.Series] = dict(out)
        columns_out.update({c: parsed[c] for c in parsed.columns})
        columns_out["gene_input"] = out["gene"]
        if resolve_genes:
            columns_out["gene"], note = _resolve_genes(out["gene"])
            if note:
                notes.append(note)
        extras = [c for c in df.columns if c not in found.values() and c not in columns_out]
        columns_out.update({c: df[c] for c in extras})
        table = pd.DataFrame(columns_out, index=df.index)
        if not table.index.equals(pd.RangeIndex(len(table))):
            table = table.reset_index(drop=True)
        no_hgvsc = "hgvsc" not in table or table["hgvsc"].isna().all()
        if ("start" not in table or table["start"].isna().all()) and no_hgvsc and table[
                "hgvsp_short"].isna().all():
            notes.append("no positions (Chromosome/Start_Position) and no HGVS change: every "
                         "row counts as one mutation (duplicated rows cannot be recognised)")
        logger.info("%s: %d mutations in %d samples", source, len(table),
                    table["sample_id"].nunique())  # fmt: skip
        return cls(data=table, source=source, columns=dict(found), notes=notes,
                   malformed_hgvsp_rows=malformed_rows)  # fmt: skip

    def variant_key_columns(self) -> list[str]:
        """Return the columns that identify a variant within its sample.

        Sample + chromosome + start + alleles when they are present (else + HGVSc, else +
        end); without positions, sample + gene + HGVSp (or HGVSc).
        """
        d = self.data
        if "chrom" in d and "start" in d and d["start"].notna().any():
            cols = ["sample_id", "chrom", "start"]
            if "ref" in d and "alt" in d:
                return cols + ["ref", "alt"]
            if "hgvsc" in d:
                return cols + ["hgvsc"]
            return cols + (["end"] if "end" in d else [])
        if d["hgvsp_short"].notna().any():
            return ["sample_id", "gene", "hgvsp_short"]
        return ["sample_id", "gene"] + (["hgvsc"] if "hgvsc" in d else [])

    def deduplicated(self) -> tuple[MutationTable, int]:
        """Return the table with one row per variant, and the number of rows dropped.

        Among duplicate rows of one variant the most severe class is kept (MAF order); the
        result is cached, so TMB and event calls share one pass. A variant is identified by
        :meth:`variant_key_columns`; without positions, a row with no HGVS change is never
        merged (each such row counts as one mutation).

        Examples
        --------
        >>> import pandas as pd
        >>> mt = MutationTable.from_frame(pd.DataFrame({
        ...     "Tumor_Sample_Barcode": ["S1", "S1"], "Hugo_Symbol": ["TP53", "TP53"],
        ...     "Variant_Classification": ["Missense_Mutation"] * 2,
        ...     "Chromosome": ["17", "17"], "Start_Position": [7577120, 7577120],
        ...     "Reference_Allele": ["C", "C"], "Tumor_Seq_Allele2": ["T", "T"]}),
        ...     resolve_genes=False)
        >>> len(mt.deduplicated()[0]), mt.deduplicated()[1]
        (1, 1)
        """
        cached = self.__dict__.get("_dedup")
        if cached is not None and cached[0] is self.data:
            return cached[1], cached[2]
        cols = self.variant_key_columns()
        keys = self.data[cols]
        if "start" not in cols:
            # without positions a row names its variant only by its HGVS change; rows lacking
            # it are each one mutation (identical gene/class rows are, in TCGA MAFs, distinct
            # positions: merging them undercounts TMB)
            weak = keys[cols[2:]].isna().any(axis=1) if cols[2:] else pd.Series(True, keys.index)
            if weak.any():
                keys = keys.assign(_row=np.where(weak, np.arange(len(keys)), -1))
        severity = self.data["variant_class"].map(_SEVERITY).to_numpy()
        order = np.argsort(severity, kind="stable")
        dup_sorted = keys.iloc[order].duplicated(keep="first").to_numpy()
        drop = np.zeros(len(self.data), dtype=bool)
        drop[order[dup_sorted]] = True
        if not drop.any():
            result: tuple[MutationTable, int] = (self, 0)
        else:
            kept = self.data.loc[~drop].reset_index(drop=True)
            result = (replace(self, data=kept), int(drop.sum()))
        self.__dict__["_dedup"] = (self.data, *result)
        return result


def _resolve_genes(genes: pd.Series) -> tuple[pd.Series, str | None]:
    """Map symbols to current HGNC symbols with the offline resolver (kept when unknown)."""
    try:
        from immunescape.genes import resolve_identifiers
    except ImportError:  # pragma: no cover - the resolver ships with the package
        return genes, "gene resolver unavailable: symbols used as given"
    uniq = [u for u in pd.unique(genes.dropna()) if u]
    if not uniq:
        return genes, None
    res = resolve_identifiers(uniq)
    mapping = {u: (s if s else u) for u, s in zip(uniq, res.symbols, strict=True)}
    changed = {u: s for u, s in mapping.items() if u != s}
    out = genes.map(mapping).where(genes.notna(), genes)
    note = None
    if changed:
        shown = ", ".join(f"{k}->{v}" for k, v in list(changed.items())[:5])
        note = f"{len(changed)} gene symbol(s) updated to current HGNC symbols ({shown})"
    return out, note


def read_maf(
    path: PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    sample_col: str | None = None,
    resolve_genes: bool = True,
    on_malformed_hgvs: OnMalformedHgvs = "warn",
    allow_empty: bool = False,
) -> MutationTable:
    r"""Read a MAF file or another per-mutation table.

    GDC/TCGA MAF columns are found by name (``Hugo_Symbol``, ``Tumor_Sample_Barcode``,
    ``Variant_Classification``, ``HGVSp_Short``, ``Chromosome``, ``Start_Position``,
    ``Reference_Allele``, ``Tumor_Seq_Allele2``, ``t_depth``, ``t_alt_count``); other tables
    need a ``columns`` mapping. Extra columns are kept. Leading ``#`` lines, gzip, CR/CRLF
    line endings and comma/tab delimiters are accepted.

    Parameters
    ----------
    path
        The file.
    columns
        Canonical field -> column name, for fields whose column is not found by name. Fields:
        ``sample_id``, ``gene``, ``variant_class`` (required), ``hgvsp``, ``hgvsc``,
        ``chrom``, ``start``, ``end``, ``ref``, ``alt``, ``t_depth``, ``t_alt_count``.
    sample_col
        The sample-id column (the same as ``columns={"sample_id": ...}``; it wins).
    resolve_genes
        Map gene symbols to current HGNC symbols with the offline resolver.
    on_malformed_hgvs
        ``"warn"`` (default): a minority of HGVSp values that are not protein HGVS are read
        as missing, the variants classified from their variant class, and the data rows are
        listed in ``notes`` and ``malformed_hgvsp_rows`` (a majority is refused: the column
        is probably not HGVSp); ``"raise"``: any is refused; ``"blank"``: all are read as
        missing.
    allow_empty
        Accept a header without rows (no mutation in any sample; which samples were
        sequenced must then be said otherwise, e.g. ``--dna-samples all``).

    Returns
    -------
    MutationTable
        The mutations.

    Raises
    ------
    InputError
        Missing file or required column, no rows, unknown variant classes, malformed HGVSp
        (see ``on_malformed_hgvs``), negative positions or read counts, impossible
        chromosomes (``chr23``, ``0``, ``25``), a row repeating the header (concatenated
        files); a bad row is named by its line in the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "riaz.csv"
    >>> _ = f.write_text("Patient,Hugo Symbol,Variant Classification,HGVS_p\n"
    ...                  "Pt1,PTEN,stop_gained,p.Arg406*\n")
    >>> mt = read_maf(f, sample_col="Patient", columns={"gene": "Hugo Symbol",
    ...               "variant_class": "Variant Classification", "hgvsp": "HGVS_p"})
    >>> mt.data[["sample_id", "variant_class", "hgvsp_short"]].values.tolist()
    [['Pt1', 'Nonsense_Mutation', 'p.R406*']]
    """
    columns = with_sample_col(columns, sample_col)
    numeric = {n for k in _INTS for n in MAF_COLUMNS[k]}
    if columns:
        numeric |= {v for k, v in columns.items() if k in _INTS}
    df, warnings, lines = read_table_lines(path, what="MAF", numeric=numeric, allow_empty=True)
    if df.empty and not allow_empty:
        raise InputError(
            "has a header but no rows: no sample has a mutation, so none is known to have "
            "been sequenced",
            source=str(path),
            fix="if every expression sample was sequenced, pass --dna-samples all (run, "
            "compare, predict: TMB 0 for each); otherwise give a MAF with at least one row",
        )
    mt = MutationTable.from_frame(
        df,
        columns=columns,
        source=str(path),
        resolve_genes=resolve_genes,
        on_malformed_hgvs=on_malformed_hgvs,
        lines=lines,
        allow_empty=True,
    )
    mt.notes.extend(warnings)
    return mt
