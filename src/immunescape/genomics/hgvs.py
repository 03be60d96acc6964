"""Parsing protein-level HGVS (``HGVSp``/``HGVSp_Short``) into residue positions.

Accepted forms (one- or three-letter amino-acid codes, with or without ``p.`` and
parentheses): substitutions ``V600E``, ``Val600Glu``, ``R661*``, ``Arg661Ter``, ``M1?``,
``G12=``; frameshifts ``K12fs``, ``Lys12ArgfsTer5``, ``K12Rfs*5``; deletions, insertions,
duplications and delins with an optional range ``D32_S45del``, ``E746_A750delinsQ``; stop-loss
extensions ``*393Wext*?``; MAF splice notation ``X123_splice``; and the empty markers ``=``,
``?``, ``0``. Missing values (empty, ``.``, ``NA``) are allowed. Anything else is malformed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from immunescape.genomics.knowledge import three_to_one

__all__ = ["parse_hgvsp", "HGVS_KINDS"]

HGVS_KINDS = (
    "missense",
    "nonsense",
    "synonymous",
    "start_lost",
    "unknown",
    "frameshift",
    "deletion",
    "insertion",
    "duplication",
    "delins",
    "extension",
    "splice",
    "no_protein",
)

_AA = r"(?:[A-Z][a-z]{2}|[A-Z*])"
_MASTER = re.compile(rf"^(?P<ref>{_AA})(?P<pos>\d+)(?:_(?P<ref2>{_AA})(?P<pos2>\d+))?(?P<rest>.*)$")
_SUB = re.compile(rf"^(?P<alt>{_AA}|=|\?)$")
_FS = re.compile(rf"^(?:{_AA})?fs(?:(?:\*|Ter|X)(?:\d+|\?)?)?$")
_EXT = re.compile(rf"^(?:{_AA})?ext(?:(?:\*|Ter|X)?(?:\d+|\?)?)?$")
_INDEL = re.compile(rf"^(?P<op>delins|del|ins|dup)(?:(?:{_AA})+|\d+)?$")
_CODE3 = re.compile(r"[A-Z][a-z]{2}")
_MISSING = {"", ".", "NA", "N/A", "NAN", "NONE", "NULL", "-"}
_COLUMNS = ["hgvsp_short", "kind", "ref_aa", "prot_start", "prot_end", "alt_aa", "malformed"]


def _one_letter(text: str) -> str:
    return _CODE3.sub(lambda m: three_to_one(m.group(0)), text)


_Parsed = tuple[str | None, str | None, str | None, float, float, str | None, bool]


def _parse_one(value: str) -> _Parsed:
    raw = value.strip()
    if raw.upper() in _MISSING:
        return None, None, None, np.nan, np.nan, None, False
    s = raw[2:] if raw.startswith("p.") else raw
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1]
    if s in ("=", "?"):
        return "p." + s, "unknown" if s == "?" else "synonymous", None, np.nan, np.nan, None, False
    if s in ("0", "0?"):
        return "p.0", "no_protein", None, np.nan, np.nan, None, False
    m = _MASTER.match(s)
    if m is None:
        return None, None, None, np.nan, np.nan, None, True
    ref = three_to_one(m["ref"])
    pos = float(m["pos"])
    end = float(m["pos2"]) if m["pos2"] else pos
    rest = m["rest"]
    short = "p." + _one_letter(s)
    if m["pos2"] is None:
        sub = _SUB.match(rest)
        if sub is not None:
            alt = sub["alt"]
            if alt == "=":
                return short, "synonymous", ref, pos, end, ref, False
            if alt == "?":
                kind = "start_lost" if pos == 1 and ref == "M" else "unknown"
                return short, kind, ref, pos, end, None, False
            alt1 = three_to_one(alt)
            if alt1 == ref:
                kind = "synonymous"
            elif alt1 == "*":
                kind = "nonsense"
            elif pos == 1 and ref == "M":
                kind = "start_lost"
            else:
                kind = "missense"
            return short, kind, ref, pos, end, alt1, False
        if rest == "_splice":
            return short, "splice", None, pos, end, None, False
    if _FS.match(rest):
        return short, "frameshift", ref, pos, end, None, False
    if _EXT.match(rest):
        return short, "extension", ref, pos, end, None, False
    ind = _INDEL.match(rest)
    if ind is not None:
        kind = {"del": "deletion", "ins": "insertion", "dup": "duplication", "delins": "delins"}[
            ind["op"]
        ]
        return short, kind, ref, pos, end, None, False
    return None, None, None, np.nan, np.nan, None, True


def parse_hgvsp(values: pd.Series) -> pd.DataFrame:
    """Parse protein HGVS strings.

    Each distinct string is parsed once, so a cohort MAF with millions of rows costs one pass
    over its distinct values.

    Parameters
    ----------
    values
        HGVSp strings (``p.V600E``, ``p.Val600Glu``, ...); missing values allowed.

    Returns
    -------
    pandas.DataFrame
        Same index as ``values``, columns ``hgvsp_short`` (one-letter form, ``p.`` prefix),
        ``kind`` (one of :data:`HGVS_KINDS`, None when missing), ``ref_aa`` (one letter),
        ``prot_start`` / ``prot_end`` (float, NaN when unknown), ``alt_aa`` (one letter for
        substitutions) and ``malformed`` (True for strings that are not HGVS).

    Examples
    --------
    >>> import pandas as pd
    >>> out = parse_hgvsp(pd.Series(["p.Val600Glu", "p.R661*", "p.D32_S45del", ".", "V600"]))
    >>> out[["hgvsp_short", "kind", "prot_start", "malformed"]].values.tolist()
    [['p.V600E', 'missense', 600.0, False], ['p.R661*', 'nonsense', 661.0, False], \
['p.D32_S45del', 'deletion', 32.0, False], [None, None, nan, False], [None, None, nan, True]]
    """
    s = values.astype("object")
    missing = s.isna()
    uniq = pd.unique(s[~missing].astype(str))
    parsed = pd.DataFrame([_parse_one(u) for u in uniq], columns=_COLUMNS, index=uniq)
    if parsed.empty:
        parsed = pd.DataFrame(columns=_COLUMNS)
    out = parsed.reindex(s.where(~missing, "\x00").astype(str).to_numpy())
    out.index = values.index
    out["malformed"] = out["malformed"].eq(True)
    for c in ("hgvsp_short", "kind", "ref_aa", "alt_aa"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out["prot_start"] = out["prot_start"].astype(float)
    out["prot_end"] = out["prot_end"].astype(float)
    return out
