"""Matching the sample ids of one input against the samples of the rest of a run.

Kept free of numpy and pandas: plain sets of strings in, one-line messages out.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable

from immunescape.errors import InputError

__all__ = ["check_input_samples", "example_pair", "mismatch_hint", "rewritten_matches",
           "unmatched_samples_note"]


def _letters_digits(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _no_leading_zeros(text: str) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group())), text)


def _r_names(text: str) -> str:
    """R's ``make.names`` (as ``read.table``/``data.frame`` apply to column names)."""
    out = re.sub(r"[^0-9A-Za-z._]", ".", text)
    return "X" + out if re.match(r"[0-9_]|\.[0-9]", out) else out


#: Ways the same sample id is commonly rewritten between files, tried in this order:
#: (name, key); two ids whose keys are equal are "the same id, rewritten".
_REWRITES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("Unicode normalisation (NFC vs NFD)", lambda t: unicodedata.normalize("NFC", t)),
    ("letter case", str.casefold),
    ("R's make.names ('-' or ' ' read as '.', 'X' before a leading digit)", _r_names),
    ("leading zeros", _no_leading_zeros),
    ("separators and case", _letters_digits),
    ("the TCGA barcode level (aliquot or sample vs patient: compare the first 12 characters)",
     lambda t: _tcga_patient(t) or t),
)


def _tcga_patient(text: str) -> str | None:
    """``TCGA-XX-XXXX`` of a TCGA barcode at any level (any separator and case), else None."""
    m = re.match(r"tcga[-._]([0-9a-z]{2})[-._]([0-9a-z]{4})", text.casefold())
    return f"TCGA-{m.group(1)}-{m.group(2)}".upper() if m else None


def mismatch_hint(ids: Iterable[str], others: Iterable[str]) -> str:
    """``" (N would match but for <rewrite>, e.g. 'a' vs 'b')"``, or ``""`` (no rewrite)."""
    rewrite = rewritten_matches(ids, others)
    if rewrite is None:
        return ""
    name, pairs = rewrite
    return (f" ({len(pairs)} would match but for {name}, e.g. {pairs[0][0]!r} vs "
            f"{pairs[0][1]!r})")


def rewritten_matches(unmatched: Iterable[str], others: Iterable[str]
                      ) -> tuple[str, list[tuple[str, str]]] | None:
    """Find the first common rewrite under which unmatched ids meet ids of the other side.

    Returns
    -------
    (rewrite, pairs) or None
        The rewrite's description and the pairs (unmatched id, other id) it joins.

    Examples
    --------
    >>> rewritten_matches(["Pt01", "Pt02", "S9"], ["Pt1", "Pt2"])[0]
    'leading zeros'
    >>> rewritten_matches(["TCGA-EE-A001-06A-11R"], ["TCGA-EE-A001"])[1]
    [('TCGA-EE-A001-06A-11R', 'TCGA-EE-A001')]
    >>> rewritten_matches(["TCGA.AB.2802"], ["TCGA-AB-2802"])[1]
    [('TCGA.AB.2802', 'TCGA-AB-2802')]
    >>> rewritten_matches(["X123"], ["123"])[0].startswith("R's make.names")
    True
    >>> rewritten_matches(["Pt1"], ["Pt2"]) is None
    True
    """
    lost = list(dict.fromkeys(str(x) for x in unmatched))
    theirs = list(dict.fromkeys(str(x) for x in others))
    for name, key in _REWRITES:
        table: dict[str, str] = {}
        for y in theirs:
            table.setdefault(key(y), y)
        if name.startswith("R's"):  # the R side may be either file
            for y in theirs:
                table.setdefault(key(_r_names(y)), y)
            pairs = [(x, table[key(_r_names(x))]) for x in lost if key(_r_names(x)) in table]
        else:
            pairs = [(x, table[key(x)]) for x in lost if key(x) in table]
        if pairs:
            return name, pairs
    return None


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
        hint = mismatch_hint(mine, theirs) or f" (e.g. {x!r} vs {y!r})"
        fix = (f"use the same sample ids in {option} as in the other inputs (rename them in "
               "the file), or leave the option out")
        if option == "--hla" and len(mine) == 1:  # a typing tool's file names no sample
            fix = (f"if this is a typing tool's file of one sample, its id ({x!r}) was taken "
                   f"from the file name: name the sample with --hla SAMPLE={source}; else "
                   + fix)
        raise InputError(
            f"none of its {len(mine)} sample ids is a sample of the {others_name}{hint}",
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
    note = (f"{len(lost)} of {total} {what} samples have no {missing} and {consequence} "
            f"(e.g. {', '.join(repr(s) for s in lost[:3])})")
    rewrite = rewritten_matches(lost, others)
    if rewrite is not None:
        name, pairs = rewrite
        if name == "letter case":
            note += (f"; {len(pairs)} of them match a {missing.split()[0]} id in another case "
                     f"(e.g. {pairs[0][0]!r} vs {pairs[0][1]!r}): make the ids' case agree")
        else:
            note += (f"; {len(pairs)} of them match a {missing.split()[0]} id but for {name} "
                     f"(e.g. {pairs[0][0]!r} vs {pairs[0][1]!r}): make the ids agree")
    return note
