"""The MAF vocabularies are read from the shipped ``genomics/data/maf_vocabulary.yaml``: the
loaded values equal an independent copy of the GDC MAF specification, and a damaged file is a
ResourceError (a broken installation), never silently used."""

from __future__ import annotations

import hashlib

import pytest

from immunescape import _resources
from immunescape.errors import InputError, ResourceError
from immunescape.genomics import _variant_classes as vc
from immunescape.genomics import mutations

# Variant_Classification values of the GDC MAF specification
# (https://docs.gdc.cancer.gov/Data/File_Formats/MAF_Format/, column 9), in the severity order
# used to keep one row of a duplicated variant: protein-truncating first (stop gained,
# frameshift, canonical splice site, start lost, stop lost), then in-frame indels, missense,
# splice region, synonymous, de novo starts, UTRs, non-coding RNA, intron, flanks, intergenic.
GDC_CLASSES_BY_SEVERITY = (
    "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "Splice_Site",
    "Translation_Start_Site", "Nonstop_Mutation", "In_Frame_Del", "In_Frame_Ins",
    "Missense_Mutation", "Splice_Region", "Silent", "De_novo_Start_InFrame",
    "De_novo_Start_OutOfFrame", "5'UTR", "3'UTR", "RNA", "Intron", "5'Flank", "3'Flank", "IGR",
    "Targeted_Region",
)  # fmt: skip
# Protein-truncating classes: nonsense, both frameshifts, canonical splice site, start lost
# (Translation_Start_Site), stop lost (Nonstop_Mutation).
GDC_TRUNCATING = {
    "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "Splice_Site",
    "Translation_Start_Site", "Nonstop_Mutation",
}  # fmt: skip
# maftools' vc_nonSyn (read.maf): the nine non-synonymous classes counted by the common TMB.
MAFTOOLS_NONSYN = GDC_TRUNCATING | {"Missense_Mutation", "In_Frame_Del", "In_Frame_Ins"}
# Column names of the GDC MAF specification, each the preferred name of its field.
GDC_COLUMNS = {
    "sample_id": "Tumor_Sample_Barcode", "gene": "Hugo_Symbol",
    "variant_class": "Variant_Classification", "chrom": "Chromosome",
    "start": "Start_Position", "end": "End_Position", "ref": "Reference_Allele",
    "alt": "Tumor_Seq_Allele2", "t_depth": "t_depth", "t_alt_count": "t_alt_count",
    "hgvsp": "HGVSp_Short", "hgvsc": "HGVSc",
}  # fmt: skip


def test_loaded_vocabulary_equals_the_gdc_specification():
    assert vc.MAF_CLASSES == GDC_CLASSES_BY_SEVERITY
    assert type(vc.MAF_CLASSES) is tuple
    assert vc.TRUNCATING == GDC_TRUNCATING and len(vc.TRUNCATING) == 6
    assert vc.NONSYNONYMOUS == MAFTOOLS_NONSYN and len(vc.NONSYNONYMOUS) == 9
    assert vc.MISSENSE == {"Missense_Mutation"}
    assert vc.INFRAME == {"In_Frame_Del", "In_Frame_Ins"}
    for s in (vc.TRUNCATING, vc.NONSYNONYMOUS, vc.MISSENSE, vc.INFRAME):
        assert type(s) is frozenset
    assert vc._SEVERITY["Nonsense_Mutation"] == 0
    assert vc._SEVERITY["Targeted_Region"] == len(GDC_CLASSES_BY_SEVERITY) - 1


def test_column_aliases_prefer_the_gdc_names():
    assert mutations.MAF_COLUMNS is vc.MAF_COLUMNS
    assert type(mutations.MAF_COLUMNS) is dict
    assert list(mutations.MAF_COLUMNS) == [
        "sample_id", "gene", "variant_class", "hgvsp", "hgvsc", "chrom", "start", "end", "ref",
        "alt", "t_depth", "t_alt_count",
    ]  # fmt: skip
    for field, name in GDC_COLUMNS.items():
        aliases = mutations.MAF_COLUMNS[field]
        assert type(aliases) is tuple and aliases[0] == name, field
    assert "Consequence" in mutations.MAF_COLUMNS["variant_class"]  # VEP


def _serve(monkeypatch, body: bytes, *, digest_of: bytes | None = None):
    """Serve ``body`` as the shipped vocabulary, with a sidecar of ``digest_of`` (else body)."""
    real = _resources._read
    sidecar = f"{hashlib.sha256(body if digest_of is None else digest_of).hexdigest()}  x\n"

    def fake(package, name):
        if package == "immunescape.genomics" and name == "maf_vocabulary.yaml":
            return body
        if package == "immunescape.genomics" and name == "maf_vocabulary.yaml.sha256":
            return sidecar.encode("ascii")
        return real(package, name)

    monkeypatch.setattr(_resources, "_read", fake)


def _shipped() -> bytes:
    return _resources.read_resource("immunescape.genomics", "maf_vocabulary.yaml")


def test_the_shipped_file_reloads_to_the_same_objects():
    again = vc._load_vocabulary()
    assert again["classes"] == vc.MAF_CLASSES
    assert again["columns"] == vc.MAF_COLUMNS
    assert again["missing"] == vc.MISSING_VALUES


def test_missing_values_are_what_genomic_tools_write():
    # the empty cell (GDC MAF, pandas), R's NA (maftools, FACETS), NaN (numpy text), the VCF
    # missing value "." (vcf2maf count columns), VEP's "-", and N/A / NULL / None exports;
    # never "?" (HGVS p.? = effect unknown) nor clinical words such as "unknown"
    upper = {v.upper() for v in vc.MISSING_VALUES}
    assert upper == {"", "NA", "N/A", "NAN", "NULL", "NONE", ".", "-"}
    assert "?" not in upper and "UNKNOWN" not in upper


def test_corrupted_file_is_a_resource_error(monkeypatch):
    good = _shipped()
    _serve(monkeypatch, good.replace(b"Frame_Shift_Ins", b"Frame_Shift_Inz"), digest_of=good)
    with pytest.raises(ResourceError, match="corrupt.*reinstall") as info:
        vc._load_vocabulary()
    assert not isinstance(info.value, InputError)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"maf_classes:", b"maf_classes: [", "cannot be parsed"),
        (b"  truncating:", b"  truncation:", "class sets"),
        (
            b"  - Nonstop_Mutation\n  missense:",
            b"  - Nonstop_Mutationx\n  missense:",
            "outside maf_classes",
        ),
        (b"  - Intron\n", b"  - Intron\n  - Intron\n", "distinct"),
        (b"  t_alt_count:", b"  t_altcount:", "fields"),
        (b"  hgvsc: [HGVSc,", b"  hgvsc: [1,", "columns of 'hgvsc'"),
        (b'".", "-"]', b'".", "-", "na"]', "missing_values"),
        (b'missing_values: [""', b'missing_values: [1', "missing_values"),
    ],
)
def test_malformed_file_with_a_valid_checksum_is_a_resource_error(monkeypatch, old, new, message):
    good = _shipped()
    assert good.count(old) == 1
    _serve(monkeypatch, good.replace(old, new))
    with pytest.raises(ResourceError, match=message) as info:
        vc._load_vocabulary()
    assert "maf_vocabulary.yaml" in str(info.value) and "reinstall" in str(info.value)


def test_missing_file_is_a_resource_error(monkeypatch):
    def fake(package, name):
        raise ResourceError(f"the shipped file {package}/data/{name} is missing; reinstall")

    monkeypatch.setattr(_resources, "_read", fake)
    with pytest.raises(ResourceError, match="missing"):
        vc._load_vocabulary()
