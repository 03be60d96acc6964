"""Helpers for the VCF tests: put a VEP-style CSQ on real, unannotated caller VCFs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CSQ_HEADER = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl '
    'VEP. Format: Allele|Consequence|SYMBOL|Feature|BIOTYPE|HGVSc|HGVSp|CANONICAL">'
)


def maf_key(chrom: str, pos: int, ref: str, alt: str) -> tuple:
    """vcf2maf's allele convention, written independently of immunescape's reader."""
    if len(ref) != len(alt) and ref[0] == alt[0]:
        r, a = ref[1:] or "-", alt[1:] or "-"
        start = pos if r == "-" else pos + 1
        return (str(chrom), start, r, a)
    return (str(chrom), pos, ref, alt)


def vep_allele(ref: str, alts: list[str], alt: str) -> str:
    if all(a[0] == ref[0] for a in alts) and any(len(a) != len(ref) for a in alts):
        return alt[1:] or "-"
    return alt


def annotate_from_maf(vcf: Path, maf: pd.DataFrame, out: Path, *, canonical: bool = True) -> int:
    """Write ``out``: ``vcf`` with a CSQ built from the MAF rows vcf2maf made from it.

    Every transcript of the MAF's ``all_effects`` becomes a CSQ entry; the MAF's own
    transcript carries its full consequence and, when ``canonical``, CANONICAL=YES as in the
    MAF. Returns the number of annotated alleles.
    """
    by_key: dict[tuple, pd.Series] = {}
    for _, row in maf.iterrows():
        key = (str(row["Chromosome"]), int(row["Start_Position"]), row["Reference_Allele"],
               row["Tumor_Seq_Allele2"])  # fmt: skip
        by_key.setdefault(key, row)
    lines = vcf.read_text().splitlines()
    done = 0
    text = []
    for line in lines:
        if line.startswith("#CHROM"):
            text.append(CSQ_HEADER)
            text.append(line)
            continue
        if line.startswith("#"):
            text.append(line)
            continue
        f = line.split("\t")
        alts = f[4].split(",")
        entries = []
        for alt in alts:
            row = by_key.get(maf_key(f[0], int(f[1]), f[3], alt))
            if row is None:
                continue
            allele = vep_allele(f[3], alts, alt)
            for eff in str(row["all_effects"]).strip(";").split(";"):
                sym, cons, hgvsp, tx = (eff.split(",") + ["", "", "", ""])[:4]
                canon = ""
                if tx == row["Feature"]:
                    cons = str(row["Consequence"]).replace(",", "&")
                    canon = "YES" if canonical and row.get("CANONICAL") == "YES" else ""
                entries.append("|".join([allele, cons, sym, tx, "protein_coding", "",
                                         hgvsp.replace("=", "%3D"), canon]))  # fmt: skip
            done += 1
        if entries:
            info = "CSQ=" + ",".join(entries)
            f[7] = info if f[7] in (".", "") else f[7] + ";" + info
        text.append("\t".join(f))
    out.write_text("\n".join(text) + "\n")
    return done


def annotate_all(vcf: Path, out: Path, *, consequence: str = "missense_variant",
                 gene: str = "GENE1") -> None:
    """Give every allele of a caller VCF one synthetic CSQ entry (to test FORMAT parsing)."""
    text = []
    for line in vcf.read_text().splitlines():
        if line.startswith("#CHROM"):
            text += [CSQ_HEADER, line]
        elif line.startswith("#"):
            text.append(line)
        else:
            f = line.split("\t")
            alts = f[4].split(",")
            cons = [consequence if len(a) == len(f[3]) else
                    ("inframe_deletion" if (len(f[3]) - len(a)) % 3 == 0 else "frameshift_variant")
                    for a in alts]  # fmt: skip
            ents = [f"{vep_allele(f[3], alts, a)}|{c}|{gene}|T1|protein_coding|||YES"
                    for a, c in zip(alts, cons, strict=True)]  # fmt: skip
            info = "CSQ=" + ",".join(ents)
            f[7] = info if f[7] in (".", "") else f[7] + ";" + info
            text.append("\t".join(f))
    out.write_text("\n".join(text) + "\n")
