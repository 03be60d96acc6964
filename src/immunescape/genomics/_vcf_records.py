"""Parts of a VCF record: annotation fields (VEP ``CSQ``, SnpEff ``ANN``), alleles, read counts."""

from __future__ import annotations

import re
from urllib.parse import unquote

import numpy as np

__all__ = ["parse_format", "maf_alleles", "vep_alleles", "Annotation", "read_counts"]

def parse_format(description: str) -> list[str]:
    """Return the field names of a VEP ``CSQ`` or SnpEff ``ANN`` header description.

    Examples
    --------
    >>> parse_format("Consequence annotations from Ensembl VEP. Format: Allele|SYMBOL|HGVSp")
    ['Allele', 'SYMBOL', 'HGVSp']
    """
    m = re.search(r"Format:\s*'?([^'\"]+)'?", description) or re.search(
        r"annotations:\s*'([^']+)'", description
    )
    if m is None:
        return []
    return [f.strip() for f in m.group(1).split("|")]


def maf_alleles(pos: int, ref: str, alt: str) -> tuple[int, int, str, str]:
    """VCF allele -> MAF (start, end, ref, alt) with the vcf2maf convention.

    Examples
    --------
    >>> maf_alleles(100, "AT", "A"), maf_alleles(100, "A", "AG"), maf_alleles(100, "C", "T")
    ((101, 101, 'T', '-'), (100, 101, '-', 'G'), (100, 100, 'C', 'T'))
    """
    if len(ref) != len(alt) and ref and alt and ref[0] == alt[0]:
        r, a = ref[1:] or "-", alt[1:] or "-"
        if r == "-":
            return pos, pos + 1, r, a
        return pos + 1, pos + len(r), r, a
    return pos, pos + len(ref) - 1, ref, alt


def vep_alleles(ref: str, alts: list[str]) -> list[set[str]]:
    """Return the strings VEP may write in CSQ ``Allele`` for each alternate allele.

    VEP removes the first base of every allele when they all share it and the record has an
    indel (``-`` for an empty allele); the untrimmed form is accepted too.
    """
    trim_all = all(a[:1] == ref[:1] for a in alts) and any(len(a) != len(ref) for a in alts)
    out = []
    for a in alts:
        forms = {a}
        if trim_all or (a[:1] == ref[:1] and len(a) != len(ref)):
            forms.add(a[1:] or "-")
        out.append(forms)
    return out


class Annotation:
    """Field positions of a CSQ/ANN header and the picking rule."""

    def __init__(self, key: str, fields: list[str], ranks: dict[str, int]):
        self.key = key
        self.vep = key != "ANN"
        idx = {f: i for i, f in enumerate(fields)}
        names = {
            "allele": ("Allele",),
            "consequence": ("Consequence", "Annotation"),
            "gene": ("SYMBOL", "Gene_Name"),
            "transcript": ("Feature", "Feature_ID"),
            "biotype": ("BIOTYPE", "Transcript_BioType"),
            "hgvsc": ("HGVSc", "HGVS.c"),
            "hgvsp": ("HGVSp", "HGVS.p"),
            "canonical": ("CANONICAL",),
            "pick": ("PICK",),
            "allele_num": ("ALLELE_NUM",),
        }
        self.pos = {k: next((idx[n] for n in v if n in idx), None) for k, v in names.items()}
        self.n = len(fields)
        self.ranks = ranks
        self.unknown_terms: dict[str, int] = {}

    def _get(self, parts: list[str], key: str) -> str:
        i = self.pos[key]
        return parts[i] if i is not None and i < len(parts) else ""

    def severity(self, consequence: str) -> int:
        best = 10_000
        for t in re.split(r"[&,]", consequence):
            t = t.strip()
            if not t:
                continue
            r = self.ranks.get(t.lower())
            if r is None:
                self.unknown_terms[t] = self.unknown_terms.get(t, 0) + 1
                continue
            best = min(best, r)
        return best

    def pick(self, entries: list[list[str]]) -> list[str] | None:
        if not entries:
            return None
        if self.vep:
            picked = [e for e in entries if self._get(e, "pick") == "1"]
            if picked:
                return picked[0]
            canon = [e for e in entries if self._get(e, "canonical").upper() == "YES"]
            if canon:
                entries = canon
        scored = [
            (self.severity(self._get(e, "consequence")),
             0 if self._get(e, "biotype") == "protein_coding" else 1, i)
            for i, e in enumerate(entries)
        ]  # fmt: skip
        best = min(scored)
        if best[0] >= 10_000:
            return None
        return entries[best[2]]


def _int_or_nan(values: np.ndarray) -> np.ndarray:
    """Return the numbers of one sample's FORMAT value.

    Text values (undeclared or String-typed keys, percent-encoded) are split on commas;
    missing values and htslib's vector-end markers give NaN.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "USO":
        out = []
        for part in unquote(str(arr.reshape(-1)[0] if arr.size else "")).split(","):
            try:
                out.append(float(part.strip().rstrip("%")))
            except ValueError:
                out.append(np.nan)
        v = np.asarray(out, dtype=float)
    else:
        v = arr.astype(float).reshape(-1)
    v[v < 0] = np.nan  # htslib missing / vector end
    return v


def read_counts(rec, t: int, ref: str, alts: list[str], fmt: set[str], varscan: bool):
    """(depth, alt counts per alt allele, VAF per alt allele) of the tumour column."""
    n = len(alts)
    alt = np.full(n, np.nan)
    vaf = np.full(n, np.nan)
    depth = np.nan
    if "DP" in fmt:
        d = rec.format("DP")
        if d is not None:
            depth = float(_int_or_nan(d[t])[0])
    if varscan and "RD" in fmt and "AD" in fmt:
        rd, ad = rec.format("RD"), rec.format("AD")
        if ad is not None:
            alt[:] = float(_int_or_nan(ad[t])[0])
        if np.isnan(depth) and rd is not None and ad is not None:
            depth = float(_int_or_nan(rd[t])[0]) + alt[0]
        if "FREQ" in fmt:
            f = rec.format("FREQ")
            if f is not None:
                text = unquote(str(f[t])).strip().rstrip("%")
                try:
                    vaf[:] = float(text) / 100.0
                except ValueError:
                    pass
    elif "AD" in fmt:
        ad = rec.format("AD")
        if ad is not None:
            a = _int_or_nan(ad[t])
            if len(a) >= n + 1:
                alt = a[1 : n + 1].copy()
                if np.isnan(depth) and not np.isnan(a[: n + 1]).any():
                    depth = float(np.nansum(a[: n + 1]))
    elif "TIR" in fmt and "TAR" in fmt:  # Strelka indels, tier 1
        tir, tar = rec.format("TIR"), rec.format("TAR")
        if tir is not None:
            alt[:] = float(_int_or_nan(tir[t])[0])
        if np.isnan(depth) and tar is not None and tir is not None:
            depth = float(_int_or_nan(tar[t])[0]) + alt[0]
    elif {"AU", "CU", "GU", "TU"} <= fmt:  # Strelka SNVs, tier 1
        tier1: dict[str, float] = {}
        for base in "ACGT":
            v = rec.format(f"{base}U")
            tier1[base] = float(_int_or_nan(v[t])[0]) if v is not None else np.nan
        for i, allele in enumerate(alts):
            alt[i] = tier1.get(allele, np.nan)
        if np.isnan(depth):
            depth = float(np.nansum([tier1.get(ref, np.nan), *alt]))
    if "AF" in fmt and not varscan:
        af = rec.format("AF")
        if af is not None and af.dtype.kind == "f":
            v = np.asarray(af[t], dtype=float)[:n]
            vaf[: len(v)] = v
    missing = np.isnan(vaf) & ~np.isnan(alt) & (depth > 0)
    vaf[missing] = alt[missing] / depth
    return depth, alt, vaf
