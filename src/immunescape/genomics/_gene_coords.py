"""Gene positions (given or vendored) and gene-level calls from segments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._cna import _GENE_NAMES, GeneCNA
from immunescape.genomics._numeric import parse_numeric
from immunescape.genomics._reading import (
    PathLike,
    normalise_chrom,
    pick_columns,
    read_shipped_table,
    read_table,
)
from immunescape.genomics._segments import Segments
from immunescape.genomics.mutations import _resolve_genes

__all__ = [
    "read_gene_coords", "gene_coordinates", "gene_calls_from_segments", "canonical_build",
    "VENDORED_BUILDS", "LOG2_DEEP_DELETION", "LOG2_LOSS", "LOG2_GAIN",
]  # fmt: skip

_GENE_COORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "gene": _GENE_NAMES,
    "chrom": ("chrom", "chromosome", "Chromosome", "chr", "seqname"),
    "start": ("start", "Start", "txStart", "gene_start"),
    "end": ("end", "End", "txEnd", "gene_end"),
}


def read_gene_coords(
    path: PathLike, *, columns: Mapping[str, str] | None = None, resolve_genes: bool = True
) -> pd.DataFrame:
    r"""Read a gene-coordinate table (``gene``, ``chrom``, ``start``, ``end``).

    The build must match the segments'. immunescape ships no gene positions (see the module
    documentation).

    Parameters
    ----------
    path
        The file (e.g. exported from a GTF: one row per gene).
    columns
        Field -> column mapping.
    resolve_genes
        Map symbols to current HGNC symbols.

    Returns
    -------
    pandas.DataFrame
        Columns ``gene``, ``chrom``, ``start``, ``end``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "genes.tsv"
    >>> _ = f.write_text("gene\tchrom\tstart\tend\nPTEN\tchr10\t89623195\t89728532\n")
    >>> read_gene_coords(f).values.tolist()
    [['PTEN', '10', 89623195, 89728532]]
    """
    df, _ = read_table(path, what="gene-coordinate table")
    found = pick_columns(
        df, aliases=_GENE_COORD_COLUMNS, mapping=columns, required=tuple(_GENE_COORD_COLUMNS),
        source=str(path), what="gene-coordinate table",
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "gene": df[found["gene"]].astype("string").str.strip().astype(object),
            "chrom": normalise_chrom(df[found["chrom"]]),
        }
    )
    for key in ("start", "end"):
        col = parse_numeric(df[found[key]])
        if col.bad.any() or col.numbers.isna().any():
            what = f"non-numeric positions such as {col.shown()}" if col.bad.any() else (
                f"missing positions (data row {int(np.flatnonzero(col.numbers.isna())[0]) + 1})"
            )
            raise InputError(
                f"column {found[key]!r} ({key}) has {what}",
                source=str(path),
                fix="give integer positions for every gene",
            )
        out[key] = col.numbers.astype(np.int64)
    if resolve_genes:
        out["gene"], _ = _resolve_genes(out["gene"])
    return out.drop_duplicates("gene").reset_index(drop=True)


#: log2-ratio thresholds for segments without absolute copy numbers (CNVkit ``call -m
#: threshold`` defaults, Talevich et al. 2016, PLoS Comput Biol, PMID 27100738): below -1.1 ->
#: 0 copies (deep deletion), below -0.25 -> 1 copy (one copy lost), from 0.2 -> gain.
LOG2_DEEP_DELETION = -1.1
LOG2_LOSS = -0.25
LOG2_GAIN = 0.2
#: Builds whose gene positions ship with immunescape.
VENDORED_BUILDS = ("GRCh38",)
_BUILD_ALIASES = {"grch38": "GRCh38", "hg38": "GRCh38", "38": "GRCh38", "grch37": "GRCh37",
                  "hg19": "GRCh37", "37": "GRCh37", "b37": "GRCh37"}  # fmt: skip


def canonical_build(build: str | None) -> str | None:
    """Return ``GRCh37``/``GRCh38`` for the usual spellings (``hg19``, ``37``, ``hg38``...).

    Examples
    --------
    >>> canonical_build("hg19"), canonical_build("GRCh38"), canonical_build(None)
    ('GRCh37', 'GRCh38', None)
    """
    if build is None:
        return None
    return _BUILD_ALIASES.get(str(build).strip().lower(), str(build).strip())


@cache
def _vendored_coords() -> pd.DataFrame:
    df = read_shipped_table("gene_coords_grch38.tsv.gz", dtype={"chrom": str})
    return df[["gene", "chrom", "start", "end"]]


def gene_coordinates(build: str) -> pd.DataFrame:
    """Return the vendored gene coordinates of a genome build.

    Parameters
    ----------
    build
        ``GRCh38`` (or ``hg38``). GRCh37 positions are not vendored (the registry package
        the table is built from holds GRCh38 positions only): give your own table with
        ``gene_coords=``/``--gene-coords``.

    Returns
    -------
    pandas.DataFrame
        ``gene``, ``chrom`` (no ``chr``), ``start``, ``end`` (1-based, inclusive), built by
        ``scripts/build_gene_coords.py`` from Debian ``r-bioc-org.hs.eg.db`` (UCSC hg38
        positions); checksum verified on loading.

    Raises
    ------
    InputError
        For a build that is not vendored.

    Examples
    --------
    >>> gc = gene_coordinates("GRCh38")
    >>> gc.loc[gc["gene"] == "PTEN", ["chrom", "start", "end"]].values.tolist()
    [['10', 87863625, 87971930]]
    """
    b = canonical_build(build)
    if b not in VENDORED_BUILDS:
        raise InputError(
            f"no vendored gene coordinates for genome build {build!r} (vendored: "
            f"{', '.join(VENDORED_BUILDS)})",
            source="--genome-build",
            fix="give a gene-coordinate table of that build with --gene-coords "
            "(gene, chrom, start, end), e.g. exported from the GTF your pipeline used",
        )
    return _vendored_coords().copy()


def gene_calls_from_segments(
    segments: Segments,
    gene_coords: pd.DataFrame,
    *,
    genes: Iterable[str] | None = None,
    amp_min_copies: float = 5.0,
    purity: float | None = None,
    ploidy: float = 2.0,
) -> GeneCNA:
    """Derive gene-level calls from segments.

    For each (sample, gene) the segments overlapping the gene are combined by taking the
    smallest total and minor copy number (a partial deletion still breaks the gene).

    Absolute segments (FACETS ``tcn.em``/``lcn.em``, ASCAT ``nMajor``/``nMinor``): deep
    deletion when the total copy number is 0 (GISTIC -2), LOH when the minor copy number is
    0 with at least one copy left, amplification when the total copy number is at least
    ``amp_min_copies`` (GISTIC 2; default 5, the FACETS-suite AMP call for a genome without
    doubling), else neutral (0).

    Log2-ratio segments (CNVkit, GATK, TCGA SEG): with ``purity`` (tumour cell fraction) the
    ratio is converted to a total copy number, ``n = (r (p P + 2 (1 - p)) - 2 (1 - p)) / p``
    with ``r = 2**log2``, ``p`` the purity and ``P`` the tumour ploidy, and the absolute rules
    apply (``n < 0.5`` deep deletion, ``n < 1.5`` one copy lost, GISTIC -1). Without purity
    the CNVkit thresholds apply: log2 < -1.1 deep deletion, < -0.25 one copy lost (-1),
    >= 0.2 gain (1), >= log2(amp_min_copies / 2) amplification (2). The minor copy number is
    unknown from a log2 ratio, so a one-copy loss is reported as GISTIC -1 (read as LOH by
    :func:`call_events` by default), never as copy-neutral LOH.

    Parameters
    ----------
    segments
        Segments.
    gene_coords
        ``gene``, ``chrom``, ``start``, ``end`` (same genome build), e.g. from
        :func:`gene_coordinates` or :func:`read_gene_coords`.
    genes
        Only these genes (default: all in ``gene_coords``).
    amp_min_copies
        Total copy number from which a gene is called amplified.
    purity, ploidy
        Tumour purity (0-1] and ploidy for log2-ratio segments.

    Returns
    -------
    GeneCNA
        Gene-level calls.

    Raises
    ------
    InputError
        Purity outside (0, 1] or ploidy <= 0.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = Segments.from_frame(pd.DataFrame({"ID": ["S1"], "chrom": ["10"],
    ...     "start": [89_000_000], "end": [90_000_000], "tcn": [0], "lcn": [0]}))
    >>> coords = pd.DataFrame({"gene": ["PTEN"], "chrom": ["10"], "start": [89623195],
    ...                        "end": [89728532]})
    >>> gene_calls_from_segments(seg, coords).data[["gene", "gistic", "total_cn"]].values.tolist()
    [['PTEN', -2, 0.0]]
    """
    if purity is not None and not (0 < purity <= 1):
        raise InputError(
            f"purity {purity!r} is not in (0, 1]", source="--purity",
            fix="give the tumour cell fraction, e.g. 0.6",
        )  # fmt: skip
    if not ploidy > 0:
        raise InputError(
            f"ploidy {ploidy!r} is not positive", source="--ploidy", fix="e.g. 2 or 3.2"
        )
    gc = gene_coords
    if genes is not None:
        gc = gc.loc[gc["gene"].isin(set(genes))]
    data = segments.data
    absolute = data["total_cn"].notna()
    seg = data.loc[absolute | data["log2"].notna()].copy()
    from_log2 = seg["total_cn"].isna().to_numpy()
    if from_log2.any() and purity is not None:
        r = np.power(2.0, seg.loc[from_log2, "log2"].to_numpy(dtype=float))
        n = (r * (purity * ploidy + 2 * (1 - purity)) - 2 * (1 - purity)) / purity
        seg.loc[from_log2, "total_cn"] = np.clip(n, 0, None)
        from_log2 = np.zeros(len(seg), dtype=bool)
    seg["from_log2"] = from_log2
    merged = seg.merge(gc.rename(columns={"start": "g_start", "end": "g_end"}), on="chrom")
    merged = merged.loc[(merged["start"] <= merged["g_end"]) & (merged["end"] >= merged["g_start"])]
    agg = (
        merged.groupby(["sample_id", "gene"], sort=False)
        .agg(total_cn=("total_cn", "min"), minor_cn=("minor_cn", "min"), log2=("log2", "min"),
             from_log2=("from_log2", "all"))
        .reset_index()
    )  # fmt: skip
    tcn = agg["total_cn"].to_numpy(dtype=float)
    mcn = agg["minor_cn"].to_numpy(dtype=float)
    lg = agg["log2"].to_numpy(dtype=float)
    rel = agg["from_log2"].to_numpy(dtype=bool)
    amp_log2 = float(np.log2(amp_min_copies / 2.0))
    with np.errstate(invalid="ignore"):
        g_abs = np.where(tcn < 0.5, -2, np.where(tcn >= amp_min_copies, 2, 0))
        if purity is not None:  # converted log2: one copy lost is visible
            g_abs = np.where((tcn >= 0.5) & (tcn < 1.5), -1, g_abs)
        g_rel = np.select(
            [lg < LOG2_DEEP_DELETION, lg < LOG2_LOSS, lg >= amp_log2, lg >= LOG2_GAIN],
            [-2, -1, 2, 1], default=0,
        )  # fmt: skip
    gistic = np.where(rel, g_rel, g_abs)
    agg["gistic"] = pd.array(gistic, dtype="Int64")
    agg.loc[rel, "total_cn"] = np.nan
    loh = np.where(np.isnan(mcn), np.nan, (mcn <= 0) & (tcn > 0))
    agg["loh"] = pd.array([None if np.isnan(v) else bool(v) for v in loh], dtype="boolean")
    out = agg[["sample_id", "gene", "gistic", "total_cn", "minor_cn", "loh"]]
    notes = []
    if (~rel).any():
        notes.append(
            f"gene calls from absolute segments: deep deletion tcn<0.5, LOH lcn=0, "
            f"amplification tcn>={amp_min_copies:g}"
            + (f"; log2 converted with purity {purity:g}, ploidy {ploidy:g}" if purity else "")
        )
    if rel.any():
        notes.append(
            f"gene calls from log2 ratios (no purity): deep deletion < {LOG2_DEEP_DELETION}, "
            f"one copy lost < {LOG2_LOSS}, gain >= {LOG2_GAIN}, amplification >= "
            f"{amp_log2:.2f} (CNVkit thresholds)"
        )
    return GeneCNA(data=out.reset_index(drop=True), source=segments.source, notes=notes)
