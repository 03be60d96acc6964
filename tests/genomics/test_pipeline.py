"""run_genomics end to end on small files; TSV writing; provenance; sample overlap."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from immunescape.errors import ImmunescapeWarning
from immunescape.genomics import (
    GenomicsResult,
    check_sample_overlap,
    run_genomics,
    write_genomics_tables,
)

from .conftest import maf_frame, write_maf


@pytest.fixture
def inputs(tmp_path):
    maf = tmp_path / "cohort.maf"
    write_maf(
        maf,
        maf_frame(
            [
                ("JAK1", "T1", "Nonsense_Mutation", "p.Q503*", "1", 65310500, "G", "A"),
                ("JAK1", "T1", "Nonsense_Mutation", "p.Q503*", "1", 65310500, "G", "A"),
                ("BRAF", "T1", "Missense_Mutation", "p.V600E", "7", 140453136, "A", "T"),
                ("TTN", "T2", "Silent", "p.L5=", "2", 10, "C", "T"),
            ]
        ),
    )
    cna = tmp_path / "gistic.txt"
    cna.write_text("Hugo_Symbol\tT1\tT2\nJAK1\t-1\t0\nPTEN\t0\t-2\n")
    seg = tmp_path / "x.seg"
    seg.write_text(
        "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean\n"
        "T1\t1\t1\t121000000\t10\t-0.5\n"
        "T1\t1\t125000000\t249000000\t10\t0.0\n"
        "T2\t1\t1\t249000000\t10\t0.0\n"
    )
    hla = tmp_path / "hla.tsv"
    hla.write_text(
        "sample_id\tA1\tA2\tB1\tB2\tC1\tC2\n"
        "T1\tA*02:01\tA*02:01\tB*44:02\tB*15:01\tC*07:01\tC*05:01\n"
        "T2\tA*01:01\tA*03:01\tB*08:01\tB*07:02\tC*07:01\tC*07:02\n"
    )
    loh = tmp_path / "loh.tsv"
    loh.write_text("sample_id\tallele\tcopy_number\tp_value\nT1\tB*15:01\t0.1\t0.001\n")
    return {"maf": maf, "cna": cna, "segments": seg, "hla": hla, "hla_loh": loh}


def test_end_to_end(inputs, tmp_path):
    res = run_genomics(**inputs, capture_mb=38.0, tmb_assay="exome", genome_build="GRCh37",
                       samples=["T1", "T2", "T3"])  # fmt: skip
    assert list(res.tables) == ["genomic_events", "tmb", "hla", "scna"]
    ev = res.tables["genomic_events"]
    got = {(r.sample_id, r.gene, r.event): r.biallelic for r in ev.itertuples()}
    assert got == {
        ("T1", "BRAF", "hotspot_activating"): "unknown",
        ("T1", "JAK1", "truncating"): "true",  # nonsense + GISTIC -1
        ("T1", "JAK1", "loh"): "true",
        ("T1", "HLA-B", "loh"): "false",  # B*15:01 lost; no HLA-B mutation in T1
        ("T2", "PTEN", "deep_deletion"): "true",
    }
    tmb = res.tables["tmb"]
    assert tmb["n_mutations_counted"].tolist() == [2, 0, 0]  # duplicate JAK1 counted once
    hla = res.tables["hla"].set_index("sample_id")
    assert bool(hla.loc["T1", "hla_loh"]) and hla.loc["T1", "hla_loh_alleles"] == "B*15:01"
    assert pd.isna(hla.loc["T2", "hla_loh"])  # no LOH data for T2
    scna = res.tables["scna"].set_index("sample_id")
    assert scna.loc["T1", "arms_lost"] == "1p" and scna.loc["T2", "fraction_genome_altered"] == 0
    prov = res.provenance
    json.dumps(prov)  # serialisable for run.json
    assert prov["inputs"]["maf"]["n_duplicate_rows_collapsed"] == 1
    assert prov["rules"]["tmb"]["assay"] == "exome"
    assert any("HED" in x for x in prov["not_computed"])
    assert len(prov["resources"]["gene_knowledge"]["sha256"]) == 64

    out = tmp_path / "out"
    out.mkdir()
    paths = write_genomics_tables(res, out)
    assert sorted(p.name for p in paths.values()) == [
        "genomic_events.tsv", "hla.tsv", "scna.tsv", "tmb.tsv"]  # fmt: skip
    text = paths["hla"].read_text().splitlines()
    assert text[0].startswith("sample_id\thla_a_homozygous")
    assert "\ttrue\t" in text[1] and "\tNA\t" in text[2]
    back = pd.read_csv(paths["genomic_events"], sep="\t")
    assert list(back.columns[:5]) == ["sample_id", "gene", "event", "detail", "biallelic"]


def test_segments_only_notes_what_is_not_computed(inputs):
    res = run_genomics(maf=None, segments=inputs["segments"])
    assert list(res.tables) == ["genomic_events", "scna"]
    assert res.tables["genomic_events"].empty
    assert any("gene-level" in x for x in res.provenance["not_computed"])
    assert any("arm-level" in x for x in res.provenance["not_computed"])


def test_missing_hgvsp_column_warns(tmp_path):
    p = tmp_path / "m.maf"
    write_maf(p, maf_frame([("B2M", "S1", "Frame_Shift_Del", None, "15", 1, "T", "-")])
              .drop(columns="HGVSp_Short"))  # fmt: skip
    with pytest.warns(ImmunescapeWarning, match="no HGVSp column"):
        res = run_genomics(maf=p, capture_mb=1.0)
    assert res.provenance["warnings"]


def test_write_needs_existing_directory(tmp_path):
    from immunescape.errors import InputError

    with pytest.raises(InputError, match="does not exist"):
        write_genomics_tables(GenomicsResult(), tmp_path / "nope")


def test_check_sample_overlap():
    assert check_sample_overlap(["a", "b"], ["b", "a"]) == []
    msgs = check_sample_overlap([f"s{i}" for i in range(8)], ["s0"])
    assert msgs == ["7 of 8 genomic samples have no expression profile: s1, s2, s3, s4, s5 "
                    "and 2 more"]  # fmt: skip
