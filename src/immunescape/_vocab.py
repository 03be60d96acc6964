"""Vocabularies of units and option values, importable without the scientific stack.

:data:`Unit` is what a user's expression file may hold (``--unit``); :data:`TargetUnit` what a
scoring method asks :class:`immunescape.expression.Expression` for.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "Unit", "TargetUnit", "UNITS", "CiMethod", "GenesIn", "OnMalformedHgvs", "OnMissing",
    "ResponseRule", "TmbAssay", "TmbRule", "VcfFilter", "SdRule", "DnaSamples", "OnePerPatient",
]

Unit = Literal["counts", "tpm", "fpkm", "log2tpm", "log2counts", "normalized", "zscore"]
#: Units a scoring method can ask for. ``rank`` means any within-sample monotone transform of
#: the data will do (the values are passed as given).
TargetUnit = Literal["tpm", "log2tpm1", "rank"]
UNITS: tuple[str, ...] = get_args(Unit)

#: Option value sets shared by the API and the command line (one definition each).
CiMethod = Literal["delong", "bootstrap"]
GenesIn = Literal["rows", "columns"]
OnMalformedHgvs = Literal["warn", "raise", "blank"]
OnMissing = Literal["error", "drop"]
ResponseRule = Literal["recist", "binary"]
TmbAssay = Literal["exome", "panel", "genome"]
TmbRule = Literal["nonsynonymous", "all_coding"]
VcfFilter = Literal["pass", "all"]
SdRule = Literal["pfs6", "nr", "r", "exclude"]
DnaSamples = Literal["maf", "all"]
#: Which sample of a patient with several the cohort statistics keep (``--one-per-patient``).
OnePerPatient = Literal["first", "pre", "on"]
