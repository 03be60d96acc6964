"""Matching the sample ids of one input against the samples of the rest of a run.

Kept free of numpy and pandas: plain sets of strings in, one-line messages out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from immunescape.errors import InputError

__all__ = ["check_input_samples", "example_pair", "unmatched_samples_note"]


def _letters_digits(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def example_pair(ids: Iterable[str], others: Iterable[str]) -> tuple[str, str]:
    """Two ids, one from each side, that look alike, to show why they do not match.

    A pair where one id contains the other, compared on letters and digits in any case, is
    preferred (``Pt101_pre`` and ``Pt101``; ``TCGA.AB.2802`` and ``TCGA-AB-2802``); then the
    most similar pair (:class:`difflib.SequenceMatcher`); then the first id of each side.

    Examples
    --------
    >>> example_pair(["Pt101_on", "Pt101_pre"], ["Pt1", "Pt101"])
    ('Pt101_on', 'Pt101')
    >>> example_pair(["TCGA.AB.2802", "TCGA.AB.2803"], ["TCGA-AB-2801", "TCGA-AB-2803"])
    ('TCGA.AB.2803', 'TCGA-AB-2803')
    >>> example_pair(["patient_07", "patient_09"], ["Pat-7", "S1"])
    ('patient_07', 'Pat-7')
    >>> example_pair(["S9"], ["Pt1"])
    ('S9', 'Pt1')
    """
    a = sorted({str(s) for s in ids})
    b = sorted({str(s) for s in others})
    keys_b = [(y, _letters_digits(y)) for y in b[:500]]
    for x in a[:500]:
        kx = _letters_digits(x)
        alike = [y for y, ky in keys_b if kx and ky and (ky in kx or kx in ky)]
        if alike:
            return x, max(alike, key=len)
    best, pair = 0.5, (a[0], b[0])  # a pair must share at least half of its letters
    for x in a[:50]:
        match = difflib.SequenceMatcher(b=_letters_digits(x), autojunk=False)
        for y, ky in keys_b:
            match.set_seq1(ky)  # the second sequence is the one SequenceMatcher indexes
            if match.real_quick_ratio() > best and match.quick_ratio() > best:
                ratio = match.ratio()
                if ratio > best:
                    best, pair = ratio, (x, y)
    return pair


def check_input_samples(
    ids: Iterable[str], others: Iterable[str], *, option: str, source: str, others_name: str
) -> str | None:
    """Refuse an input none of whose sample ids is a sample of the run; describe a partial one.

    Parameters
    ----------
    ids
        The sample ids of the input (e.g. the samples of ``--hla-loh``).
    others
        The samples of the run it must join (e.g. the expression samples).
    option, source
        The option and the file, named in the message.
    others_name
        What ``others`` are, e.g. ``"expression matrix"``.

    Returns
    -------
    str or None
        A warning when only some ids match, else None.

    Raises
    ------
    InputError
        When no id matches.

    Examples
    --------
    >>> check_input_samples(["Pt1", "Pt2"], ["Pt1", "Pt2", "Pt3"], option="--hla",
    ...                     source="hla.tsv", others_name="expression matrix") is None
    True
    >>> check_input_samples(["Pt1", "X"], ["Pt1"], option="--hla", source="hla.tsv",
    ...                     others_name="expression matrix")  # doctest: +ELLIPSIS
    "--hla hla.tsv: 1 of 2 sample ids are not samples of the expression matrix (e.g. 'X'); ..."
    """
    mine = list(dict.fromkeys(str(s) for s in ids))
    theirs = {str(s) for s in others}
    if not mine or not theirs:
        return None
    unmatched = [s for s in mine if s not in theirs]
    if len(unmatched) == len(mine):
        x, y = example_pair(mine, theirs)
        fix = (f"use the same sample ids in {option} as in the other inputs (rename them in "
               "the file), or leave the option out")
        if option == "--hla" and len(mine) == 1:  # a typing tool's file names no sample
            fix = (f"if this is a typing tool's file of one sample, its id ({x!r}) was taken "
                   f"from the file name: name the sample with --hla SAMPLE={source}; else "
                   + fix)
        raise InputError(
            f"none of its {len(mine)} sample ids is a sample of the {others_name} "
            f"(e.g. {x!r} vs {y!r})",
            source=f"{option} {source}",
            fix=fix,
        )
    if not unmatched:
        return None
    shown = ", ".join(repr(s) for s in unmatched[:3])
    return (f"{option} {source}: {len(unmatched)} of {len(mine)} sample ids are not samples of "
            f"the {others_name} (e.g. {shown}); they are kept as samples with this input only")


def unmatched_samples_note(
    unmatched: Iterable[str], others: Iterable[str], *, total: int, what: str, missing: str,
    consequence: str,
) -> str | None:
    """Describe samples dropped for want of a match, and whether another case would match them.

    Parameters
    ----------
    unmatched
        The ids that found no partner (e.g. expression samples without a clinical row).
    others
        The ids of the other side that found no partner (e.g. unmatched clinical ids).
    total
        How many ids ``unmatched`` was taken from.
    what, missing, consequence
        Words for the message: ``"expression"``, ``"clinical row"``, ``"left out"``.

    Returns
    -------
    str or None
        The warning (None when nothing is unmatched).

    Examples
    --------
    >>> unmatched_samples_note(["Pt12", "Pt14"], ["pt12", "pt14"], total=4, what="expression",
    ...                        missing="clinical row", consequence="are left out")
    "2 of 4 expression samples have no clinical row and are left out (e.g. 'Pt12', 'Pt14'); \
2 of them match a clinical id in another case (e.g. 'Pt12' vs 'pt12'): make the ids' case agree"
    """
    lost = list(dict.fromkeys(str(s) for s in unmatched))
    if not lost:
        return None
    folded: dict[str, str] = {}
    for s in others:
        folded.setdefault(str(s).casefold(), str(s))
    cased = [(s, folded[s.casefold()]) for s in lost if s.casefold() in folded]
    note = (f"{len(lost)} of {total} {what} samples have no {missing} and {consequence} "
            f"(e.g. {', '.join(repr(s) for s in lost[:3])})")
    if cased:
        note += (f"; {len(cased)} of them match a {missing.split()[0]} id in another case (e.g. "
                 f"{cased[0][0]!r} vs "
                 f"{cased[0][1]!r}): make the ids' case agree")
    return note
