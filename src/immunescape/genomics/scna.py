"""Somatic copy-number alteration (SCNA) burden and arm-level summary from segments.

Fraction of genome altered (FGA; Chin et al. 2007, Genome Biol, PMID 17925008): the length
of segments whose |log2 ratio| >= 0.2 divided by the length of all segments of the sample
(the genome the assay covered), autosomes only by default. Without log2 ratios, a segment is
altered when its absolute total copy number differs from the ploidy (2 unless given per
sample). High SCNA burden is associated with immune evasion (Davoli et al. 2017, Science,
PMID 28104840; mechanism ``aneuploidy_scna``).

Arm-level summary (needs ``genome_build``): segments are split at the centromere (UCSC
positions vendored in ``genomics/data/centromeres.tsv``); an arm is *gained* (*lost*) when
gained (lost) segments cover at least ``arm_fraction`` (default 0.5) of the arm's segmented
length. The 0.5 majority rule is immunescape's choice, not a published standard; change it
with ``arm_fraction``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd

from immunescape._validate import check_choice, check_range
from immunescape.errors import InputError
from immunescape.genomics._reading import read_shipped_table
from immunescape.genomics.copynumber import Segments

__all__ = ["scna_burden", "centromeres", "FGA_LOG2_THRESHOLD", "GenomeBuild"]

#: |log2 ratio| from which a segment counts as altered (Chin et al. 2007).
FGA_LOG2_THRESHOLD = 0.2
GenomeBuild = Literal["GRCh37", "GRCh38"]
#: How a segment is called gained or lost (``auto``: log2 when given, else copy number).
ScnaMethod = Literal["auto", "log2", "copy_number"]
_BUILD_ALIASES = {"grch37": "GRCh37", "hg19": "GRCh37", "grch38": "GRCh38", "hg38": "GRCh38"}
_ARM_ORDER = [str(i) for i in range(1, 23)] + ["X", "Y"]


@cache
def centromeres() -> pd.DataFrame:
    """Return chromosome lengths and centromere extents for GRCh37 and GRCh38.

    Returns
    -------
    pandas.DataFrame
        Columns ``build``, ``chrom``, ``length``, ``cen_start``, ``cen_end``.

    Examples
    --------
    >>> c = centromeres()
    >>> c.loc[(c.build == "GRCh37") & (c.chrom == "1"), "cen_start"].item()
    121535434
    """
    return read_shipped_table("centromeres.tsv", dtype={"chrom": str})


def _build(name: str) -> str:
    key = _BUILD_ALIASES.get(str(name).lower())
    if key is None:
        raise InputError(
            f"unknown genome build {name!r}",
            source="genome_build",
            fix="use GRCh37 (hg19) or GRCh38 (hg38)",
        )
    return key


def scna_burden(
    segments: Segments,
    *,
    threshold: float = FGA_LOG2_THRESHOLD,
    genome_build: str | None = None,
    arm_fraction: float = 0.5,
    ploidy: float | Mapping[str, float] = 2.0,
    include_sex_chromosomes: bool = False,
    method: ScnaMethod = "auto",
) -> pd.DataFrame:
    """Fraction of genome altered and arm-level gains/losses per sample (the ``scna`` table).

    Parameters
    ----------
    segments
        Copy-number segments (:func:`~immunescape.genomics.read_segments`).
    threshold
        |log2 ratio| from which a segment is altered (default 0.2).
    genome_build
        ``GRCh37``/``hg19`` or ``GRCh38``/``hg38`` for the arm summary; None skips it.
    arm_fraction
        Fraction of an arm's segmented length that must be gained (lost) to call the arm.
    ploidy
        Baseline copy number for the copy-number method (one value or per sample).
    include_sex_chromosomes
        Count X and Y (off by default: their copy number depends on sex).
    method
        ``"log2"``, ``"copy_number"``, or ``"auto"`` (log2 when given, else copy number).

    Returns
    -------
    pandas.DataFrame
        ``sample_id``, ``fraction_genome_altered``, ``fraction_gained``, ``fraction_lost``,
        ``segmented_mb``, ``n_segments``, ``method``, and with a build ``arms_gained``,
        ``arms_lost`` (``;``-joined, e.g. ``1q;8q``), ``n_arms_gained``, ``n_arms_lost``.

    Raises
    ------
    InputError
        Bad threshold, unknown build, or the chosen method's values are absent.

    Examples
    --------
    >>> import pandas as pd
    >>> from immunescape.genomics.copynumber import Segments
    >>> seg = Segments.from_frame(pd.DataFrame({"ID": ["S1", "S1"], "chrom": ["1", "1"],
    ...     "start": [1, 125_000_001], "end": [120_000_000, 249_000_000],
    ...     "seg.mean": [0.05, 0.6]}))
    >>> out = scna_burden(seg, genome_build="GRCh37")
    >>> round(float(out.fraction_genome_altered[0]), 3), out.arms_gained[0]
    (0.508, '1q')
    """
    check_range("threshold", threshold, low=0, high=10, low_open=True, high_open=True)
    check_range("arm_fraction", arm_fraction, low=0, high=1, low_open=True)
    check_choice("method", method, ScnaMethod)
    d = segments.data.copy()
    if not include_sex_chromosomes:
        d = d.loc[~d["chrom"].isin(["X", "Y"])]
    if method == "auto":
        method = "log2" if d["log2"].notna().any() else "copy_number"
    if method == "log2":
        if d["log2"].isna().all():
            raise InputError(
                "segments have no log2 ratios", source=segments.source,
                fix="use method='copy_number' with total copy numbers",
            )  # fmt: skip
        d = d.loc[d["log2"].notna()]
        gained = d["log2"].to_numpy() >= threshold
        lost = d["log2"].to_numpy() <= -threshold
        label = f"|log2 ratio| >= {threshold:g}"
    else:  # copy_number
        if d["total_cn"].isna().all():
            raise InputError(
                "segments have no total copy numbers", source=segments.source,
                fix="use method='log2' with log2 ratios",
            )  # fmt: skip
        d = d.loc[d["total_cn"].notna()]
        if isinstance(ploidy, Mapping):
            base = d["sample_id"].map(dict(ploidy)).astype(float)
            if base.isna().any():
                missing = d.loc[base.isna(), "sample_id"].iloc[0]
                raise InputError(
                    f"no ploidy given for sample {missing!r}", source="ploidy",
                    fix="give a ploidy for every sample, or one number",
                )  # fmt: skip
            base = base.to_numpy()
        else:
            base = np.full(len(d), float(ploidy))
        tcn = np.round(d["total_cn"].to_numpy())
        gained = tcn > np.round(base)
        lost = tcn < np.round(base)
        label = "total copy number != ploidy"
    length = (d["end"] - d["start"] + 1).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "sample_id": d["sample_id"].to_numpy(),
            "length": length,
            "gain_len": np.where(gained, length, 0.0),
            "loss_len": np.where(lost, length, 0.0),
        }
    )
    agg = frame.groupby("sample_id", sort=False).agg(
        total=("length", "sum"), gain=("gain_len", "sum"), loss=("loss_len", "sum"),
        n_segments=("length", "size"),
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "sample_id": agg.index.to_numpy(),
            "fraction_genome_altered": ((agg["gain"] + agg["loss"]) / agg["total"]).to_numpy(),
            "fraction_gained": (agg["gain"] / agg["total"]).to_numpy(),
            "fraction_lost": (agg["loss"] / agg["total"]).to_numpy(),
            "segmented_mb": (agg["total"] / 1e6).to_numpy(),
            "n_segments": agg["n_segments"].to_numpy(),
            "method": label,
        }
    )
    missing = [s for s in segments.samples if s not in set(out["sample_id"])]
    if missing:
        out = pd.concat(
            [out, pd.DataFrame({"sample_id": missing, "method": label, "n_segments": 0})],
            ignore_index=True,
        )
    if genome_build is not None:
        arms = _arm_calls(d, gained, lost, _build(genome_build), arm_fraction)
        out = out.merge(arms, on="sample_id", how="left")
        for c in ("arms_gained", "arms_lost"):
            out[c] = out[c].fillna("")
        for c in ("n_arms_gained", "n_arms_lost"):
            out[c] = out[c].fillna(0).astype(int)
    return out.reset_index(drop=True)


def _arm_calls(
    d: pd.DataFrame, gained: np.ndarray, lost: np.ndarray, build: str, arm_fraction: float
) -> pd.DataFrame:
    cen = centromeres()
    cen = cen.loc[cen["build"] == build, ["chrom", "cen_start", "cen_end"]]
    seg = d[["sample_id", "chrom", "start", "end"]].copy()
    seg["state"] = np.where(gained, 1, np.where(lost, -1, 0))
    seg = seg.merge(cen, on="chrom", how="inner")
    pieces = []
    for arm, lo, hi in (("p", None, "cen_start"), ("q", "cen_end", None)):
        s = seg["start"].to_numpy(dtype=float)
        e = seg["end"].to_numpy(dtype=float)
        if lo is not None:
            s = np.maximum(s, seg[lo].to_numpy(dtype=float) + 1)
        if hi is not None:
            e = np.minimum(e, seg[hi].to_numpy(dtype=float))
        length = np.clip(e - s + 1, 0, None)
        pieces.append(
            pd.DataFrame(
                {
                    "sample_id": seg["sample_id"].to_numpy(),
                    "arm": seg["chrom"].to_numpy() + arm,
                    "length": length,
                    "gain": np.where(seg["state"].to_numpy() == 1, length, 0.0),
                    "loss": np.where(seg["state"].to_numpy() == -1, length, 0.0),
                }
            )
        )
    arms = pd.concat(pieces, ignore_index=True)
    arms = arms.loc[arms["length"] > 0]
    agg = arms.groupby(["sample_id", "arm"], sort=False)[["length", "gain", "loss"]].sum()
    agg = agg.reset_index()
    agg["is_gain"] = agg["gain"] >= arm_fraction * agg["length"]
    agg["is_loss"] = agg["loss"] >= arm_fraction * agg["length"]
    order = {f"{c}{a}": i for i, (c, a) in enumerate((c, a) for c in _ARM_ORDER for a in "pq")}
    agg["order"] = agg["arm"].map(order)
    agg = agg.sort_values(["sample_id", "order"], kind="stable")

    def _join(frame: pd.DataFrame, col: str) -> pd.Series:
        return frame.loc[frame[col]].groupby("sample_id", sort=False)["arm"].agg(";".join)

    out = pd.DataFrame({"sample_id": pd.unique(agg["sample_id"])})
    out["arms_gained"] = out["sample_id"].map(_join(agg, "is_gain"))
    out["arms_lost"] = out["sample_id"].map(_join(agg, "is_loss"))
    out["n_arms_gained"] = out["sample_id"].map(agg.groupby("sample_id")["is_gain"].sum())
    out["n_arms_lost"] = out["sample_id"].map(agg.groupby("sample_id")["is_loss"].sum())
    return out
