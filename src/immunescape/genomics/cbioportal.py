"""cBioPortal study folders: ``meta_*.txt`` files pointing at the data files.

Read: ``MUTATION_EXTENDED`` (MAF), ``COPY_NUMBER_ALTERATION`` ``DISCRETE`` (gene x sample
matrix) or ``DISCRETE_LONG`` (``Hugo_Symbol``, ``Sample_Id``, ``Value``), ``LOG2-VALUE``
(gene x sample log2 ratios, thresholded with the CNVkit cut-offs of
:mod:`immunescape.genomics.copynumber` when no discrete profile is given), ``SEG``,
``CLINICAL`` sample and patient attributes (four ``#`` metadata rows, then the header; patient
attributes are copied onto each of the patient's samples) and gene panels
(``data_gene_panel_*.txt``: ``stable_id:`` and ``gene_list:`` lines; the gene panel matrix says
which sample was sequenced on which panel). Structural variants, GISTIC peaks and other
profiles are listed as not used.

TMB over a panel counts only the mutations in the panel's genes, divided by the panel's size
in megabases, which a cBioPortal panel file does not hold: give it (``panel_mb``); samples
without a panel use ``capture_mb`` (whole exome).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._numeric import parse_numeric
from immunescape.genomics._reading import PathLike, read_table
from immunescape.genomics.copynumber import (
    LOG2_DEEP_DELETION,
    LOG2_GAIN,
    LOG2_LOSS,
    GeneCNA,
    Segments,
    read_cna,
    read_segments,
)
from immunescape.genomics.mutations import MutationTable, OnMalformedHgvs, read_maf

__all__ = ["CBioPortalStudy", "read_cbioportal", "read_meta"]


def read_meta(path: PathLike) -> dict[str, str]:
    r"""Read a cBioPortal ``key: value`` file (meta file or gene panel header).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "meta_study.txt"
    >>> _ = f.write_text("cancer_study_identifier: s1\nreference_genome: hg19\n")
    >>> read_meta(f)
    {'cancer_study_identifier': 's1', 'reference_genome': 'hg19'}
    """
    out: dict[str, str] = {}
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    for line in text.replace("\r", "\n").split("\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


@dataclass(eq=False)
class CBioPortalStudy:
    """What a cBioPortal study folder holds, read into immunescape's types.

    Attributes
    ----------
    study_id, genome_build
        From ``meta_study.txt`` (``hg19`` -> ``GRCh37``).
    mutations, cna, segments
        Read profiles (None when absent).
    clinical
        One row per sample (``SAMPLE_ID`` index) with sample and patient attributes.
    panels
        Panel id -> genes; ``sample_panel`` sample -> mutation panel id (None = exome).
    notes
        What was read, and which files were not used.
    """

    directory: str
    study_id: str | None = None
    genome_build: str | None = None
    mutations: MutationTable | None = None
    cna: GeneCNA | None = None
    segments: Segments | None = None
    clinical: pd.DataFrame | None = None
    panels: dict[str, list[str]] = field(default_factory=dict)
    sample_panel: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def capture_mb(
        self, *, capture_mb: float | None, panel_mb: Mapping[str, float] | None = None
    ) -> float | dict[str, float] | None:
        """Capture size per sample: ``panel_mb[panel]`` for panel samples, else ``capture_mb``.

        Raises
        ------
        InputError
            When a panel used by a sample with mutations has no size.
        """
        if self.mutations is None:
            return capture_mb
        panel_mb = dict(panel_mb or {})
        used = {p for s in self.mutations.samples if (p := self.sample_panel.get(s)) is not None}
        if not used:
            return capture_mb
        missing = sorted(p for p in used if p not in panel_mb)
        if missing:
            raise InputError(
                f"samples were sequenced on gene panel(s) {', '.join(missing)}, whose size in "
                "megabases the study does not give",
                source=self.directory,
                fix="give each panel's size, e.g. --panel-mb " + f"{missing[0]}=1.14",
            )
        out = {}
        for s in self.mutations.samples:
            p = self.sample_panel.get(s)
            if p is None:
                if capture_mb is None:
                    raise InputError(
                        f"sample {s!r} has no gene panel (exome) and no capture size was given",
                        source=self.directory,
                        fix="give --capture-mb for the exome samples",
                    )
                out[s] = float(capture_mb)
            else:
                out[s] = float(panel_mb[p])
        return out


def _clinical(path: Path) -> pd.DataFrame:
    df, _ = read_table(path, what="cBioPortal clinical file")
    df.columns = [c.strip() for c in df.columns]
    # clinical attributes, not genomic numbers: cBioPortal's own markers for a value not given
    return df.replace({"[Not Available]": np.nan, "[Not Applicable]": np.nan, "NA": np.nan})


def _log2_to_calls(path: Path) -> GeneCNA:
    df, _ = read_table(path, what="cBioPortal log2 copy-number file")
    gene = "Hugo_Symbol" if "Hugo_Symbol" in df.columns else df.columns[0]
    samples = [c for c in df.columns if c not in (gene, "Entrez_Gene_Id", "Cytoband")]
    parsed = {s: parse_numeric(df[s]) for s in samples}
    bad = next((s for s, col in parsed.items() if col.bad.any()), None)
    if bad is not None:
        raise InputError(
            f"column {bad!r} of the log2 copy-number file has non-numeric values such as "
            f"{parsed[bad].shown()}",
            source=str(path),
            fix="give log2 ratios (NA for missing)",
        )
    values = np.column_stack([parsed[s].numbers.to_numpy() for s in samples]) if samples else (
        np.empty((len(df), 0))
    )
    with np.errstate(invalid="ignore"):
        calls = np.select(
            [values < LOG2_DEEP_DELETION, values < LOG2_LOSS, values >= np.log2(2.5),
             values >= LOG2_GAIN], [-2, -1, 2, 1], default=0,
        ).astype(float)  # fmt: skip
    calls[np.isnan(values)] = np.nan
    frame = pd.DataFrame(calls, columns=samples)
    frame.insert(0, "Hugo_Symbol", df[gene])
    cna = GeneCNA.from_frame(frame, layout="gene_matrix", source=str(path))
    cna.notes.append("gene log2 ratios thresholded: < -1.1 deep deletion, < -0.25 one copy "
                     "lost, >= 0.2 gain, >= 1.32 amplification (CNVkit cut-offs)")  # fmt: skip
    return cna


def read_cbioportal(
    directory: PathLike, *, on_malformed_hgvs: OnMalformedHgvs = "warn"
) -> CBioPortalStudy:
    r"""Read a cBioPortal study folder.

    Parameters
    ----------
    directory
        The folder holding ``meta_study.txt`` and the ``meta_*.txt``/data files.
    on_malformed_hgvs
        As in :func:`~immunescape.genomics.read_maf`.

    Returns
    -------
    CBioPortalStudy
        The profiles read, clinical attributes, panels and notes.

    Raises
    ------
    InputError
        Not a folder, no ``meta_*.txt``, a meta file naming a missing data file, or any
        data file a reader refuses.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "meta_study.txt").write_text(
    ...     "cancer_study_identifier: s1\nreference_genome: hg19\n")
    >>> _ = (d / "meta_cna.txt").write_text("genetic_alteration_type: COPY_NUMBER_ALTERATION\n"
    ...                                     "datatype: DISCRETE\ndata_filename: data_cna.txt\n")
    >>> _ = (d / "data_cna.txt").write_text("Hugo_Symbol\tS1\tS2\nB2M\t-2\t0\n")
    >>> study = read_cbioportal(d)
    >>> study.genome_build, study.cna.data[["sample_id", "gistic"]].values.tolist()
    ('GRCh37', [['S1', -2], ['S2', 0]])
    """
    d = Path(directory)
    if not d.is_dir():
        raise InputError(
            "is not a folder",
            source=str(d),
            fix="give the cBioPortal study folder (--cbioportal DIR)",
        )
    metas = sorted(d.glob("meta_*.txt"))
    if not metas:
        raise InputError(
            "holds no meta_*.txt file, so it is not a cBioPortal study folder",
            source=str(d),
            fix="give the folder with meta_study.txt, meta_mutations*.txt, ... and the data files",
        )
    study = CBioPortalStudy(directory=str(d))
    ms = d / "meta_study.txt"
    if ms.exists():
        meta = read_meta(ms)
        study.study_id = meta.get("cancer_study_identifier")
        build = meta.get("reference_genome")
        study.genome_build = {"hg19": "GRCh37", "hg38": "GRCh38"}.get(
            (build or "hg19").lower(), build
        )
    clinical_s = clinical_p = None
    log2_path = None
    unused = []
    for m in metas:
        if m.name == "meta_study.txt":
            continue
        meta = read_meta(m)
        kind = meta.get("genetic_alteration_type", "")
        dtype = meta.get("datatype", "")
        fname = meta.get("data_filename")
        if not fname:
            unused.append(m.name)
            continue
        data = d / fname
        if not data.exists():
            raise InputError(
                f"{m.name} names data file {fname!r}, which is not in the folder",
                source=str(d),
                fix="add the data file or remove the meta file",
            )
        if kind == "MUTATION_EXTENDED":
            study.mutations = read_maf(data, on_malformed_hgvs=on_malformed_hgvs)
        elif kind == "COPY_NUMBER_ALTERATION" and dtype in ("DISCRETE", "DISCRETE_LONG"):
            study.cna = read_cna(data, layout="gene_long" if dtype == "DISCRETE_LONG" else
                                 "gene_matrix")  # fmt: skip
        elif kind == "COPY_NUMBER_ALTERATION" and dtype == "LOG2-VALUE":
            log2_path = data
        elif kind == "COPY_NUMBER_ALTERATION" and dtype == "SEG":
            study.segments = read_segments(data)
            if meta.get("reference_genome_id") and study.genome_build is None:
                study.genome_build = meta["reference_genome_id"]
        elif kind == "CLINICAL" and dtype == "SAMPLE_ATTRIBUTES":
            clinical_s = _clinical(data)
        elif kind == "CLINICAL" and dtype == "PATIENT_ATTRIBUTES":
            clinical_p = _clinical(data)
        else:
            unused.append(f"{fname} ({kind} {dtype})")
    if study.cna is None and log2_path is not None:
        study.cna = _log2_to_calls(log2_path)
        study.notes.append(f"gene copy number from {log2_path.name} (log2 ratios, thresholded)")
    elif log2_path is not None:
        unused.append(f"{log2_path.name} (log2 values; the discrete profile is used)")
    if clinical_s is not None:
        if "SAMPLE_ID" not in clinical_s.columns:
            raise InputError(
                "the clinical sample file has no SAMPLE_ID column",
                source=str(d),
                fix="keep cBioPortal's header (4 '#' rows, then PATIENT_ID, SAMPLE_ID, ...)",
            )
        clin = clinical_s
        if clinical_p is not None and "PATIENT_ID" in clinical_p.columns:
            extra = [c for c in clinical_p.columns if c not in clin.columns or c == "PATIENT_ID"]
            clin = clin.merge(clinical_p[extra], on="PATIENT_ID", how="left")
        study.clinical = clin.drop_duplicates("SAMPLE_ID").set_index("SAMPLE_ID")
    for panel_file in sorted(d.glob("data_gene_panel_*.txt")):
        if panel_file.name == "data_gene_panel_matrix.txt":
            continue
        meta = read_meta(panel_file)
        pid = meta.get("stable_id")
        genes = re.split(r"[\t ]+", meta.get("gene_list", "").strip())
        if pid and genes and genes != [""]:
            study.panels[pid] = genes
    matrix = d / "data_gene_panel_matrix.txt"
    if matrix.exists():
        gm, _ = read_table(matrix, what="gene panel matrix")
        col = "mutations" if "mutations" in gm.columns else None
        if col is not None and "SAMPLE_ID" in gm.columns:
            # gene panel ids, not numbers: "NA" (cBioPortal file formats: the sample was not
            # profiled on a gene panel) and "WES" (whole exome) are values with a meaning here,
            # no panel restriction (the exome capture size), so they are named explicitly
            # rather than read with the genomic missing-value list
            for s, p in zip(gm["SAMPLE_ID"], gm[col], strict=True):
                study.sample_panel[str(s)] = None if pd.isna(p) or p in ("NA", "WES") else str(p)
    if study.mutations is not None and study.panels:
        data = study.mutations.data
        panel_of = data["sample_id"].map(lambda s: study.sample_panel.get(s))
        genes_of = {p: set(g) for p, g in study.panels.items()}
        off = np.array([p is not None and p in genes_of and g not in genes_of[p]
                        for p, g in zip(panel_of, data["gene_input"], strict=True)])  # fmt: skip
        if off.any():
            study.mutations.data = data.loc[~off].reset_index(drop=True)
            study.mutations.notes.append(
                f"{int(off.sum())} mutation(s) outside their sample's gene panel not used "
                "(TMB counts panel genes over the panel size)"
            )
    if unused:
        study.notes.append("not used: " + "; ".join(unused))
    if study.mutations is None and study.cna is None and study.segments is None:
        raise InputError(
            "has no mutation, copy-number or segment profile",
            source=str(d),
            fix="add meta/data files of type MUTATION_EXTENDED or COPY_NUMBER_ALTERATION",
        )
    return study
