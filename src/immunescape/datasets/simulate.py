"""Simulated immune-checkpoint-blockade cohort with planted biology (the demo data set).

The simulator is generative and built from first principles plus parameters chosen by the
developers; no real cohort values are used.

Model
-----
1. **Latent programmes** per sample (:data:`~immunescape.datasets.PROGRAMS`), each with
   population sd about 1, linked by structural equations (``STRUCTURE``): the non-tumour
   content (``microenvironment``, the complement of purity) raises the stromal and immune
   programmes together and dilutes the tumour-cell ones, as in bulk tumours; Wnt/beta-catenin
   activation (a bimodal "active" subgroup) and PTEN loss lower T-cell infiltration and cDC1
   (Spranger et al. 2015, PMID 25970248; Peng et al. 2016, PMID 26645196); TGF-beta/stroma
   excludes T cells (Mariathasan et al. 2018, PMID 29443960); the IFN-gamma response follows the
   T-cell programme (r about 0.85) except in planted ``ifng_decoupled`` samples; myeloid, Treg,
   B-cell/TLS and exhaustion programmes rise with T cells; the AXL programme is anti-correlated
   with the melanocytic (MITF) programme (Konieczkowski et al. 2014, PMID 24771846).
2. **Expression**: ``log2 mu[s, g] = base[g] + sum_p loading[p, g] * z[s, p] + planted offsets +
   e[s, g]``, with ``e ~ N(0, resid_sd[g])`` (biological, log-normal), sex-chromosome genes by
   sex; then read counts ``~ Poisson(libsize[s] * mu * length / sum(mu * length))`` (a
   Poisson-log-normal model, the continuous analogue of the negative binomial), and
   ``TPM = (counts / length) / sum(counts / length) * 1e6`` over the simulated genes.
3. **Response**: ``logit P(R) = intercept + beta . z`` (``RESPONSE``): T cells and IFN-gamma
   response favour response; TGF-beta, Wnt, AXL, exhaustion and antigen-presentation loss oppose
   it. The intercept gives a response rate of about 35 %. Responders get CR or PR; others SD or PD
   (PD when they progress before the first assessment at 3 months).
4. **Survival**: progression-free time from a Weibull proportional-hazards model (responders
   cannot progress before their response is confirmed), overall survival = progression-free
   time + post-progression time (Weibull PH), so PFS <= OS by construction; administrative
   censoring after 18-48 months of follow-up and 5 % loss to follow-up.

Planted states (``truth``): ``ifng_decoupled`` (T cells present, IFN-gamma response low: the
expression footprint of JAK1/JAK2/IFNGR loss, Zaretsky et al. 2016, PMID 27433843; Gao et al.
2016, PMID 27667683), ``apm_loss`` (B2M -3 and HLA-A/B/C -1 log2: B2M/HLA loss, Sade-Feldman
et al. 2017, PMID 29070816), ``pten_loss`` (PTEN -2.5 log2, fewer T cells, more VEGFA),
``wnt_active``; derived flags, tumour purity and the true response probability are recorded
too.

DNA layers (``mutations``, ``cna``, ``hla``, ``hla_loh``; model and sources in
:mod:`immunescape.datasets._dna`) are drawn afterwards from an independent child stream of the
seed, so they leave everything above unchanged: passenger mutations with a log-normal burden
(higher in responders), melanoma-like copy-number changes, HLA class I genotypes and, planted
in line with the truth flags, biallelic JAK1/JAK2 loss (``ifng_decoupled``), B2M loss or HLA
LOH (``apm_loss``), PTEN loss (``pten_loss``), CTNNB1 hotspots or APC/AXIN1 loss (part of
``wnt_active``), BRAF/NRAS hotspots, and decoys that must not be called. The truth gains one
``dna_*`` column per mechanism, HLA and decoy flags and the exact TMB.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunescape._version import __version__
from immunescape.datasets import _dna as D
from immunescape.datasets import _universe as U
from immunescape.datasets._rna_model import (
    CLINICAL,
    LIBRARY,
    PLANTED_RNA_STATES,
    RESPONSE,
    STATE_OFFSETS,
    STRUCTURE,
    SURVIVAL,
    _clinical,
    _expression,
    _latent,
    _truth,
)
from immunescape.errors import InputError
from immunescape.expression import Expression

__all__ = ["SimulatedCohort", "simulate_cohort", "write_cohort", "DEFAULT_N_GENES"]

DEFAULT_N_GENES = 5000


@dataclass(eq=False)
class SimulatedCohort:
    """A simulated ICB cohort with the ground truth that was planted in it.

    Attributes
    ----------
    expression
        Samples x genes TPM (rows sum to 1e6 over the simulated genes), index ``sample_id``.
    clinical
        One row per sample: ``sample_id``, ``recist`` (CR/PR/SD/PD), ``response`` (R if CR/PR,
        NR if SD/PD), ``os_months``, ``os_event``, ``pfs_months``, ``pfs_event``, ``age``,
        ``sex``, ``cancer_type``, ``treatment``.
    latent
        Samples x programmes: the true programme activities.
    truth
        Per-sample planted states (booleans), the true immune phenotype, tumour purity and
        the true response probability, index ``sample_id``.
    params
        Every parameter of the simulation (for run.json).
    counts
        Samples x genes integer read counts behind the TPM (for count-based differential
        expression).
    gene_info
        One row per simulated gene: ``gene``, ``chromosome``, ``tier`` (curated, background,
        synthetic), ``length``, ``groups``.
    mutations
        Somatic mutations as a MAF table (``Hugo_Symbol``, ``NCBI_Build``, ``Chromosome``,
        ``Start_Position``, ``End_Position``, ``Variant_Classification``, ``Variant_Type``,
        ``Reference_Allele``, ``Tumor_Seq_Allele2``, ``Tumor_Sample_Barcode``,
        ``HGVSp_Short``, ``t_depth``, ``t_alt_count``); exome, ``params["capture_mb"]`` Mb.
    cna
        Gene-level GISTIC-style calls (-2..2): first column ``Hugo_Symbol``, one column per
        sample (``all_thresholded.by_genes`` layout).
    hla
        HLA class I genotypes, wide: ``sample_id``, ``HLA-A_1``, ``HLA-A_2``, ``HLA-B_1``...
        (``HLA-A*02:01``; a homozygous locus has the same allele twice).
    hla_loh
        Allele-specific HLA LOH as a LOHHLA ``HLAlossPrediction_CI`` table (``region`` = sample,
        heterozygous loci only).
    """

    expression: pd.DataFrame
    clinical: pd.DataFrame
    latent: pd.DataFrame
    truth: pd.DataFrame
    params: dict[str, Any]
    counts: pd.DataFrame | None = None
    gene_info: pd.DataFrame | None = None
    mutations: pd.DataFrame | None = None
    cna: pd.DataFrame | None = None
    hla: pd.DataFrame | None = None
    hla_loh: pd.DataFrame | None = None

    def as_expression(self) -> Expression:
        """Return the TPM matrix as an :class:`~immunescape.expression.Expression`.

        Examples
        --------
        >>> c = simulate_cohort(5, seed=1)
        >>> c.as_expression().unit
        'tpm'
        """
        return Expression(
            self.expression,
            unit="tpm",
            source=f"simulate_cohort(seed={self.params['seed']})",
        )


def simulate_cohort(
    n_samples: int = 120, *, n_genes: int | None = None, seed: int = 0,
    prevalence: dict[str, float] | None = None,
) -> SimulatedCohort:
    """Simulate an anti-PD-1-treated melanoma cohort with planted resistance biology.

    Parameters
    ----------
    n_samples
        Number of patients (one pre-treatment tumour sample each).
    n_genes
        Number of genes (default :data:`DEFAULT_N_GENES` = 5,000). Every curated gene (all
        genes of the package's signature registry, mechanism genes, markers, housekeeping:
        about 2,500) is always included; further genes are real protein-coding symbols in a
        fixed order, so a smaller universe is a subset of a larger one. Only beyond the ~20,700
        real symbols are synthetic placeholders ``SIMGENE00001``... added.
    seed
        Seed of :func:`numpy.random.default_rng`; same seed, same cohort.
    prevalence
        Plant RNA-only states at these rates (0-1): ``wnt_active``, ``tgfb_high``,
        ``axl_high`` (:data:`PLANTED_RNA_STATES`). A state given here is clear-cut and its
        ``truth`` column is the planted flag; ``tgfb_high``/``axl_high`` otherwise stay
        thresholds on continuous programmes (tails, not states). Without ``prevalence`` the
        cohort is exactly the default one.

    Returns
    -------
    SimulatedCohort
        Expression (TPM), read counts, clinical table, latent programmes, DNA layers
        (mutations, copy number, HLA genotypes, HLA LOH), planted truth and parameters
        (``params["capture_mb"]``: the simulated exome's territory for TMB).

    Raises
    ------
    InputError
        If ``n_samples`` < 1 or ``n_genes`` is smaller than the curated gene set.

    Notes
    -----
    The DNA layers come from an independent child stream of ``seed``
    (``numpy.random.SeedSequence(seed).spawn``): a cohort's expression and clinical data are
    the same as without them. Planted DNA truth (``truth`` columns): ``dna_ifng_pathway_loss``,
    ``dna_antigen_presentation_loss``, ``dna_pten_loss_pi3k``, ``dna_wnt_beta_catenin``,
    ``dna_mapk_oncogenic`` with gene/mode details, ``hla_*``, ``decoy_*``,
    ``n_nonsynonymous`` and ``tmb_per_mb``.

    Typical levels are specified as full-transcriptome TPM; TPM is then renormalised over the
    simulated genes, so with the default 5,000 genes all values are about 2 times higher than
    in a whole-transcriptome table (as when a real TPM table is restricted to those genes).

    Examples
    --------
    >>> c = simulate_cohort(50, seed=7)
    >>> c.expression.shape
    (50, 5000)
    >>> round(float(c.expression.sum(axis=1).iloc[0]))
    1000000
    >>> sorted(c.clinical["response"].unique())
    ['NR', 'R']
    >>> c.mutations.columns[:3].tolist(), c.params["capture_mb"]
    (['Hugo_Symbol', 'NCBI_Build', 'Chromosome'], 38.0)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise InputError(f"n_samples must be an integer, got {n_samples!r}", source="n_samples")
    if n_samples < 1:
        raise InputError(f"n_samples must be at least 1, got {n_samples}", source="n_samples")
    n_min = U.n_curated()
    if n_genes is None:
        n_genes = DEFAULT_N_GENES
    if isinstance(n_genes, bool) or not isinstance(n_genes, (int, np.integer)):
        raise InputError(f"n_genes must be an integer, got {n_genes!r}", source="n_genes")
    if n_genes < n_min:
        raise InputError(
            f"n_genes={n_genes} is smaller than the {n_min} curated genes",
            source="n_genes",
            fix=f"use n_genes >= {n_min} (default {DEFAULT_N_GENES})",
        )
    n_samples, n_genes = int(n_samples), int(n_genes)
    if prevalence is not None:
        bad = {k: v for k, v in prevalence.items() if k not in PLANTED_RNA_STATES
               or isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1}
        if bad:
            raise InputError(
                f"prevalence: invalid entries {bad}", source="prevalence",
                fix=f"give rates between 0 and 1 for {', '.join(PLANTED_RNA_STATES)}")
    rng = np.random.default_rng(seed)
    width = max(3, len(str(n_samples)))
    ids = pd.Index([f"SIM{i + 1:0{width}d}" for i in range(n_samples)], name="sample_id")

    planted_rng = np.random.default_rng([seed, 11]) if prevalence else None
    latent, states = _latent(n_samples, rng, prevalence, planted_rng)
    latent.index = ids
    female = rng.random(n_samples) >= CLINICAL["male_fraction"]
    lo, hi = CLINICAL["age_range"]
    age = np.clip(
        np.rint(CLINICAL["age_mean"] + CLINICAL["age_sd"] * rng.standard_normal(n_samples)),
        lo,
        hi,
    ).astype(int)
    clinical, p_resp = _clinical(ids, latent, states, age, female, rng)

    gp = U.select_genes(n_genes)
    tpm, counts = _expression(latent, states, female, gp, rng)
    expression = pd.DataFrame(tpm, index=ids, columns=gp.genes)
    counts_df = pd.DataFrame(counts, index=ids, columns=gp.genes)

    universe = U.gene_universe().set_index("gene")
    tier = np.where(gp.synthetic, "synthetic", universe["tier"].reindex(gp.genes).fillna(""))
    gene_info = pd.DataFrame(
        {
            "gene": gp.genes,
            "chromosome": universe["chromosome"].reindex(gp.genes).fillna("").to_numpy(),
            "tier": tier,
            "length": np.rint(gp.length).astype(int),
            "groups": universe["groups"].reindex(gp.genes).fillna("").to_numpy(),
        }
    )
    truth = _truth(ids, latent, states, p_resp)
    dna = _dna(ids, states, clinical, truth, gp, universe, seed)
    truth = truth.join(dna.truth)
    params = {
        "generator": "immunescape.datasets.simulate_cohort",
        "version": __version__,
        "seed": seed,
        "n_samples": n_samples,
        "n_genes": n_genes,
        "n_synthetic_genes": int(gp.synthetic.sum()),
        "gene_seed": U.GENE_SEED,
        "gene_universe_sha256": U.universe_sha256(),
        "unit": "TPM over the simulated genes (rows sum to 1e6)",
        "programs": list(U.PROGRAMS),
        "structure": STRUCTURE,
        "prevalence": prevalence,
        "planted_rna_states": PLANTED_RNA_STATES if prevalence else None,
        "state_offsets": STATE_OFFSETS,
        "response_model": RESPONSE,
        "response_rule": "R = CR or PR; NR = SD or PD",
        "survival_model": SURVIVAL,
        "clinical": CLINICAL,
        "library": LIBRARY,
        "background": U.BACKGROUND,
        "capture_mb": D.CAPTURE_MB,
        "assay": "exome",
        "genome_build": D.GENOME_BUILD,
        "dna": dna.params,
        "dna_seed": "numpy.random.SeedSequence(seed).spawn(1)[0], 4 child streams",
        "hla_frequencies": D.HLA_FREQUENCIES,
    }
    params = json.loads(json.dumps(params))  # plain JSON types (tuples -> lists)
    return SimulatedCohort(
        expression=expression,
        clinical=clinical,
        latent=latent,
        truth=truth,
        params=params,
        counts=counts_df,
        gene_info=gene_info,
        mutations=dna.mutations,
        cna=dna.cna,
        hla=dna.hla,
        hla_loh=dna.hla_loh,
    )


def _dna(
    ids: pd.Index,
    states: dict[str, np.ndarray],
    clinical: pd.DataFrame,
    truth: pd.DataFrame,
    gp: U.GeneParams,
    universe: pd.DataFrame,
    seed: int,
) -> D.DnaLayers:
    """Simulate the DNA layers (independent random stream) for the drawn cohort."""
    chrom = universe["chromosome"].replace({"X|Y": "X"})
    real = gp.genes[~gp.synthetic]
    real = real[chrom.reindex(real).isin(list(D.CHROM_LENGTH)).to_numpy()]
    cna_genes = real.union(pd.Index(sorted(D.MECHANISM_GENES)).intersection(chrom.index))
    return D.simulate_dna(
        ids,
        states,
        responder=clinical["response"].eq("R").to_numpy(),
        purity=truth["purity"].to_numpy(dtype=float),
        cna_genes=cna_genes,
        chromosome_of=chrom,
        seed=seed,
    )


def write_cohort(
    cohort: SimulatedCohort,
    outdir: str | os.PathLike[str],
    *,
    include_truth: bool = True,
    include_counts: bool = False,
    include_dna: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write a simulated cohort as TSV files.

    Files: ``expression.tsv`` (genes in rows, first column ``gene``, one column per sample, TPM),
    ``clinical.tsv``; with ``include_dna`` (default) the DNA inputs ``maf.tsv`` (MAF),
    ``cna.tsv`` (GISTIC-style gene x sample calls), ``hla.tsv`` (HLA class I genotypes, wide)
    and ``hla_loh.tsv`` (LOHHLA table; omitted when no sample has a heterozygous locus), in the
    formats of :func:`immunescape.genomics.read_maf`, ``read_cna``, ``read_hla`` and
    ``read_hla_loh``; with ``include_truth`` also ``latent.tsv``, ``truth.tsv`` (first column
    ``sample_id``) and ``simulation.json`` (the parameters, including ``capture_mb``); with
    ``include_counts`` also ``counts.tsv`` (same layout as expression, integers). Files are
    written into a temporary directory that is renamed at the end, so a failed write leaves
    no partial directory.

    Parameters
    ----------
    cohort
        Output of :func:`simulate_cohort`.
    outdir
        Directory to create.
    include_truth, include_counts, include_dna
        Also write the ground truth / the read counts / the DNA inputs.
    overwrite
        Replace ``outdir`` if it exists (otherwise an existing non-empty directory is an error).

    Returns
    -------
    pathlib.Path
        The output directory.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = write_cohort(simulate_cohort(3, seed=0), pathlib.Path(tempfile.mkdtemp()) / "demo")
    >>> sorted(p.name for p in d.iterdir())[:4]
    ['clinical.tsv', 'cna.tsv', 'expression.tsv', 'hla.tsv']
    """
    out = Path(outdir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise InputError(
            "output directory exists and is not empty",
            source=str(out),
            fix="choose a new directory or pass overwrite=True",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the result is an ordinary directory
        fmt = {"sep": "\t", "lineterminator": "\n"}
        expr = cohort.expression.T
        expr.index.name = "gene"
        expr.to_csv(tmp / "expression.tsv", float_format="%.6g", **fmt)
        cohort.clinical.to_csv(tmp / "clinical.tsv", index=False, **fmt)
        if include_dna:
            if cohort.mutations is not None:
                cohort.mutations.to_csv(tmp / "maf.tsv", index=False, **fmt)
            if cohort.cna is not None:
                cohort.cna.to_csv(tmp / "cna.tsv", index=False, **fmt)
            if cohort.hla is not None:
                cohort.hla.to_csv(tmp / "hla.tsv", index=False, **fmt)
            if cohort.hla_loh is not None and len(cohort.hla_loh):
                cohort.hla_loh.to_csv(tmp / "hla_loh.tsv", index=False, float_format="%.6g", **fmt)
        if include_truth:
            cohort.latent.to_csv(tmp / "latent.tsv", float_format="%.6g", **fmt)
            cohort.truth.to_csv(tmp / "truth.tsv", **fmt)
            (tmp / "simulation.json").write_text(
                json.dumps(cohort.params, indent=2, sort_keys=True) + "\n"
            )
        if include_counts and cohort.counts is not None:
            cnt = cohort.counts.T
            cnt.index.name = "gene"
            cnt.to_csv(tmp / "counts.tsv", **fmt)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
