"""Tumour mutational burden (TMB): mutations counted per megabase of sequenced territory.

Rules
-----
``nonsynonymous`` (default)
    Protein-changing somatic mutations: missense, nonsense, frameshift and in-frame
    insertions/deletions, canonical splice site, start lost (``Translation_Start_Site``) and
    stop lost (``Nonstop_Mutation``): the common exome/panel definition (maftools'
    non-synonymous classes; Mayakonda et al. 2018, Genome Res, PMID 30341162).
``all_coding``
    The same plus synonymous (``Silent``) coding mutations, as some panel TMB definitions
    count all coding base substitutions and indels.

Intronic, UTR, flanking, intergenic, RNA and ``Splice_Region`` variants are never counted.
The same variant listed twice for a sample counts once (see
:meth:`MutationTable.deduplicated`). The capture size is not guessed: give the megabases your
assay covers (whole exome typically 30-50 Mb, targeted panels about 0.8-2.5 Mb; check your
kit's documentation) and say which kind of assay it is.

TMB is keyed by ``sample_id``; several tumour samples of one patient stay separate rows.
A ``patients`` mapping adds a ``patient_id`` column so callers can aggregate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from immunescape._validate import check_choice
from immunescape._vocab import DnaSamples, TmbRule
from immunescape._vocab import TmbAssay as Assay
from immunescape.errors import InputError
from immunescape.genomics._numeric import parse_numeric
from immunescape.genomics.mutations import NONSYNONYMOUS, MutationTable

__all__ = ["compute_tmb", "sequenced_samples", "TMB_RULES", "TmbRule", "Assay"]

TMB_RULES: dict[str, frozenset[str]] = {
    "nonsynonymous": NONSYNONYMOUS,
    "all_coding": NONSYNONYMOUS | {"Silent"},
}


#: No assay sequences more than a human genome (GRCh38: about 3,100 Mb); a larger "capture
#: size" is a size in bases (or kilobases) given as megabases.
GENOME_MB_MAX = 3300.0


def _capture(capture_mb: object, samples: list[str]) -> pd.Series:
    if capture_mb is None:
        raise InputError(
            "capture size is required (there is no default)",
            source="capture_mb",
            fix="give the megabases your assay sequences, e.g. capture_mb=38.0 for an exome "
            "kit or 1.14 for a panel; see docs/genomics.md",
        )
    if isinstance(capture_mb, Mapping):
        values = pd.Series({str(k): v for k, v in capture_mb.items()}, dtype=object)
        missing = [s for s in samples if s not in values.index]
        if missing:
            raise InputError(
                f"no capture size for sample(s) {', '.join(missing[:3])}"
                + (" ..." if len(missing) > 3 else ""),
                source="capture_mb",
                fix="give a capture size for every sample, or one number for all",
            )
        values = values.reindex(samples)
    else:
        values = pd.Series([capture_mb] * len(samples), index=samples, dtype=object)
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float)) | (num <= 0)
    if bad.any():
        example = values[bad].iloc[0]
        raise InputError(
            f"capture size {example!r} is not a positive number of megabases",
            source="capture_mb",
            fix="give the assay's sequenced territory in Mb (> 0), e.g. 38.0",
        )
    huge = num > GENOME_MB_MAX
    if huge.any():
        example = float(num[huge].iloc[0])
        shown = f"{example:,.0f}" if example >= 1e5 else f"{example:g}"
        raise InputError(
            f"capture size {shown} Mb is larger than a whole human genome (about "
            f"3,100 Mb): it looks like bases, not megabases",
            source="capture_mb",
            fix=f"give megabases, e.g. {example / 1e6:g} for {example:,.0f} bases",
        )
    return num.astype(float)


def compute_tmb(
    mutations: MutationTable,
    *,
    capture_mb: float | Mapping[str, float],
    rule: TmbRule = "nonsynonymous",
    samples: Iterable[str] | None = None,
    patients: Mapping[str, str] | None = None,
    tmb_assay: Assay | None = None,
    neoantigen_column: str | None = None,
) -> pd.DataFrame:
    """Count mutations per sample and divide by the capture size (the ``tmb`` table).

    Parameters
    ----------
    mutations
        The mutations (:func:`~immunescape.genomics.read_maf`).
    capture_mb
        Sequenced territory in megabases: one number, or one per sample. Required.
    rule
        ``"nonsynonymous"`` or ``"all_coding"`` (see the module documentation).
    samples
        All sequenced samples, so that samples without any listed mutation get TMB 0; by
        default the samples present in ``mutations``.
    patients
        Optional sample -> patient mapping; adds ``patient_id``.
    tmb_assay
        The capture assay, ``"exome"``, ``"panel"`` or ``"genome"``: recorded in the ``rule``
        text so TMB values of different assays are not silently compared.
    neoantigen_column
        A per-mutation column of the input holding predicted neoantigens (a count, or
        true/false); summed per sample over the de-duplicated mutations into
        ``neoantigen_load``.

    Returns
    -------
    pandas.DataFrame
        ``sample_id``, ``n_mutations_counted``, ``capture_mb``, ``tmb_per_mb``, ``rule``
        (e.g. ``nonsynonymous; exome``), then ``neoantigen_load`` and ``patient_id`` when
        asked for.

    Raises
    ------
    InputError
        Missing, non-positive or non-finite capture size; unknown rule or column.

    Examples
    --------
    >>> import pandas as pd
    >>> mt = MutationTable.from_frame(pd.DataFrame({
    ...     "Tumor_Sample_Barcode": ["S1", "S1", "S1"], "Hugo_Symbol": ["B2M", "TP53", "TTN"],
    ...     "Variant_Classification": ["Frame_Shift_Del", "Missense_Mutation", "Silent"]}),
    ...     resolve_genes=False)
    >>> compute_tmb(mt, capture_mb=2.0, samples=["S1", "S2"], tmb_assay="panel").values.tolist()
    [['S1', 2, 2.0, 1.0, 'nonsynonymous; panel'], ['S2', 0, 2.0, 0.0, 'nonsynonymous; panel']]
    """
    check_choice("rule", rule, TmbRule)
    if tmb_assay is not None:
        check_choice("tmb_assay", tmb_assay, Assay)
    dedup, _ = mutations.deduplicated()
    d = dedup.data
    sample_list = list(dict.fromkeys(str(s) for s in samples)) if samples is not None else []
    for s in dedup.samples:
        if s not in set(sample_list):
            sample_list.append(s)
    if samples is not None:
        extra = [s for s in dedup.samples if s not in set(str(x) for x in samples)]
        if extra:
            raise InputError(
                f"mutations of sample(s) {', '.join(extra[:3])} are not in samples=",
                source="samples",
                fix="list every sequenced sample (including those with mutations)",
            )
    capture = _capture(capture_mb, sample_list)
    counted = d.loc[d["variant_class"].isin(TMB_RULES[rule])]
    n = counted.groupby("sample_id").size().reindex(sample_list, fill_value=0).astype(int)
    rule_text = rule if tmb_assay is None else f"{rule}; {tmb_assay}"
    out = pd.DataFrame(
        {
            "sample_id": sample_list,
            "n_mutations_counted": n.to_numpy(),
            "capture_mb": capture.to_numpy(),
            "tmb_per_mb": n.to_numpy() / capture.to_numpy(),
            "rule": rule_text,
        }
    )
    if neoantigen_column is not None:
        if neoantigen_column not in d.columns:
            raise InputError(
                f"neoantigen column {neoantigen_column!r} is not in the mutation table",
                source=mutations.source,
                fix="name a per-mutation column with neoantigen counts or true/false",
            )
        raw = d[neoantigen_column]
        # true/false and yes/no are values here (a per-mutation neoantigen flag: 1 or 0), read
        # before the numbers; missing cells (the shared genomic list) count 0
        text = raw.astype("string").str.strip().str.lower()
        boolish = text.map({"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0})
        col = parse_numeric(raw)
        num = col.numbers.where(boolish.isna(), boolish)
        bad = col.bad & boolish.isna()
        if bad.any() or (num < 0).any():
            example = raw[bad].iloc[0] if bad.any() else num[num < 0].iloc[0]
            raise InputError(
                f"neoantigen column {neoantigen_column!r} must hold counts (>= 0) or true/false, "
                f"not {example!r}",
                source=mutations.source,
                fix="give the number of predicted neoantigens per mutation (NA where unknown)",
            )
        load = num.fillna(0).groupby(d["sample_id"]).sum().reindex(sample_list, fill_value=0)
        out["neoantigen_load"] = load.to_numpy()
    if patients is not None:
        out["patient_id"] = out["sample_id"].map(dict(patients))
    return out


def sequenced_samples(
    mutations: MutationTable, expression_samples: Iterable[str], *,
    dna_samples: DnaSamples = "maf",
) -> list[str]:
    """Return the samples whose DNA was sequenced (the rule of ``--dna-samples``).

    A mutation list names only samples with at least one call, so an expression sample
    absent from it may be unsequenced (TMB unknown) or sequenced without a call (TMB 0).
    ``"maf"`` (the default) takes only the samples of the mutation table as sequenced: the
    others get no TMB and no mutation status. ``"all"`` says every expression sample was
    sequenced: those without a row have TMB 0 and are wild-type.

    Parameters
    ----------
    mutations
        The mutations (:func:`~immunescape.genomics.read_maf`).
    expression_samples
        The expression samples of the same run.
    dna_samples
        ``"maf"`` or ``"all"`` (above).

    Returns
    -------
    list of str
        The sequenced samples, for ``compute_tmb(samples=...)``.

    Examples
    --------
    >>> mt = MutationTable.from_frame(pd.DataFrame({
    ...     "Tumor_Sample_Barcode": ["S2"], "Hugo_Symbol": ["B2M"],
    ...     "Variant_Classification": ["Frame_Shift_Del"]}), resolve_genes=False)
    >>> sequenced_samples(mt, ["S1", "S2"])
    ['S2']
    >>> sequenced_samples(mt, ["S1", "S2"], dna_samples="all")
    ['S1', 'S2']
    """
    check_choice("dna_samples", dna_samples, DnaSamples)
    own = [str(s) for s in mutations.samples]
    if dna_samples == "maf":
        return list(dict.fromkeys(own))
    return list(dict.fromkeys([*map(str, expression_samples), *own]))
