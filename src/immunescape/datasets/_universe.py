"""Gene universe and per-gene parameters of the demo-cohort simulator.

Everything here is fixed for a given package version: the genes, their baseline expression,
residual noise and transcript length are drawn once with a constant seed
(:data:`GENE_SEED`), independently of the cohort seed, so a gene has the same typical level in
every simulated cohort and a smaller universe is a subset of a larger one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from immunescape._resources import read_resource, resource_sha256

__all__ = ["GENE_SEED", "PROGRAMS", "GeneParams", "gene_universe", "program_loadings"]

#: Seed of the per-gene parameters (baseline level, noise, length). Not the cohort seed.
GENE_SEED = 20_240_607

#: The latent programmes, in the column order of ``SimulatedCohort.latent``.
#: ``microenvironment`` (non-tumour content, the complement of purity) drives no gene directly:
#: it acts through the stromal and immune programmes (and lowers the tumour-cell programmes).
PROGRAMS: tuple[str, ...] = (
    "microenvironment",
    "t_cell",
    "ifng_response",
    "tgfb_stroma",
    "wnt_bcatenin",
    "cdc1",
    "proliferation",
    "melanocytic",
    "axl",
    "myeloid",
    "treg",
    "b_tls",
    "angiogenesis",
    "exhaustion",
)

#: Median TPM (full transcriptome, average programme activity) of a programme gene that has no
#: entry in ``levels.tsv``; the gene's own level is drawn around it (sd 0.7 log2 units).
PROGRAM_DEFAULT_TPM = {
    "t_cell": 4.0,
    "ifng_response": 20.0,
    "tgfb_stroma": 20.0,
    "wnt_bcatenin": 3.0,
    "cdc1": 1.5,
    "proliferation": 8.0,
    "melanocytic": 50.0,
    "axl": 8.0,
    "myeloid": 15.0,
    "treg": 1.5,
    "b_tls": 2.0,
    "angiogenesis": 10.0,
    "exhaustion": 3.0,
}

#: Background (non-curated) genes: a two-component mixture on log2 TPM, calibrated so that the
#: marginal distribution resembles bulk tumour RNA-seq (about a third of gene/sample values
#: below 1 TPM, median gene near 4-6 TPM).
BACKGROUND = {
    "p_off": 0.35,  # fraction of genes essentially not expressed in the tissue
    "off_mean": -4.5,  # log2 TPM of a not-expressed gene (about 0.04 TPM)
    "off_sd": 1.5,
    "on_mean": 3.3,  # log2 TPM of an expressed gene (about 10 TPM)
    "on_sd": 2.4,
    "on_max": 13.5,  # cap (about 11,600 TPM) for background genes
    "sd_on": 0.75,  # residual biological sd (log2) of an expressed gene, median
    "sd_off": 0.9,
}
#: Curated genes without their own level or programme: expressed, log2 TPM ~ N(4, 1.5).
CURATED_OTHER = {"mean": 4.0, "sd": 1.5, "resid_sd": 0.4}
RIBOSOMAL_TPM = 1800.0
HOUSEKEEPING_RESID_SD = 0.2
LENGTH = {"median": 2500.0, "sdlog": 0.55, "min": 300.0, "max": 20000.0}


def _data(name: str, **read_csv: Any) -> pd.DataFrame:
    """Read a tab-separated table shipped in ``datasets/data`` (checksum verified)."""
    raw = read_resource("immunescape.datasets", name)
    return pd.read_csv(io.BytesIO(raw), sep="\t", **read_csv)


@lru_cache(maxsize=1)
def gene_universe() -> pd.DataFrame:
    """Return the simulator's gene table (real symbols, curated first then background).

    Returns
    -------
    pandas.DataFrame
        Columns ``gene`` (current symbol), ``entrez_id``, ``chromosome``, ``gene_type``,
        ``tier`` (``curated`` or ``background``), ``groups`` (curated lists and programmes the
        gene belongs to, ``;``-separated) and ``published`` (older symbols it was published
        under).

    Examples
    --------
    >>> u = gene_universe()
    >>> bool(u.loc[u["gene"] == "VSIR", "published"].item() == "C10orf54")
    True
    """
    table = _data("gene_universe.tsv.gz", compression="gzip", dtype=str, keep_default_na=False)
    table["entrez_id"] = pd.to_numeric(table["entrez_id"]).astype("Int64")
    return table


@lru_cache(maxsize=1)
def program_loadings() -> pd.DataFrame:
    """Return the programme loadings: which genes each latent programme drives, and how much.

    Returns
    -------
    pandas.DataFrame
        Columns ``program``, ``gene``, ``loading`` (change in log2 expression per unit of the
        programme, whose population sd is about 1) and ``source`` (publications naming the genes
        of the programme). The loadings themselves are simulation parameters.

    Examples
    --------
    >>> tl = program_loadings()
    >>> tl.query("program == 't_cell' and gene == 'GZMA'")["loading"].item()
    2.0
    """
    loadings = _data("programs.tsv")
    sources = _data("program_sources.tsv")
    return loadings.merge(sources, on="program", how="left")


@lru_cache(maxsize=1)
def _levels() -> pd.DataFrame:
    return _data("levels.tsv", index_col="gene")


@lru_cache(maxsize=1)
def universe_sha256() -> str:
    """Checksum of the gene-universe file (recorded in the simulation parameters)."""
    return resource_sha256("immunescape.datasets", "gene_universe.tsv.gz")


@dataclass(frozen=True)
class GeneParams:
    """Per-gene simulation parameters for a selection of genes (arrays aligned on ``genes``)."""

    genes: pd.Index
    base: np.ndarray  # log2 TPM at average programme activity
    resid_sd: np.ndarray  # residual biological sd (log2)
    length: np.ndarray  # effective transcript length (bp)
    loadings: np.ndarray  # (n_programs, n_genes)
    chrom_y: np.ndarray  # bool: Y-linked (absent in female samples)
    female_only: np.ndarray  # bool: XIST/TSIX (about 0 in male samples)
    synthetic: np.ndarray  # bool: SIMGENE placeholder (no real symbol left)


@lru_cache(maxsize=1)
def _all_gene_params() -> dict[str, np.ndarray | pd.Index]:
    """Draw the parameters of every real gene of the universe once, with :data:`GENE_SEED`."""
    u = gene_universe()
    n = len(u)
    rng = np.random.default_rng(GENE_SEED)
    # independent streams, all drawn for every gene in file order
    z_level = rng.standard_normal(n)
    u_off = rng.random(n)
    z_sd = rng.standard_normal(n)
    z_len = rng.standard_normal(n)
    order = rng.permutation(int((u["tier"] == "background").sum()))

    levels = _levels()
    loads = program_loadings()
    groups = u["groups"].str.split(";")
    curated = u["tier"].eq("curated").to_numpy()
    base = np.empty(n)
    sd = np.empty(n)
    # background genes: off/on mixture
    b = BACKGROUND
    off = u_off < b["p_off"]
    base[:] = np.where(
        off,
        b["off_mean"] + b["off_sd"] * z_level,
        np.minimum(b["on_mean"] + b["on_sd"] * z_level, b["on_max"]),
    )
    sd[:] = np.where(off, b["sd_off"], b["sd_on"] * np.exp(0.3 * z_sd))
    # curated genes without a specific rule: expressed (genes named only by the signature
    # registry, e.g. PROGENy footprints, keep the background distribution)
    c = CURATED_OTHER
    registry_only = groups.map(lambda g: all(x.startswith("sig:") for x in g)).to_numpy()
    expressed = curated & ~registry_only
    base[expressed] = c["mean"] + c["sd"] * z_level[expressed]
    sd[expressed] = c["resid_sd"] * np.exp(0.25 * z_sd[expressed])
    # programme genes: class default of the programme with the largest |loading|
    top = loads.loc[loads["loading"].abs().groupby(loads["gene"]).idxmax(), ["gene", "program"]]
    prog_of = dict(zip(top["gene"], top["program"], strict=True))
    idx = pd.Index(u["gene"])
    for gene, program in prog_of.items():
        i = idx.get_loc(gene)
        base[i] = np.log2(PROGRAM_DEFAULT_TPM[program]) + 0.7 * z_level[i]
        sd[i] = 0.35 * np.exp(0.25 * z_sd[i])
    ribo = groups.map(lambda g: "ribosomal" in g).to_numpy()
    base[ribo] = np.log2(RIBOSOMAL_TPM) + 0.6 * z_level[ribo]
    sd[ribo] = HOUSEKEEPING_RESID_SD * 1.2
    # explicit levels
    for gene, row in levels.iterrows():
        i = idx.get_loc(gene)
        base[i] = np.log2(float(row["tpm"]))
        if row["kind"] in ("hk", "sex"):
            sd[i] = HOUSEKEEPING_RESID_SD
    length = np.rint(
        np.clip(LENGTH["median"] * np.exp(LENGTH["sdlog"] * z_len), LENGTH["min"], LENGTH["max"])
    )
    bg_index = np.flatnonzero(~curated)[order]
    return {
        "genes": idx,
        "base": base,
        "sd": sd,
        "length": length,
        "curated": np.flatnonzero(curated),
        "background_order": bg_index,
        "chrom_y": u["chromosome"].eq("Y").to_numpy(),
        "female_only": u["gene"].isin(["XIST", "TSIX"]).to_numpy(),
    }


def select_genes(n_genes: int) -> GeneParams:
    """Return the parameters of the first ``n_genes`` genes of the universe.

    All curated genes come first (they are always included), then background genes in a fixed
    random order, then, only when more genes are asked for than real symbols exist, synthetic
    placeholders named ``SIMGENE00001``... drawn from the background distribution.
    Genes are returned in alphabetical order of the real symbols, synthetic ones last.
    """
    p = _all_gene_params()
    cur = p["curated"]
    n_real = len(cur) + len(p["background_order"])
    take = np.concatenate([cur, p["background_order"][: max(0, n_genes - len(cur))]])
    genes = p["genes"][take]
    order = np.argsort(genes.to_numpy().astype(str), kind="stable")
    take = take[order]
    genes = p["genes"][take]
    base, sd, length = p["base"][take], p["sd"][take], p["length"][take]
    chrom_y, female_only = p["chrom_y"][take], p["female_only"][take]
    n_syn = max(0, n_genes - n_real)
    if n_syn:
        rng = np.random.default_rng(GENE_SEED + 1)
        z_level, u_off = rng.standard_normal(n_syn), rng.random(n_syn)
        z_sd, z_len = rng.standard_normal(n_syn), rng.standard_normal(n_syn)
        b = BACKGROUND
        off = u_off < b["p_off"]
        s_base = np.where(
            off,
            b["off_mean"] + b["off_sd"] * z_level,
            np.minimum(b["on_mean"] + b["on_sd"] * z_level, b["on_max"]),
        )
        s_sd = np.where(off, b["sd_off"], b["sd_on"] * np.exp(0.3 * z_sd))
        s_len = np.rint(
            np.clip(
                LENGTH["median"] * np.exp(LENGTH["sdlog"] * z_len), LENGTH["min"], LENGTH["max"]
            )
        )
        genes = genes.append(pd.Index([f"SIMGENE{i + 1:05d}" for i in range(n_syn)]))
        base = np.concatenate([base, s_base])
        sd = np.concatenate([sd, s_sd])
        length = np.concatenate([length, s_len])
        chrom_y = np.concatenate([chrom_y, np.zeros(n_syn, bool)])
        female_only = np.concatenate([female_only, np.zeros(n_syn, bool)])
    loads = program_loadings()
    L = np.zeros((len(PROGRAMS), len(genes)))
    col = genes.get_indexer(loads["gene"])
    row = pd.Index(PROGRAMS).get_indexer(loads["program"])
    L[row, col] = loads["loading"].to_numpy()
    synthetic = np.zeros(len(genes), bool)
    synthetic[len(genes) - n_syn :] = n_syn > 0
    return GeneParams(
        genes=pd.Index(genes, name="gene"),
        base=base,
        resid_sd=sd,
        length=length,
        loadings=L,
        chrom_y=chrom_y,
        female_only=female_only,
        synthetic=synthetic,
    )


def n_curated() -> int:
    """Return the number of curated genes (the smallest allowed ``n_genes``)."""
    return len(_all_gene_params()["curated"])


def n_real() -> int:
    """Return the number of real gene symbols available (curated + background)."""
    p = _all_gene_params()
    return len(p["curated"]) + len(p["background_order"])
