"""Repeated patients among the samples of one cohort, and keeping one sample per patient.

Response and survival statistics (AUCs, Wilcoxon and Fisher tests, Cox models, pooled effects)
assume one sample per patient. Cohorts with pre- and on-treatment biopsies (Riaz 2017, the
IMPRES ``Riaz2017_IMPRES_TIMCHAN_counts`` table) list patients several times. A patient is
recognised from:

1. a clinical column naming the patient (``patient``, ``patient_id``, ``subject``,
   ``participant``, ``individual``, ``donor``, ``case_id``), or any column whose every value
   starts the sample id of its row followed by a separator (``sample_u`` = ``Pt101`` for
   ``Pt101_On``), with at most :data:`MAX_SAMPLES_PER_PATIENT` samples per value;
2. failing such a column, sample ids that differ only by a timepoint word as suffix or prefix
   (``_pre``, ``_on``, ``_post``, ``-Pre``, ``_baseline``, ``pre_``..., any case, optionally
   followed by a replicate number: ``Pt92_On.2``).

The timepoint of a sample (for ``one_per_patient="pre"`` or ``"on"``) comes from a clinical
column whose values are all timepoint words (``pre``, ``on``, ``post``, ``baseline``,
``pre-treatment``, ``on-treatment``...), else from the word in the sample id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd

from immunescape._validate import check_choice
from immunescape.errors import InputError
from immunescape.io._cells import norm_name

__all__ = [
    "PATIENT_NAMES", "PatientRule", "keep_one_per_patient", "outcome_samples", "patient_groups",
]

#: What to do with patients holding several labelled samples.
PatientRule = Literal["refuse", "first", "pre", "on"]
#: Normalised names (lower case, letters and digits only) of clinical patient columns.
PATIENT_NAMES = (
    "patient", "patientid", "patientname", "patientidentifier", "subject", "subjectid",
    "participant", "participantid", "individual", "individualid", "donor", "donorid", "caseid",
)  # fmt: skip
#: A column found only by its values (ids start with it) names patients when no value holds
#: more samples than this (a cohort or site column would hold many).
MAX_SAMPLES_PER_PATIENT = 6
_PRE = ("pre", "pretreatment", "pretx", "baseline")
_ON = ("on", "ontreatment", "ontx", "post", "posttreatment", "posttx")
_WORD = "|".join(sorted(_PRE + _ON + ("pre-treatment", "on-treatment", "post-treatment"),
                        key=len, reverse=True))
_SUFFIX = re.compile(rf"^(?P<patient>.+?)[_\-. ](?P<tp>{_WORD})(?:[._\-]?\d+)?$", re.I)
_PREFIX = re.compile(rf"^(?P<tp>{_WORD})[_\-. ](?P<patient>.+)$", re.I)


def _timepoint_word(text: object) -> str | None:
    """``"pre"``, ``"on"`` or None for a timepoint word (any case, punctuation ignored)."""
    word = norm_name(text)
    return "pre" if word in _PRE else "on" if word in _ON else None


def _split_id(sample: str) -> tuple[str, str] | None:
    """(patient, timepoint) of a sample id carrying a timepoint word, else None.

    Examples
    --------
    >>> _split_id("Pt101_Pre"), _split_id("Pt92_On.2"), _split_id("pre-P7"), _split_id("Pt1")
    (('Pt101', 'pre'), ('Pt92', 'on'), ('P7', 'pre'), None)
    """
    m = _SUFFIX.match(sample) or _PREFIX.match(sample)
    if m is None:
        return None
    tp = _timepoint_word(m["tp"])
    return None if tp is None else (m["patient"], tp)


def _patient_column(frame: pd.DataFrame, samples: Sequence[str]) -> str | None:
    """Return the clinical column naming each sample's patient, or None."""
    named = [c for c in frame.columns if norm_name(c) in PATIENT_NAMES]
    for col in named:
        values = frame.loc[list(samples), col]
        if values.notna().all() and (values.astype(str).str.strip() != "").all():
            return str(col)
    for col in frame.columns:
        values = frame.loc[list(samples), col]
        if values.isna().any() or values.dtype.kind not in "OUST":
            continue
        text = values.astype(str).str.strip()
        starts = all(
            s != v and s.startswith(v) and s[len(v)] in "_-. " for s, v in
            zip(samples, text, strict=True)
        )
        if starts and text.nunique() > 1 and text.value_counts().max() <= MAX_SAMPLES_PER_PATIENT:
            return str(col)
    return None


def patient_groups(
    frame: pd.DataFrame, *, samples: Sequence[str] | None = None
) -> tuple[dict[str, list[str]], str]:
    """Group samples by patient; return the patients with several samples and the rule used.

    Parameters
    ----------
    frame
        Clinical table indexed by sample id (harmonised and extra columns).
    samples
        The samples to consider (default: all rows), e.g. those with an outcome.

    Returns
    -------
    groups, rule
        Patient -> its samples (file order), for patients with more than one sample; and how
        patients were recognised (``"column 'sample_u'"``, ``"timepoint words in the sample
        ids"`` or ``""`` when no patient holds several samples).

    Examples
    --------
    >>> f = pd.DataFrame({"response": ["R", "R", "NR"]}, index=["P1_pre", "P1_on", "P2_pre"])
    >>> patient_groups(f)
    ({'P1': ['P1_pre', 'P1_on']}, 'timepoint words in the sample ids')
    """
    ids = [str(s) for s in (frame.index if samples is None else samples)]
    col = _patient_column(frame, ids) if ids else None
    if col is not None:
        keys: list[str | None] = [str(v).strip() for v in frame.loc[ids, col]]
        rule = f"patient column {col!r}"
    else:
        keys = [p[0].lower() if (p := _split_id(s)) else None for s in ids]
        rule = "timepoint words in the sample ids"
    groups: dict[str, list[str]] = {}
    for s, k in zip(ids, keys, strict=True):
        if k is not None:
            groups.setdefault(k, []).append(s)
    repeated = {k: v for k, v in groups.items() if len(v) > 1}
    if col is None and repeated:  # name a patient by its spelling in the first sample id
        repeated = {(_split_id(v[0]) or (k, ""))[0]: v for k, v in repeated.items()}
    return repeated, rule if repeated else ""


def _timepoints(frame: pd.DataFrame, samples: Sequence[str]) -> dict[str, str | None]:
    """Timepoint (``"pre"``/``"on"``/None) per sample: a timepoint column, else the id."""
    for col in frame.columns:
        values = frame.loc[list(samples), col]
        if values.dtype.kind not in "OUST" or values.isna().all():
            continue
        words = [None if pd.isna(v) else _timepoint_word(v) for v in values]
        if all(w is not None for w in words):
            return dict(zip(samples, words, strict=True))
    return {s: (p[1] if (p := _split_id(s)) else None) for s in samples}


def keep_one_per_patient(
    frame: pd.DataFrame,
    *,
    rule: PatientRule = "refuse",
    samples: Sequence[str] | None = None,
    source: str = "clinical table",
    option: str = "--one-per-patient",
) -> tuple[pd.DataFrame, str | None]:
    """Refuse a cohort holding several samples of a patient, or keep one sample per patient.

    Parameters
    ----------
    frame
        Clinical table indexed by sample id.
    rule
        ``"refuse"`` (an :class:`~immunescape.errors.InputError` when a patient has several
        of ``samples``), ``"first"`` (the first in file order), ``"pre"`` or ``"on"`` (the
        first pre- / on-treatment sample; patients without one are left out).
    samples
        The samples the statistics use (e.g. those with a response or survival); default all.
    source, option
        The file and the option, named in messages.

    Returns
    -------
    frame, note
        ``frame`` without the samples left out; a sentence describing them (None when none).

    Raises
    ------
    InputError
        ``rule="refuse"`` and a patient holds several samples; ``"pre"``/``"on"`` with no
        recognisable timepoint.

    Examples
    --------
    >>> f = pd.DataFrame({"response": ["R", "R", "NR", "NR"]},
    ...                  index=["P1_on", "P1_pre", "P2_pre", "P3_on"])
    >>> kept, note = keep_one_per_patient(f, rule="pre")
    >>> kept.index.tolist()
    ['P1_pre', 'P2_pre']
    >>> keep_one_per_patient(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: clinical table: 1 patient(s) have more than one labelled ...
    """
    check_choice(option, rule, PatientRule)
    ids = [str(s) for s in (frame.index if samples is None else samples)]
    groups, how = patient_groups(frame, samples=ids)
    if rule in ("pre", "on"):
        tps = _timepoints(frame, ids)
        if not any(tps.values()):
            raise InputError(
                f"{option} {rule}: no sample has a recognisable timepoint (no column of "
                "pre/on values, no _pre/_on in the sample ids)",
                source=source,
                fix=f"use {option} first, or add a timepoint column (pre / on)",
            )
        drop = [s for s in ids if tps[s] != rule]
        drop_set = set(drop)
        for members in groups.values():
            chosen = [s for s in members if s not in drop_set]
            drop += chosen[1:]
        note = (f"{option} {rule}: {len(drop)} of {len(ids)} labelled samples left out "
                f"(not {rule}-treatment, or a second {rule}-treatment sample of a patient)")
        kept = frame.drop(index=drop)
        return kept, (note if drop else None)
    if not groups:
        return frame, None
    examples = "; ".join(f"{p}: {', '.join(m)}" for p, m in list(groups.items())[:2])
    if rule == "refuse":
        raise InputError(
            f"{len(groups)} patient(s) have more than one labelled sample ({how}; e.g. "
            f"{examples}), but the statistics assume one sample per patient",
            source=source,
            fix=f"keep one sample per patient with {option} pre (or on, first)",
        )
    drop = [s for m in groups.values() for s in m[1:]]
    note = (f"{option} first: {len(drop)} later sample(s) of {len(groups)} patient(s) with "
            f"several ({how}) left out (e.g. {examples})")
    return frame.drop(index=drop), note


def outcome_samples(frame: pd.DataFrame) -> list[str]:
    """Return the samples with a response or a survival time: those the statistics use."""
    cols: list[Any] = [c for c in ("response", "os_months", "pfs_months") if c in frame.columns]
    if not cols:
        return [str(s) for s in frame.index]
    has = frame[cols].notna().any(axis=1)
    return [str(s) for s in frame.index[has.to_numpy()]]
