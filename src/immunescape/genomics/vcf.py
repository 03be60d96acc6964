"""Annotated VCF files (VEP ``CSQ`` or SnpEff ``ANN``) read into a :class:`MutationTable`.

Records are parsed with ``cyvcf2`` (htslib). One VCF holds the calls of one tumour: the
tumour column is the ``--tumour-sample`` given, else the header's ``##tumor_sample=``
(GATK Mutect2), else the column named ``TUMOR``/``TUMOUR`` (Strelka, VarScan, MuTect, vcf2maf),
else the one column whose name contains ``tumor``/``tumour`` next to one naming ``normal``,
else the only column.

Rules (documented in ``docs/genomics.md``):

- ``FILTER``: PASS (or ``.``) only, unless ``vcf_filter="all"``.
- Multi-allelic records are split; an alternate allele is kept unless the tumour's genotype
  is called without it *and* no tumour read supports it, or the matched normal's genotype
  carries it (germline; the normal is the ``##normal_sample=`` column, else the one other
  column named ``normal``/``germline``). ``--tumour-sample`` naming the normal is refused.
- Symbolic and breakend alleles (structural variants) are skipped and counted.
- Alleles and positions are written as in a MAF (vcf2maf convention): an indel's shared
  first base is removed (``-`` for the empty allele), a deletion starts one base after the
  VCF position.
- One annotation per allele: VEP's ``PICK`` flag, else the ``CANONICAL=YES`` transcript
  (the most severe one when several genes have one), else the most severe consequence
  (Ensembl VEP order, ``genomics/data/so_terms.tsv``); ties go to a protein-coding
  transcript, then to the order listed. SnpEff has no canonical flag: the most severe.
- Read counts per caller: ``AD`` (+ ``DP``; Mutect/Mutect2, GATK), Strelka tier-1 counts
  (``AU/CU/GU/TU`` for SNVs, ``TAR``/``TIR`` for indels), VarScan ``RD``/``AD``/``FREQ``.
  Depth is ``DP`` when given, else the sum of the allele counts.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import get_args
from urllib.parse import unquote

import numpy as np
import pandas as pd

from immunescape._validate import check_choice
from immunescape._vocab import VcfFilter
from immunescape.errors import InputError
from immunescape.genomics._reading import PathLike
from immunescape.genomics._vcf_records import (
    Annotation,
    maf_alleles,
    parse_format,
    read_counts,
    vep_alleles,
)
from immunescape.genomics.mutations import MutationTable, OnMalformedHgvs, so_terms
from immunescape.io._files import read_text_file

__all__ = ["read_vcf", "write_maf", "VCF_FILTERS", "VcfFilter"]

#: Accepted values of ``vcf_filter``.
VCF_FILTERS: tuple[str, ...] = get_args(VcfFilter)

_GENERIC_TUMOUR = {"TUMOR", "TUMOUR", "T", "TUMOR_DNA", "TUMOUR_DNA"}
_NOT_ANNOTATED_FIX = (
    "annotate the VCF with Ensembl VEP (vep --vcf --symbol --canonical --hgvs) or SnpEff "
    "(snpEff ANN) first, or convert it to a MAF with vcf2maf"
)


@contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Collect what htslib writes to file descriptor 2 (header warnings) instead of showing it."""
    lines: list[str] = []
    try:
        fd = os.dup(2)
    except OSError:  # pragma: no cover - no stderr
        yield lines
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(fd, 2)
            os.close(fd)
            tmp.seek(0)
            lines.extend(tmp.read().decode("utf-8", "replace").splitlines())


def _repaired_copy(p: Path, directory: str) -> tuple[Path, list[str]]:
    """Write a copy whose header htslib accepts: log lines before it dropped, fileformat added."""
    _, text, _warnings = read_text_file(p, what="VCF")
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.startswith("#")), None)
    chrom = next((i for i, line in enumerate(lines) if line.startswith("#CHROM")), None)
    if first is None or chrom is None:
        raise InputError(
            "is not a VCF: no '#CHROM' header line",
            source=str(p),
            fix="give a VCF file (header lines starting with ##, then #CHROM POS ID REF ALT ...)",
        )
    notes = []
    if first:
        notes.append(f"{first} line(s) before the VCF header ignored")
    body = lines[first:]
    if not body[0].startswith("##fileformat"):
        body.insert(0, "##fileformat=VCFv4.2")
        notes.append("no ##fileformat line: read as VCFv4.2")
    out = Path(directory) / "repaired.vcf"
    out.write_text("\n".join(line for line in body if line) + "\n", encoding="utf-8")
    return out, notes


def _header_sample(header: str, role: str) -> str | None:
    """Return the sample a ``##normal_sample=`` / ``##tumor_sample=`` header line names."""
    m = re.search(rf"^##{role}_sample=(.+)$", header, re.MULTILINE | re.IGNORECASE)
    return m.group(1).strip() if m else None


def _pick_normal(samples: list[str], header: str, tumour: int | None) -> int | None:
    """Return the matched normal's column index (None when there is none).

    The ``##normal_sample=`` header, else the one other column whose name says
    ``normal``/``germline``.
    """
    if tumour is None:
        return None
    named = _header_sample(header, "normal")
    if named in samples and samples.index(named) != tumour:
        return samples.index(named)
    cand = [i for i, s in enumerate(samples) if i != tumour
            and ("NORMAL" in s.upper() or "GERMLINE" in s.upper())]
    return cand[0] if len(cand) == 1 else None


def _pick_tumour(
    samples: list[str], header: str, tumour_sample: str | None, source: str
) -> int | None:
    if not samples:
        return None
    if tumour_sample is not None:
        if tumour_sample not in samples:
            raise InputError(
                f"--tumour-sample {tumour_sample!r} is not a sample column of the VCF "
                f"(columns: {', '.join(samples[:6])})",
                source=source,
                fix="give one of the VCF's sample names",
            )
        if tumour_sample == _header_sample(header, "normal"):
            others = [s for s in samples if s != tumour_sample]
            named = _header_sample(header, "tumou?r")
            tumour = named if named in others else (others[0] if len(others) == 1 else None)
            raise InputError(
                f"--tumour-sample {tumour_sample!r} is the normal sample of the VCF "
                "(##normal_sample header)" + (f"; the tumour is {tumour!r}" if tumour else ""),
                source=source,
                fix=f"--tumour-sample {tumour}" if tumour else "name the tumour column",
            )
        return samples.index(tumour_sample)
    m = re.search(r"^##tumou?r_sample=(.+)$", header, re.MULTILINE | re.IGNORECASE)
    if m and m.group(1).strip() in samples:
        return samples.index(m.group(1).strip())
    upper = [s.upper() for s in samples]
    for name in ("TUMOR", "TUMOUR"):
        if name in upper:
            return upper.index(name)
    tum = [i for i, s in enumerate(upper) if "TUMOR" in s or "TUMOUR" in s]
    if len(tum) == 1:
        return tum[0]
    if len(samples) == 1:
        return 0
    if len(samples) == 2:
        normal = [i for i, s in enumerate(upper) if "NORMAL" in s or "GERMLINE" in s]
        if len(normal) == 1:
            return 1 - normal[0]
    raise InputError(
        f"cannot tell which of the {len(samples)} sample columns is the tumour "
        f"({', '.join(samples[:4])}{' ...' if len(samples) > 4 else ''})",
        source=source,
        fix="name it with --tumour-sample NAME (Python: tumour_sample=...)",
    )

def read_vcf(
    path: PathLike,
    *,
    tumour_sample: str | None = None,
    sample_id: str | None = None,
    vcf_filter: VcfFilter = "pass",
    resolve_genes: bool = True,
    on_malformed_hgvs: OnMalformedHgvs = "warn",
) -> MutationTable:
    r"""Read an annotated somatic VCF (VEP ``CSQ`` or SnpEff ``ANN``) as mutations.

    Parameters
    ----------
    path
        The VCF (plain or gzip/bgzip).
    tumour_sample
        The tumour's sample column; found from the header when not given (see the module
        documentation).
    sample_id
        Sample id written in the table; default: the tumour column's name, or the file name
        (without ``.vcf``/``.gz``) when that name is generic (``TUMOR``) or the VCF has no
        sample column.
    vcf_filter
        ``"pass"`` (default): records whose FILTER is PASS or ``.``; ``"all"``: every record.
    resolve_genes
        Map gene symbols to current HGNC symbols.
    on_malformed_hgvs
        As in :func:`~immunescape.genomics.read_maf`.

    Returns
    -------
    MutationTable
        One row per (record, alternate allele) kept, MAF columns (``Hugo_Symbol``,
        ``Variant_Classification``, ``HGVSp``, ``HGVSc``, ``Chromosome``, ``Start_Position``,
        ``End_Position``, ``Reference_Allele``, ``Tumor_Seq_Allele2``, ``t_depth``,
        ``t_alt_count``) plus ``t_vaf``, ``Consequence``, ``Transcript_ID``, ``FILTER``.

    Raises
    ------
    InputError
        Not a VCF, no CSQ/ANN annotation (the fix names VEP and SnpEff), unknown tumour
        column, no record left after filtering.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "Pt1.vcf"
    >>> _ = f.write_text(
    ...     "##fileformat=VCFv4.2\n"
    ...     '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
    ...     'Ensembl VEP. Format: Allele|Consequence|SYMBOL|HGVSp|CANONICAL">\n'
    ...     '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="depths">\n'
    ...     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR\n"
    ...     "15\t45003745\t.\tG\tT\t.\tPASS\tCSQ=T|stop_gained|B2M|ENSP1:p.Glu18Ter|YES"
    ...     "\tAD\t30,0\t20,10\n")
    >>> mt = read_vcf(f, resolve_genes=False)
    >>> cols = ["sample_id", "gene", "variant_class", "hgvsp_short", "t_alt_count"]
    >>> mt.data[cols].values.tolist()
    [['Pt1', 'B2M', 'Nonsense_Mutation', 'p.E18*', 10]]
    """
    try:
        import cyvcf2
    except ImportError:  # pragma: no cover - declared dependency
        raise InputError(
            "reading VCF files needs the cyvcf2 package",
            source=str(path),
            fix="pip install cyvcf2",
        ) from None
    p = Path(path)
    src = str(p)
    check_choice("vcf_filter", vcf_filter, VcfFilter)
    if not p.exists():
        raise InputError("file not found", source=src, fix="check the path")
    if p.is_dir() or p.stat().st_size == 0:
        raise InputError(
            "is empty or a directory, not a VCF file", source=src, fix="give the VCF file itself"
        )
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmpdir, _captured_stderr() as hts_messages:  # noqa: SIM117
        try:
            vcf = cyvcf2.VCF(str(p))
        except (OSError, ValueError):
            repaired, fixes = _repaired_copy(p, tmpdir)
            notes += fixes
            try:
                vcf = cyvcf2.VCF(str(repaired))
            except (OSError, ValueError):
                raise InputError(
                    "cannot be parsed as a VCF (htslib refused its header)",
                    source=src,
                    fix="check the header lines (##...) and the #CHROM line",
                ) from None
        header = vcf.raw_header
        samples = list(vcf.samples)
        keys = {
            k: vcf.get_header_type(k)
            for k in ("CSQ", "ANN", "EFF", "vep")
            if re.search(rf"^##INFO=<ID={k},", header, re.MULTILINE)
        }
        vep_key = "CSQ" if "CSQ" in keys else ("vep" if "vep" in keys else None)
        if vep_key is not None and "ANN" in keys and "Allele" not in parse_format(
            str(keys[vep_key].get("Description", ""))
        ):
            notes.append(f"{vep_key} declares no Allele subfield: SnpEff ANN used instead")
            vep_key = None
        if vep_key is not None:
            key = vep_key
        elif "ANN" in keys:
            key = "ANN"
        elif "EFF" in keys:
            raise InputError(
                "has only SnpEff 3 'EFF' annotations (a format SnpEff replaced with ANN in 4.1)",
                source=src,
                fix="re-annotate with SnpEff 4.1 or later (ANN) or with Ensembl VEP (CSQ)",
            )
        else:
            raise InputError(
                "is not annotated: no VEP CSQ or SnpEff ANN field in the header, so variant "
                "classes, genes and protein changes are unknown",
                source=src,
                fix=_NOT_ANNOTATED_FIX,
            )
        fields = parse_format(str(keys[key].get("Description", "")))
        if not ({"Consequence", "Annotation"} & set(fields)):
            raise InputError(
                f"the {key} header does not declare its subfields (Format: Allele|Consequence|...)",
                source=src,
                fix="keep the header VEP/SnpEff wrote; " + _NOT_ANNOTATED_FIX,
            )
        table = so_terms()
        ranks = {t.lower(): int(r) for t, r in table["rank"].items()}
        ann = Annotation(key, fields, ranks)
        t = _pick_tumour(samples, header, tumour_sample, src)
        nrm = _pick_normal(samples, header, t)
        if sample_id is None:
            tumour_name = samples[t] if t is not None else None
            if tumour_name is None or tumour_name.upper() in _GENERIC_TUMOUR:
                sample_id = re.sub(r"(\.vcf)?(\.b?gz)?$", "", p.name, flags=re.IGNORECASE)
            else:
                sample_id = tumour_name
        fmt_ids = set(re.findall(r"^##FORMAT=<ID=([^,>]+)", header, re.MULTILINE))
        varscan = bool(re.search(r"^##source=VarScan", header, re.MULTILINE | re.IGNORECASE)) or (
            {"RD", "FREQ", "AD"} <= fmt_ids and "DP4" in fmt_ids and "AU" not in fmt_ids
        )
        rows: list[tuple] = []
        n_records = n_filtered = n_sv = n_no_ann = n_absent = n_germline = 0
        for rec in vcf:
            n_records += 1
            if vcf_filter == "pass" and rec.FILTER not in (None, "PASS", "."):
                n_filtered += 1
                continue
            ref = rec.REF
            alts = list(rec.ALT)
            if not alts:
                continue
            sv = [a.startswith("<") or "[" in a or "]" in a or a == "*" for a in alts]
            if all(sv):
                n_sv += 1
                continue
            raw = rec.INFO.get(key)
            if raw is None:
                n_no_ann += 1
                continue
            entries = [e.split("|") for e in str(raw).split(",")]
            rec_fmt = set(rec.FORMAT) if t is not None and rec.FORMAT else set()
            if t is not None:
                depth, alt_n, vaf = read_counts(rec, t, ref, alts, rec_fmt, varscan)
                gts = rec.genotypes[t][:-1] if "GT" in rec_fmt else []
            else:
                depth, alt_n, vaf = np.nan, np.full(len(alts), np.nan), np.full(len(alts), np.nan)
                gts = []
            called = [g for g in gts if g is not None and g >= 0]
            # alleles the matched normal's genotype carries are germline (SnpEff -cancer and
            # joint tumour-normal calls list them beside the somatic ones)
            germline = ({g for g in rec.genotypes[nrm][:-1] if g is not None and g > 0}
                        if nrm is not None and "GT" in rec_fmt else set())
            forms = vep_alleles(ref, alts) if ann.vep else [{a} for a in alts]
            anum = ann.pos["allele_num"]
            for i, a in enumerate(alts):
                if sv[i]:
                    n_sv += 1
                    continue
                if len(alts) > 1 and called and (i + 1) not in called and not (alt_n[i] > 0):
                    n_absent += 1
                    continue
                if len(alts) == 1 and called and not any(called) and alt_n[i] == 0:
                    n_absent += 1
                    continue
                if (i + 1) in germline:
                    n_germline += 1
                    continue
                if anum is not None and any(len(e) > anum and e[anum] for e in entries):
                    mine = [e for e in entries if len(e) > anum and e[anum] == str(i + 1)]
                elif ann.pos["allele"] is None:
                    mine = entries if len(alts) == 1 else []
                else:
                    ai = ann.pos["allele"]
                    mine = [e for e in entries if len(e) > ai and e[ai] in forms[i]]
                    if not mine and len(alts) == 1:
                        mine = entries
                best = ann.pick(mine)
                if best is None:
                    n_no_ann += 1
                    continue
                start, end, r, al = maf_alleles(rec.POS, ref, a)
                hgvsp = ann._get(best, "hgvsp")
                hgvsc = ann._get(best, "hgvsc")
                if "%" in hgvsp:
                    hgvsp = unquote(hgvsp)
                if "%" in hgvsc:
                    hgvsc = unquote(hgvsc)
                rows.append((
                    sample_id, ann._get(best, "gene") or None,
                    ann._get(best, "consequence"), hgvsp.split(":", 1)[-1] or None,
                    hgvsc.split(":", 1)[-1] or None, rec.CHROM, start, end, r, al,
                    depth, alt_n[i], vaf[i], ann._get(best, "transcript") or None,
                    rec.FILTER or "PASS",
                ))  # fmt: skip
    undeclared = sorted(
        {m.group(1) for line in hts_messages for m in [re.search(r"INFO '([^']+)'", line)] if m}
    )
    if undeclared:
        notes.append(
            f"INFO key(s) {', '.join(undeclared)} used but not declared in the header "
            "(read as text)"
        )
    notes.append(
        f"{n_records} record(s); {len(rows)} allele(s) kept; annotation {key}; tumour column "
        f"{samples[t] if t is not None else '(none)'} -> sample {sample_id!r}"
    )
    if n_filtered:
        notes.append(
            f"{n_filtered} record(s) with FILTER other than PASS skipped "
            "(--vcf-filter all keeps them)"
        )
    if n_sv:
        notes.append(f"{n_sv} structural-variant allele(s) (symbolic or breakend ALT) skipped")
    if n_absent:
        notes.append(
            f"{n_absent} alternate allele(s) absent from the tumour (genotype without it, "
            "no supporting read) skipped"
        )
    if n_germline:
        notes.append(
            f"{n_germline} alternate allele(s) carried by the normal's genotype "
            f"({samples[nrm] if nrm is not None else ''}) skipped as germline"
        )
    if n_no_ann:
        notes.append(f"{n_no_ann} allele(s) without a usable {key} annotation skipped")
    if ann.unknown_terms:
        shown = ", ".join(sorted(ann.unknown_terms)[:5])
        notes.append(f"consequence term(s) not in the SO table ignored when picking: {shown}")
    if not rows:
        reason = (
            "every record is a structural variant (symbolic or breakend allele)"
            if n_sv and n_sv >= n_records - n_filtered
            else "no record passes FILTER"
            if n_filtered == n_records
            else "no annotated SNV/indel allele of the tumour"
        )
        raise InputError(
            f"has no mutation to read: {reason} ({n_records} record(s))",
            source=src,
            fix="give a VCF of annotated somatic SNVs/indels"
            + (", or keep filtered records with --vcf-filter all" if n_filtered else ""),
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "Tumor_Sample_Barcode", "Hugo_Symbol", "Variant_Classification", "HGVSp",
            "HGVSc", "Chromosome", "Start_Position", "End_Position", "Reference_Allele",
            "Tumor_Seq_Allele2", "t_depth", "t_alt_count", "t_vaf", "Transcript_ID", "FILTER",
        ],
    )  # fmt: skip
    frame["Hugo_Symbol"] = frame["Hugo_Symbol"].fillna("Unknown")
    for c in ("t_depth", "t_alt_count"):
        frame[c] = pd.array(
            [None if np.isnan(v) else int(v) for v in frame[c].astype(float)], dtype="Int64"
        )
    frame["Consequence"] = frame["Variant_Classification"]
    mt = MutationTable.from_frame(
        frame, source=src, resolve_genes=resolve_genes, on_malformed_hgvs=on_malformed_hgvs
    )
    mt.notes[:0] = notes
    return mt


_MAF_NAMES = {
    "sample_id": "Tumor_Sample_Barcode", "gene": "Hugo_Symbol",
    "variant_class": "Variant_Classification", "hgvsp": "HGVSp", "hgvsc": "HGVSc",
    "chrom": "Chromosome", "start": "Start_Position", "end": "End_Position",
    "ref": "Reference_Allele", "alt": "Tumor_Seq_Allele2", "t_depth": "t_depth",
    "t_alt_count": "t_alt_count",
}  # fmt: skip


def write_maf(mutations: MutationTable, path: PathLike) -> Path:
    r"""Write a mutation table as a tab-separated MAF (the canonical columns, MAF names).

    For other tools that read MAFs (the commands take VCF mutations in memory). Variant
    classes are written as MAF classes, HGVSp as read.

    Parameters
    ----------
    mutations
        The table.
    path
        Output file.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> mt = MutationTable.from_frame(pd.DataFrame({"Tumor_Sample_Barcode": ["S1"],
    ...     "Hugo_Symbol": ["B2M"], "Variant_Classification": ["stop_gained"]}),
    ...     resolve_genes=False)
    >>> out = write_maf(mt, pathlib.Path(tempfile.mkdtemp()) / "m.maf")
    >>> out.read_text().splitlines()[1]
    'B2M\tS1\tNonsense_Mutation'
    """
    d = mutations.data
    cols = {k: v for k, v in _MAF_NAMES.items() if k in d.columns}
    frame = d[list(cols)].rename(columns=cols)
    order = ["Hugo_Symbol", "Tumor_Sample_Barcode"] + [
        c for c in frame.columns if c not in ("Hugo_Symbol", "Tumor_Sample_Barcode")
    ]
    out = Path(path)
    # a MAF for the readers, not an immunescape output table: missing values stay empty cells
    # (the MAF convention), so immunescape.tables.write_tsv (which writes NA) is not used
    frame[order].to_csv(out, sep="\t", index=False)
    return out
