"""Parsing protein-level HGVS (``HGVSp``/``HGVSp_Short``) into residue positions.

Accepted forms (one- or three-letter amino-acid codes, with or without ``p.`` and
parentheses): substitutions ``V600E``, ``Val600Glu``, ``R661*``, ``Arg661Ter``, ``M1?``,
``G12=``; frameshifts ``K12fs``, ``Lys12ArgfsTer5``, ``K12Rfs*5``; deletions, insertions,
duplications and delins with an optional range ``D32_S45del``, ``E746_A750delinsQ``; stop-loss
extensions ``*393Wext*?``; MAF splice notation ``X123_splice``; and the empty markers ``=``,
``?``, ``0``. Missing values (empty, ``.``, ``NA``, ``-``: the genomic tables' shared list in
``genomics/data/maf_vocabulary.yaml``) are allowed. Anything else is malformed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from immunescape.genomics._numeric import MISSING_UPPER
from immunescape.genomics.knowledge import _AA3 as _AA3_TO_1
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
# a residue or range with an optional "p." prefix and parentheses, for one pass over the values
_FULL = re.compile(
    rf"^(?:p\.)?(?P<open>\()?(?P<ref>{_AA})(?P<pos>\d+)(?:_(?P<ref2>{_AA})(?P<pos2>\d+))?"
    r"(?P<rest>.*?)(?P<close>\))?$"
)
_SUB = re.compile(rf"^(?P<alt>{_AA}|=|\?)$")
_FS = re.compile(rf"^(?:{_AA})?fs(?:(?:\*|Ter|X)(?:\d+|\?)?)?$")
_EXT = re.compile(rf"^(?:{_AA})?ext(?:(?:\*|Ter|X)?(?:\d+|\?)?)?$")
_INDEL = re.compile(rf"^(?P<op>delins|del|ins|dup)(?:(?:{_AA})+|\d+)?$")
_CODE3 = re.compile(r"[A-Z][a-z]{2}")
#: Missing HGVSp values: the genomic tables' shared list (``maf_vocabulary.yaml``, upper-cased).
#: "=", "?" and "0" are HGVS values (no change, effect unknown, no protein), never missing.
_MISSING = MISSING_UPPER


def _one_letter(text: str) -> str:
    return _CODE3.sub(lambda m: three_to_one(m.group(0)), text)


def _to_one(codes: pd.Series) -> np.ndarray:
    """Vectorised three_to_one: map three-letter codes, keep one-letter codes and NaN."""
    mapped = codes.map(_AA3_TO_1)
    return np.where(mapped.notna(), mapped, codes).astype(object)


_FULL_RE2 = _FULL.pattern


def _extract_full(values: pd.Series) -> pd.DataFrame:
    """``values.str.extract(_FULL)``, run by Arrow's RE2 engine over the whole column at once.

    Arrow gives an empty string for an optional group that did not take part in the match
    (Python's ``re`` gives None); those become NaN, so both paths return the same table.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    names = ["open", "ref", "pos", "ref2", "pos2", "rest", "close"]
    arr = pc.extract_regex(pa.array(values.to_numpy(dtype=object), type=pa.string(),
                                    from_pandas=True),
                           pattern=_FULL_RE2)  # fmt: skip
    matched = arr.is_valid().to_numpy(zero_copy_only=False)
    out = {}
    for name in names:
        col = pc.struct_field(arr, name).to_numpy(zero_copy_only=False).astype(object)
        col[~matched] = np.nan
        if name != "rest":
            col[col == ""] = np.nan
        out[name] = col
    return pd.DataFrame(out, index=values.index)[names]


def _classify_rest(rest: str, has_range: bool) -> tuple[str | None, str | None]:
    """Return (kind or 'sub', alternative) for the part after the position(s)."""
    if not has_range:
        sub = _SUB.match(rest)
        if sub is not None:
            return "sub", sub["alt"]
        if rest == "_splice":
            return "splice", None
    if _FS.match(rest):
        return "frameshift", None
    if _EXT.match(rest):
        return "extension", None
    ind = _INDEL.match(rest)
    if ind is not None:
        kinds = {"del": "deletion", "ins": "insertion", "dup": "duplication", "delins": "delins"}
        return kinds[ind["op"]], None
    return None, None


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
    import pyarrow as pa
    import pyarrow.compute as pc

    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    text = pc.utf8_trim_whitespace(
        pa.array(np.asarray(uniques, dtype=object).astype(str), type=pa.string())
    )
    u = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    n = len(u)
    kind = np.full(n, None, dtype=object)
    short = np.full(n, None, dtype=object)
    ref1 = np.full(n, None, dtype=object)
    alt1 = np.full(n, None, dtype=object)
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    malformed = np.zeros(n, dtype=bool)
    missing = pc.is_in(pc.utf8_upper(text), value_set=pa.array(sorted(_MISSING))).to_numpy(
        zero_copy_only=False
    )
    body = pd.Series(
        pc.if_else(pc.starts_with(text, "p."), pc.utf8_slice_codeunits(text, 2), text)
        .to_numpy(zero_copy_only=False), dtype=object,
    )  # fmt: skip
    special = {"=": ("p.=", "synonymous"), "?": ("p.?", "unknown"), "0": ("p.0", "no_protein"),
               "0?": ("p.0", "no_protein"), "(=)": ("p.=", "synonymous"),
               "(?)": ("p.?", "unknown")}  # fmt: skip
    is_special = body.isin(list(special)).to_numpy() & ~missing
    for i in np.flatnonzero(is_special):
        short[i], kind[i] = special[body.iloc[i]]
    todo = ~missing & ~is_special
    ext = _extract_full(u[todo])
    idx = np.flatnonzero(todo)
    balanced = ext["open"].isna().to_numpy() == ext["close"].isna().to_numpy()
    matched = ext["ref"].notna().to_numpy() & balanced
    malformed[idx[~matched]] = True
    ext = ext.loc[matched]
    idx = idx[matched]
    if len(idx):
        has_range = ext["pos2"].notna().to_numpy()
        rest_codes, rest_uniques = pd.factorize(
            ext["rest"].to_numpy(dtype=object) + np.where(has_range, "\x00", "")
        )
        classified = [_classify_rest(r.rstrip("\x00"), r.endswith("\x00")) for r in rest_uniques]
        rk = np.array([c[0] for c in classified], dtype=object)[rest_codes]
        ra = np.array([c[1] for c in classified], dtype=object)[rest_codes]
        bad = pd.isna(rk)
        malformed[idx[bad]] = True
        r1 = _to_one(ext["ref"])
        p1 = ext["pos"].astype(float).to_numpy()
        p2 = np.where(has_range, ext["pos2"].astype(float).to_numpy(), p1)
        ra_s = pd.Series(ra, dtype=object)
        a1 = ra_s.map(_AA3_TO_1).where(lambda x: x.notna(), ra_s).to_numpy(dtype=object)
        is_sub = rk == "sub"
        start_codon = (p1 == 1) & (r1 == "M")
        sub_kind = np.select(
            [ra == "=", (ra == "?") & start_codon, ra == "?", a1 == r1, a1 == "*", start_codon],
            ["synonymous", "start_lost", "unknown", "synonymous", "nonsense", "start_lost"],
            default="missense",
        )
        k = np.where(is_sub, sub_kind, rk)
        no_alt = np.full(len(ra), None, dtype=object)
        alt_out = np.where(is_sub & (ra != "?"), np.where(ra == "=", r1, a1), no_alt)
        one_rest = {r: _one_letter(r) for r in pd.unique(ext["rest"])}
        ref2 = pd.Series(_to_one(ext["ref2"]), index=ext.index).fillna("")
        rng = np.where(has_range, "_" + ref2 + ext["pos2"].fillna(""), "")
        rest1 = ext["rest"].map(one_rest).to_numpy()
        sh = "p." + pd.Series(r1) + ext["pos"].to_numpy() + rng + rest1
        good = ~bad
        gi = idx[good]
        kind[gi] = k[good]
        short[gi] = sh.to_numpy(dtype=object)[good]
        splice = k[good] == "splice"
        ref1[gi] = np.where(splice, None, r1[good])
        alt1[gi] = alt_out[good]
        start[gi] = p1[good]
        end[gi] = p2[good]
    take = np.where(codes < 0, n, codes)  # missing input -> the appended empty row

    def _broadcast(arr: np.ndarray, fill: object) -> np.ndarray:
        return np.append(arr, np.array([fill], dtype=arr.dtype))[take]

    return pd.DataFrame(
        {"hgvsp_short": _broadcast(short, None), "kind": _broadcast(kind, None),
         "ref_aa": _broadcast(ref1, None), "prot_start": _broadcast(start, np.nan),
         "prot_end": _broadcast(end, np.nan), "alt_aa": _broadcast(alt1, None),
         "malformed": _broadcast(malformed, False)},
        index=values.index,
    )  # fmt: skip
