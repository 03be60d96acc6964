"""Command-line ``--vcf`` and ``--cbioportal`` inputs turned into the tables the commands use.

VCFs and cBioPortal studies are read once here, into the objects the readers of the other
inputs give (:class:`MutationTable`, :class:`GeneCNA`, :class:`Segments`, and the clinical
attributes as a text table for :func:`immunescape.io.read_clinical`), which ``run``,
``genomics``, ``compare`` and ``predict`` take in place of their ``--maf`` / ``--cna`` /
``--segments`` / ``--clinical`` files. Nothing is written to disk and nothing read twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from immunescape.errors import InputError
from immunescape.genomics.mutations import OnMalformedHgvs
from immunescape.genomics.pipeline import combine_mutations
from immunescape.genomics.vcf import VcfFilter

__all__ = ["prepare_genomic_inputs", "parse_vcf_argument", "parse_panel_mb"]


def parse_vcf_argument(value: str) -> tuple[str | None, Path]:
    """Split ``SAMPLE=FILE`` (sample id given) from ``FILE``.

    Examples
    --------
    >>> parse_vcf_argument("Pt1=calls/pt1.vcf.gz")
    ('Pt1', PosixPath('calls/pt1.vcf.gz'))
    >>> parse_vcf_argument("calls/pt1.vcf.gz")
    (None, PosixPath('calls/pt1.vcf.gz'))
    """
    m = re.match(r"^([^=/\\]+)=(.+)$", value)
    if m and not Path(value).exists():
        return m.group(1), Path(m.group(2))
    return None, Path(value)


def parse_panel_mb(values: Sequence[str] | None) -> dict[str, float]:
    """Parse ``--panel-mb PANEL=MB`` values.

    Examples
    --------
    >>> parse_panel_mb(["IMPACT468=1.14"])
    {'IMPACT468': 1.14}
    """
    out: dict[str, float] = {}
    for v in values or []:
        k, sep, mb = v.partition("=")
        try:
            size = float(mb)
        except ValueError:
            size = float("nan")
        if not sep or not k or not size > 0:
            raise InputError(
                f"--panel-mb {v!r} is not PANEL=MEGABASES",
                source="--panel-mb",
                fix="write it as the panel id, '=', and its size in Mb, e.g. IMPACT468=1.14",
            )
        out[k] = size
    return out


def prepare_genomic_inputs(
    *,
    maf: Path | None = None,
    vcf: Sequence[str] | None = None,
    tumour_sample: str | None = None,
    vcf_filter: VcfFilter = "pass",
    cbioportal: Path | None = None,
    panel_mb: Sequence[str] | None = None,
    capture_mb: float | None = None,
    on_malformed_hgvs: OnMalformedHgvs = "warn",
    cna: Path | None = None,
    segments: Path | None = None,
    clinical: Path | None = None,
    genome_build: str | None = None,
) -> dict[str, Any]:
    """Read ``--vcf`` and ``--cbioportal`` inputs and return the inputs/options to pass on.

    ``on_malformed_hgvs`` is passed to the MAF and VCF readers.

    Returns
    -------
    dict
        ``maf`` (a :class:`MutationTable` when VCFs or a study were read: the study's or
        VCFs' mutations stacked after the ``--maf`` file's), ``cna`` (:class:`GeneCNA`),
        ``segments`` (:class:`Segments`), ``clinical`` (the study's sample and patient
        attributes as a text table with a ``sample_id`` column) and ``clinical_source``
        (its name for messages), ``capture_mb``, ``genome_build`` and ``notes`` (what was
        read); the user's own paths are kept where given.

    Raises
    ------
    InputError
        Any unreadable input, or ``--tumour-sample`` with several VCFs.
    """
    from immunescape.genomics.mutations import read_maf
    from immunescape.genomics.vcf import read_vcf

    out: dict[str, Any] = {"maf": maf, "cna": cna, "segments": segments, "clinical": clinical,
                           "clinical_source": None, "capture_mb": capture_mb,
                           "genome_build": genome_build, "notes": []}  # fmt: skip
    tables = []
    if cbioportal is not None:
        from immunescape.genomics.cbioportal import read_cbioportal

        study = read_cbioportal(cbioportal, on_malformed_hgvs=on_malformed_hgvs)
        out["notes"] += [f"cBioPortal {study.study_id or cbioportal}: {n}" for n in study.notes]
        if study.mutations is not None:
            tables.append(study.mutations)
            out["capture_mb"] = study.capture_mb(
                capture_mb=capture_mb, panel_mb=parse_panel_mb(panel_mb)
            )
        if study.cna is not None and cna is None:
            out["cna"] = study.cna
        if study.segments is not None and segments is None:
            out["segments"] = study.segments
        if study.clinical is not None and clinical is None:
            out["clinical"] = study.clinical.reset_index().rename(
                columns={"SAMPLE_ID": "sample_id"}
            )
            out["clinical_source"] = f"{cbioportal} (cBioPortal clinical attributes)"
        if genome_build is None:
            out["genome_build"] = study.genome_build
    if vcf:
        if tumour_sample is not None and len(vcf) > 1:
            raise InputError(
                "--tumour-sample names one column, but several --vcf files were given",
                source="--tumour-sample",
                fix="give one VCF per run with --tumour-sample, or let the header name the tumour",
            )
        if maf is not None:
            tables.insert(0, read_maf(maf, on_malformed_hgvs=on_malformed_hgvs))
        for value in vcf:
            sample, path = parse_vcf_argument(value)
            tables.append(read_vcf(path, tumour_sample=tumour_sample, sample_id=sample,
                                   vcf_filter=vcf_filter, on_malformed_hgvs=on_malformed_hgvs))
    elif tables and maf is not None:
        tables.insert(0, read_maf(maf, on_malformed_hgvs=on_malformed_hgvs))
    if tables:
        mt = combine_mutations(tables)
        out["notes"] += list(mt.notes)
        out["maf"] = mt
    return out
