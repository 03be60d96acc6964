"""One call from input files to the genomic tables, with provenance for run.json."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from immunescape._logging import logger
from immunescape._resources import resource_sha256
from immunescape._result import Result
from immunescape.errors import ImmunescapeWarning, InputError
from immunescape.genomics._reading import PathLike
from immunescape.genomics.copynumber import (
    VENDORED_BUILDS,
    GeneCNA,
    Segments,
    canonical_build,
    gene_calls_from_segments,
    gene_coordinates,
    read_cna,
    read_gene_coords,
    read_segments,
)
from immunescape.genomics.events import call_events
from immunescape.genomics.hla import (
    LOH_MAX_COPY_NUMBER,
    LOH_MAX_P_VALUE,
    HLAGenotypes,
    hla_features,
    read_hla,
    read_hla_loh,
)
from immunescape.genomics.knowledge import GeneKnowledge, load_gene_knowledge
from immunescape.genomics.mutations import MutationTable, OnMalformedHgvs, read_maf
from immunescape.genomics.scna import FGA_LOG2_THRESHOLD, scna_burden
from immunescape.genomics.tmb import TMB_RULES, Assay, TmbRule, compute_tmb
from immunescape.genomics.vcf import VcfFilter
from immunescape.tables import write_tsv

__all__ = [
    "GenomicsResult",
    "run_genomics",
    "write_genomics_tables",
    "check_sample_overlap",
    "combine_mutations",
    "TABLE_FILES",
]

#: Output table name -> file name.
TABLE_FILES = {
    "genomic_events": "genomic_events.tsv",
    "tmb": "tmb.tsv",
    "hla": "hla.tsv",
    "scna": "scna.tsv",
}


@dataclass(eq=False)
class GenomicsResult(Result):
    """The genomic tables and how they were made.

    Attributes
    ----------
    genomic_events, tmb, hla, scna
        The tables (see :data:`immunescape.tables.TABLE_SPECS`): ``genomic_events`` (always),
        ``tmb`` (with mutations), ``hla`` (with HLA input), ``scna`` (with segments); None
        when not computed. :attr:`tables` holds those present, in this order.
    settings
        Inputs, rules, thresholds, what was not computed and resource checksums
        (JSON-serialisable).
    warnings
        Warnings raised while reading and computing.

    Examples
    --------
    >>> res = GenomicsResult(tmb=pd.DataFrame({"sample_id": ["S1"], "tmb_per_mb": [2.0]}))
    >>> list(res.tables), res.to_frame().shape, res.warnings
    (['tmb'], (1, 2), [])
    """

    table_names: ClassVar[tuple[str, ...]] = ("genomic_events", "tmb", "hla", "scna")

    genomic_events: pd.DataFrame | None = None
    tmb: pd.DataFrame | None = None
    hla: pd.DataFrame | None = None
    scna: pd.DataFrame | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def provenance(self) -> dict[str, Any]:
        """``settings`` with ``warnings`` (after ``not_computed``), as written to run.json."""
        out: dict[str, Any] = {}
        for key, value in self.settings.items():
            out[key] = value
            if key == "not_computed":
                out["warnings"] = list(self.warnings)
        out.setdefault("warnings", list(self.warnings))
        return out


def _shipped_sha256(name: str, package: str = "immunescape.genomics") -> str:
    # the recorded digest; the loaders that used the file verified it through read_resource
    return resource_sha256(package, name)


def _load(obj: Any, kind: type, reader: Any, **kwargs: Any) -> Any:
    if obj is None or isinstance(obj, kind):
        return obj
    return reader(obj, **kwargs)


def run_genomics(
    *,
    maf: PathLike | MutationTable | None,
    capture_mb: float | Mapping[str, float] | None = None,
    cna: PathLike | GeneCNA | None = None,
    segments: PathLike | Segments | None = None,
    gene_coords: PathLike | pd.DataFrame | None = None,
    hla: PathLike | HLAGenotypes | None = None,
    hla_loh: PathLike | pd.DataFrame | None = None,
    tmb_rule: TmbRule = "nonsynonymous",
    tmb_assay: Assay | None = None,
    samples: Iterable[str] | None = None,
    patients: Mapping[str, str] | None = None,
    genes: Iterable[str] | None = None,
    knowledge: GeneKnowledge | None = None,
    genome_build: str | None = None,
    fga_threshold: float = FGA_LOG2_THRESHOLD,
    neoantigen_column: str | None = None,
    maf_columns: Mapping[str, str] | None = None,
    cna_columns: Mapping[str, str] | None = None,
    segment_columns: Mapping[str, str] | None = None,
    hla_columns: Mapping[str, str] | None = None,
    hla_loh_columns: Mapping[str, str] | None = None,
    on_malformed_hgvs: OnMalformedHgvs = "warn",
    vcf: Sequence[PathLike | MutationTable] | None = None,
    tumour_sample: str | None = None,
    vcf_filter: VcfFilter = "pass",
    purity: float | None = None,
    ploidy: float = 2.0,
) -> GenomicsResult:
    """Read the genomic inputs and compute every genomic table.

    Parameters
    ----------
    maf
        Mutations (path or :class:`MutationTable`), or None for copy-number/HLA-only runs.
    capture_mb
        Sequenced megabases (one number or per sample); required with ``maf``.
    cna
        Gene-level copy number (path or :class:`GeneCNA`).
    segments
        Copy-number segments (path or :class:`Segments`) for the SCNA burden; with
        ``gene_coords`` and absolute copy numbers they also give gene calls when ``cna`` is
        not given.
    gene_coords
        Gene coordinates (``gene``, ``chrom``, ``start``, ``end``; path or DataFrame).
    hla
        HLA class I genotypes (path or :class:`HLAGenotypes`).
    hla_loh
        Allele-specific HLA LOH calls (path or DataFrame from :func:`read_hla_loh`).
    tmb_rule, tmb_assay, samples, patients, neoantigen_column
        Passed to :func:`compute_tmb` (``tmb_assay``: the capture assay, ``"exome"``,
        ``"panel"`` or ``"genome"``).
    genes, knowledge
        Passed to :func:`call_events`.
    genome_build
        ``GRCh37`` or ``GRCh38`` for the arm-level SCNA summary.
    fga_threshold
        |log2 ratio| threshold of the fraction of genome altered.
    maf_columns, cna_columns, segment_columns, hla_columns, hla_loh_columns
        Column mappings for inputs whose columns are not found by name.
    on_malformed_hgvs
        ``"warn"``, ``"raise"`` or ``"blank"`` (see :func:`read_maf`).
    vcf, tumour_sample, vcf_filter
        Annotated VCFs, one per tumour (paths or tables from :func:`read_vcf`), read with
        these options and added to the mutations.
    purity, ploidy
        For gene calls from log2-ratio segments (see :func:`gene_calls_from_segments`).
        Segments become gene calls with ``gene_coords`` or, for GRCh38, the vendored
        coordinates.

    Returns
    -------
    GenomicsResult
        Tables and provenance.

    Raises
    ------
    InputError
        Any bad input (one line: file, problem, fix).

    Examples
    --------
    >>> import pandas as pd
    >>> mt = MutationTable.from_frame(pd.DataFrame({"Tumor_Sample_Barcode": ["S1"],
    ...     "Hugo_Symbol": ["B2M"], "Variant_Classification": ["Frame_Shift_Del"],
    ...     "HGVSp_Short": ["p.L13fs"]}), resolve_genes=False)
    >>> res = run_genomics(maf=mt, capture_mb=38.0, tmb_assay="exome")
    >>> sorted(res.tables), res.tables["genomic_events"]["event"].tolist()
    (['genomic_events', 'tmb'], ['truncating'])
    """
    prov: dict[str, Any] = {"inputs": {}, "rules": {}, "not_computed": [], "warnings": []}
    genes = list(genes) if genes is not None else None
    kb = knowledge if knowledge is not None else load_gene_knowledge()
    if maf is None and not vcf and cna is None and segments is None and hla is None \
            and hla_loh is None:
        raise InputError(
            "no genomic input given",
            source="run_genomics",
            fix="give at least a MAF (maf=...), copy number, segments or HLA calls",
        )
    mt = _load(maf, MutationTable, read_maf, columns=maf_columns,
               on_malformed_hgvs=on_malformed_hgvs)  # fmt: skip
    if vcf:
        from immunescape.genomics.vcf import read_vcf

        stacked = [mt] if mt is not None else []
        stacked += [_load(v, MutationTable, read_vcf, tumour_sample=tumour_sample,
                         vcf_filter=vcf_filter, on_malformed_hgvs=on_malformed_hgvs)
                   for v in vcf]  # fmt: skip
        mt = combine_mutations(stacked)
    cn = _load(cna, GeneCNA, read_cna, columns=cna_columns)
    seg = _load(segments, Segments, read_segments, columns=segment_columns)
    geno = _load(hla, HLAGenotypes, read_hla, columns=hla_columns)
    loh = hla_loh
    if loh is not None and not isinstance(loh, pd.DataFrame):
        loh = read_hla_loh(loh, columns=hla_loh_columns)
    coords = gene_coords
    if coords is not None and not isinstance(coords, pd.DataFrame):
        coords = read_gene_coords(coords)

    tables: dict[str, pd.DataFrame] = {}
    if mt is not None:
        dedup, n_dup = mt.deduplicated()
        prov["inputs"]["maf"] = {
            "source": mt.source,
            "columns": mt.columns,
            "n_rows": len(mt),
            "n_duplicate_rows_collapsed": n_dup,
            "n_samples": len(mt.samples),
            "notes": list(mt.notes),
        }
        if mt.malformed_hgvsp_rows:
            rows = mt.malformed_hgvsp_rows
            prov["inputs"]["maf"]["malformed_hgvsp_rows"] = rows
            msg = (
                f"{mt.source}: {len(rows)} HGVSp value(s) are not protein HGVS and were read as "
                f"missing (variant classified from its variant class); data rows "
                f"{', '.join(map(str, rows[:20]))}{' ...' if len(rows) > 20 else ''}"
            )
            warnings.warn(msg, ImmunescapeWarning, stacklevel=2)
            prov["warnings"].append(msg)
        if "hgvsp" not in mt.columns:
            msg = (
                f"{mt.source}: no HGVSp column, so activating hotspots are called only from "
                "HGVSc codons; map the protein-change column (columns={'hgvsp': ...})"
            )
            warnings.warn(msg, ImmunescapeWarning, stacklevel=2)
            prov["warnings"].append(msg)
        if capture_mb is None:
            raise InputError(
                "capture size is required to compute TMB (there is no default)",
                source="capture_mb",
                fix="give the megabases your assay sequences, e.g. 38.0 (exome) or 1.14 (panel)",
            )
        tables["tmb"] = compute_tmb(
            mt, capture_mb=capture_mb, rule=tmb_rule, samples=samples, patients=patients,
            tmb_assay=tmb_assay, neoantigen_column=neoantigen_column,
        )  # fmt: skip
        prov["rules"]["tmb"] = {
            "rule": tmb_rule,
            "classes_counted": sorted(TMB_RULES[tmb_rule]),
            "assay": tmb_assay,
            "capture_mb": capture_mb if not isinstance(capture_mb, Mapping) else "per sample",
            "duplicates": "one count per (sample, variant)",
            "key": "sample_id" + (" (patient_id added)" if patients else ""),
        }
    if cn is not None:
        prov["inputs"]["cna"] = {"source": cn.source, "n_samples": len(cn.samples),
                                 "notes": list(cn.notes)}  # fmt: skip
    if seg is not None:
        prov["inputs"]["segments"] = {
            "source": seg.source,
            "n_samples": len(seg.samples),
            "log2": seg.has_log2,
            "absolute": seg.has_absolute,
        }
        coord_source = "gene coordinates given"
        if cn is None and coords is None and canonical_build(genome_build) in VENDORED_BUILDS:
            coords = gene_coordinates(str(genome_build))
            coord_source = f"vendored {canonical_build(genome_build)} gene coordinates"
        if cn is None and coords is not None:
            cn = gene_calls_from_segments(seg, coords, genes=genes or kb.symbols,
                                          purity=purity, ploidy=ploidy)  # fmt: skip
            prov["inputs"]["cna"] = {"source": f"{seg.source} + {coord_source}",
                                     "notes": list(cn.notes)}  # fmt: skip
        elif cn is None:
            prov["not_computed"].append(
                "gene-level deep deletions/amplifications/LOH from segments: need gene-level "
                "calls, gene coordinates (gene_coords=, --gene-coords) or a genome build "
                f"with vendored coordinates ({', '.join(VENDORED_BUILDS)})"
            )
        tables["scna"] = scna_burden(seg, threshold=fga_threshold, genome_build=genome_build)
        prov["rules"]["scna"] = {
            "fraction_genome_altered": f"|log2 ratio| >= {fga_threshold:g} (Chin et al. 2007, "
            "PMID 17925008), or total copy number != ploidy 2 without log2; autosomes; "
            "denominator = segmented length",
            "arms": (
                f"{genome_build}: arm gained/lost when >= 50% of its segmented length is"
                if genome_build
                else "not computed (no genome_build)"
            ),
        }
        if genome_build is None:
            prov["not_computed"].append("arm-level SCNA summary: give genome_build")
    if geno is not None or loh is not None:
        tables["hla"] = hla_features(geno, loh=loh)
        prov["rules"]["hla"] = {
            "homozygosity": "two-field allele identity per locus (Chowell et al. 2018, "
            "PMID 29217585)",
            "supertypes": "B44/B62 per Sidney et al. 2008 (PMID 18211710), vendored table",
            "loh": f"copy number < {LOH_MAX_COPY_NUMBER} and p < {LOH_MAX_P_VALUE} "
            "(McGranahan et al. 2017, PMID 29107330)",
        }
        if geno is not None:
            prov["inputs"]["hla"] = {"source": geno.source, "n_samples": len(geno.samples)}
        if loh is not None:
            prov["inputs"]["hla_loh"] = {"n_samples": int(loh["sample_id"].nunique())}
    prov["not_computed"].append(
        "HLA evolutionary divergence (HED): needs IPD-IMGT/HLA allele sequences, not "
        "available offline"
    )
    tables["genomic_events"] = call_events(mt, cna=cn, hla_loh=loh, genes=genes, knowledge=kb)
    prov["rules"]["events"] = {
        "truncating": "Nonsense, Frame_Shift_Del/Ins, Splice_Site, Translation_Start_Site, "
        "Nonstop_Mutation",
        "hotspots": "from kb/data/genes.yaml (reference residue checked)",
        "missense": "missense_vus unless at a hotspot; never loss of function",
        "shallow_deletion": "GISTIC -1 counted as loss of one allele (loh)",
        "genes": "knowledge file" if genes is None else "user list",
    }
    prov["resources"] = {
        "gene_knowledge": {
            "file": "kb/data/genes.yaml",
            "sha256": _shipped_sha256("genes.yaml", "immunescape.kb"),
        }
        if knowledge is None
        else {"file": "user-supplied GeneKnowledge"},
        "so_terms": {"sha256": _shipped_sha256("so_terms.tsv")},
        "centromeres": {"sha256": _shipped_sha256("centromeres.tsv")},
        "hla_supertypes": {"sha256": _shipped_sha256("hla_supertypes_sidney2008.tsv")},
    }
    logger.info("genomics: %s", ", ".join(f"{k} {len(v)} rows" for k, v in tables.items()))
    found = prov.pop("warnings")
    return GenomicsResult(**tables, settings=prov, warnings=found)


def combine_mutations(tables: Sequence[MutationTable]) -> MutationTable:
    """Stack mutation tables (a MAF and VCFs) into one; sources and notes are joined.

    Parameters
    ----------
    tables
        Mutation tables, one or more tumours each.

    Returns
    -------
    MutationTable
        All rows; malformed-HGVSp row numbers refer to the stacked table.

    Raises
    ------
    InputError
        When two inputs hold the same sample id (one file per tumour).

    Examples
    --------
    >>> a = MutationTable.from_frame(pd.DataFrame({"Tumor_Sample_Barcode": ["S1"],
    ...     "Hugo_Symbol": ["B2M"], "Variant_Classification": ["Silent"]}), resolve_genes=False)
    >>> b = MutationTable.from_frame(pd.DataFrame({"Tumor_Sample_Barcode": ["S2"],
    ...     "Hugo_Symbol": ["JAK1"], "Variant_Classification": ["Silent"]}), resolve_genes=False)
    >>> combine_mutations([a, b]).samples
    ['S1', 'S2']
    """
    if len(tables) == 1:
        return tables[0]
    seen: dict[str, str] = {}
    for t in tables:
        for sample in t.samples:
            if sample in seen:
                raise InputError(
                    f"sample {sample!r} is in both {seen[sample]} and {t.source}",
                    source=t.source,
                    fix="give one mutation file per tumour (or distinct sample ids, e.g. "
                    "--vcf SAMPLE=FILE)",
                )
            seen[sample] = t.source
    data = pd.concat([t.data for t in tables], ignore_index=True, sort=False)
    rows: list[int] = []
    offset = 0
    for t in tables:
        rows += [offset + r for r in t.malformed_hgvsp_rows]
        offset += len(t.data)
    return MutationTable(
        data=data,
        source=" + ".join(t.source for t in tables),
        columns=dict(tables[0].columns),
        notes=[f"{t.source}: {n}" for t in tables for n in t.notes],
        malformed_hgvsp_rows=rows,
    )


def write_genomics_tables(result: GenomicsResult, directory: PathLike) -> dict[str, Path]:
    r"""Write the tables of a :class:`GenomicsResult` as TSV files.

    Written by :func:`immunescape.tables.write_tsv` (booleans ``true``/``false``, missing
    values ``NA``, floats with up to 6 significant digits). The directory must exist (the
    CLI writes into a temporary directory and renames it, so a failed run leaves nothing
    behind).

    Parameters
    ----------
    result
        From :func:`run_genomics`.
    directory
        Existing output directory.

    Returns
    -------
    dict
        Table name -> written path (``genomic_events.tsv``, ``tmb.tsv``, ``hla.tsv``,
        ``scna.tsv``, for the tables present).

    Raises
    ------
    InputError
        If the directory does not exist.

    Examples
    --------
    >>> import tempfile
    >>> res = GenomicsResult(tmb=pd.DataFrame({"sample_id": ["S1"],
    ...     "n_mutations_counted": [3], "capture_mb": [1.5], "tmb_per_mb": [2.0],
    ...     "rule": ["nonsynonymous; panel"]}))
    >>> paths = write_genomics_tables(res, tempfile.mkdtemp())
    >>> paths["tmb"].read_text().splitlines()[1]
    'S1\t3\t1.5\t2\tnonsynonymous; panel'
    """
    d = Path(directory)
    if not d.is_dir():
        raise InputError("output directory does not exist", source=str(d), fix="create it first")
    paths: dict[str, Path] = {}
    for name, table in result.tables.items():
        paths[name] = write_tsv(table, d / TABLE_FILES[name])
    return paths


def check_sample_overlap(
    genomic_samples: Iterable[str], expression_samples: Iterable[str]
) -> list[str]:
    """Describe samples present in the genomic data but not the expression data, and back.

    Parameters
    ----------
    genomic_samples
        Sample ids of the genomic inputs (e.g. ``MutationTable.samples``).
    expression_samples
        Sample ids of the expression matrix.

    Returns
    -------
    list of str
        One message per direction with missing samples (empty when both sets agree); the
        caller decides whether to warn.

    Examples
    --------
    >>> check_sample_overlap(["Pt1", "Pt2", "Pt3"], ["Pt2", "Pt3", "Pt4"])
    ['1 of 3 genomic samples have no expression profile: Pt1', \
'1 of 3 expression samples have no genomic data: Pt4']
    """
    g = list(dict.fromkeys(str(s) for s in genomic_samples))
    e = list(dict.fromkeys(str(s) for s in expression_samples))
    gs, es = set(g), set(e)
    messages = []

    def _shown(items: list[str]) -> str:
        return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")

    only_g = [s for s in g if s not in es]
    only_e = [s for s in e if s not in gs]
    if only_g:
        messages.append(
            f"{len(only_g)} of {len(g)} genomic samples have no expression profile: "
            f"{_shown(only_g)}"
        )
    if only_e:
        messages.append(
            f"{len(only_e)} of {len(e)} expression samples have no genomic data: {_shown(only_e)}"
        )
    return messages
