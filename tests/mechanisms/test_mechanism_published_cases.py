"""Published resistance cases, and decoys that must not be called, against the KB's rules.

Each expected call follows from two independent sources, never from the engine's output:

* the case as published — which genes were hit, how, and whether the other allele was lost:
  Zaretsky et al. 2016 NEJM (PMID 27433843; acquired resistance to pembrolizumab: JAK1
  p.Q503* and a JAK2 splice-site mutation, each with loss of the wild-type allele, and a
  homozygous B2M p.S14fs truncation), Shin et al. 2017 Cancer Discov (PMID 27903500;
  biallelic JAK1/2 loss in primary resistance), Sade-Feldman et al. 2017 Nat Commun (B2M
  loss of heterozygosity in non-responders), Gao et al. 2016 Cell (PMID 27667683; copy-number
  loss of IFN-gamma pathway genes), Peng et al. 2016 Cancer Discov (PMID 26645196; PTEN
  loss), Spranger et al. 2015 Nature (PMID 25970248; CTNNB1 exon-3 hotspots, APC/AXIN1
  loss), McGranahan et al. 2017 Cell (HLA loss of heterozygosity);
* the detection rules as written in ``kb/data/mechanisms.yaml`` (read here with plain YAML,
  not through the knowledge-base loader) and the synthesis documented in
  ``docs/mechanisms.md``: block weights strong 1.0 / moderate 0.6 / weak 0.3, present from
  0.6, a call's level the strongest level of the supporting evidence behind its matched
  blocks (E for an inferential block).

Events are given as the ``genomic_events`` contract states them (``detail`` holds the protein
change, ``biallelic`` true/false/unknown, ``functional_call``).
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd
import pytest
import yaml

from immunescape.mechanisms import Evidence, call_mechanisms

DATA = files("immunescape.kb") / "data"
RAW_MECH = {m["id"]: m for m in yaml.safe_load((DATA / "mechanisms.yaml").read_text())[
    "mechanisms"]}
RAW_EVIDENCE = {e["id"]: e for e in yaml.safe_load((DATA / "evidence.yaml").read_text())[
    "evidence"]}
DOC_WEIGHT = {"strong": 1.0, "moderate": 0.6, "weak": 0.3}  # docs/mechanisms.md
LEVELS = "ABCDE"  # CIViC evidence levels, strongest first


def block(mechanism: str, kind: str, i: int) -> dict:
    """Rule block ``i`` of one kind of evidence, as written in mechanisms.yaml."""
    return RAW_MECH[mechanism]["detection"][kind][i]


def block_level(b: dict) -> str:
    """Level of a block per docs/knowledge_base.md: E if inferential, else the strongest
    level among its supporting evidence items."""
    if b["basis"] == "inferential":
        return "E"
    levels = [RAW_EVIDENCE[e]["level"] for e in b["evidence"]
              if RAW_EVIDENCE[e]["direction"] == "supports"]
    return min(levels, key=LEVELS.index) if levels else "E"


def strongest(*blocks: dict) -> str:
    return min((block_level(b) for b in blocks), key=LEVELS.index)


def events(*rows: tuple) -> pd.DataFrame:
    cols = ["sample_id", "gene", "event", "detail", "biallelic", "functional_call"]
    return pd.DataFrame(list(rows), columns=cols)


def dna_calls(ev: pd.DataFrame, samples: list[str], mechanism: str, **kw) -> pd.DataFrame:
    """Calls for samples sequenced (mutations + copy number), no RNA."""
    inputs = {"mutations": set(samples), "cna": set(samples)}
    inputs.update(kw.pop("inputs", {}))
    evidence = Evidence(samples, events=ev, inputs=inputs, **kw)
    return call_mechanisms(evidence, mechanisms=[mechanism]).mechanisms.set_index("sample_id")


# ------------------------------------------------------------------ IFN-gamma pathway loss
IFNG = "ifng_pathway_loss"
IFNG_EVENTS = events(
    # Zaretsky 2016 patient 1: JAK1 nonsense with loss of the wild-type allele
    ("zaretsky_pt1", "JAK1", "truncating", "p.Q503*", "true", "loss_of_function"),
    ("zaretsky_pt1", "JAK1", "loh", "", "true", "loss_of_function"),
    # Zaretsky 2016 patient 2: JAK2 splice-site (F547) mutation, homozygous
    ("zaretsky_pt2", "JAK2", "truncating", "p.F547_splice", "true", "loss_of_function"),
    # Gao 2016: copy-number loss of a positive regulator (both copies)
    ("gao_ifngr1", "IFNGR1", "deep_deletion", "GISTIC -2", "true", "loss_of_function"),
    # one truncating hit, second allele not measured
    ("one_hit", "JAK2", "truncating", "p.R200*", "unknown", "loss_of_function"),
    # decoys: missense VUS, monoallelic hit with the other allele intact, unrelated gene,
    # a gain-of-function event in a pathway gene
    ("vus", "JAK2", "missense_vus", "p.P870S", "unknown", ""),
    ("monoallelic", "JAK1", "truncating", "p.Q503*", "false", "loss_of_function"),
    ("other_gene", "TP53", "truncating", "p.R213*", "true", "loss_of_function"),
    ("jak2_amp", "JAK2", "amplification", "GISTIC 2", "unknown", "activating"),
)
IFNG_SAMPLES = ["zaretsky_pt1", "zaretsky_pt2", "gao_ifngr1", "one_hit", "vus", "monoallelic",
                "other_gene", "jak2_amp", "wild_type"]


@pytest.fixture(scope="module")
def ifng():
    return dna_calls(IFNG_EVENTS, IFNG_SAMPLES, IFNG)


@pytest.mark.parametrize("sample", ["zaretsky_pt1", "zaretsky_pt2", "gao_ifngr1"])
def test_biallelic_ifng_pathway_loss_is_present_at_full_strength(ifng, sample):
    strong = block(IFNG, "dna", 0)
    assert strong["weight"] == "strong" and strong["conditions"][0]["biallelic_required"]
    assert ifng.loc[sample, "status"] == "present"
    assert ifng.loc[sample, "strength"] == pytest.approx(DOC_WEIGHT["strong"])


def test_level_is_the_strongest_among_the_matched_blocks(ifng):
    # patient 1's truncation also meets the one-hit block (Gao 2016, level B); the strong block
    # rests on Zaretsky 2016 and Shin 2017 (case series, level C)
    strong, one_hit = block(IFNG, "dna", 0), block(IFNG, "dna", 1)
    assert block_level(strong) == "C" and block_level(one_hit) == "B"
    assert ifng.loc["zaretsky_pt1", "level"] == strongest(strong, one_hit) == "B"
    ids = ifng.loc["zaretsky_pt1", "evidence_ids"].split(",")
    assert ids == list(dict.fromkeys(strong["evidence"] + one_hit["evidence"]))
    # a biallelic IFNGR1 deep deletion meets the strong block and the one-hit block alike
    assert ifng.loc["gao_ifngr1", "level"] == "B"


def test_one_hit_without_the_second_allele_is_moderate(ifng):
    assert ifng.loc["one_hit", "status"] == "present"
    assert ifng.loc["one_hit", "strength"] == pytest.approx(DOC_WEIGHT[block(IFNG, "dna", 1)[
        "weight"]])
    assert ifng.loc["one_hit", "level"] == block_level(block(IFNG, "dna", 1))
    assert ifng.loc["one_hit", "evidence_ids"] == ",".join(block(IFNG, "dna", 1)["evidence"])


@pytest.mark.parametrize("sample", ["vus", "monoallelic", "other_gene", "jak2_amp", "wild_type"])
def test_decoys_are_absent_not_called(ifng, sample):
    row = ifng.loc[sample]
    assert row["status"] == "absent"
    assert row["strength"] == 0
    assert row["dna_evidence"] == ""
    assert row["level"] == "" and row["evidence_ids"] == ""
    assert row["reason"].startswith("no rule met")


def test_the_trail_names_the_published_lesions(ifng):
    assert ifng.loc["zaretsky_pt1", "dna_evidence"] == (
        "JAK1 p.Q503* truncating (biallelic); JAK1 loh (biallelic)")
    assert ifng.loc["zaretsky_pt2", "dna_evidence"] == "JAK2 p.F547_splice truncating (biallelic)"
    assert ifng.loc["gao_ifngr1", "dna_evidence"] == "IFNGR1 GISTIC -2 deep deletion (biallelic)"
    # no expression given: the RNA rule is reported as not evaluable, not as met or unmet
    assert ifng.loc["zaretsky_pt1", "reason"] == (
        "DNA evidence (DNA strong); RNA rules not evaluable (input or percentile missing)")


def test_every_ifng_pathway_gene_of_genes_yaml_counts_and_no_other():
    genes = yaml.safe_load((DATA / "genes.yaml").read_text())["mechanisms"][IFNG]["genes"]
    pathway = [g["symbol"] for g in genes if g["effect"] == "resistance"]
    assert {"JAK1", "JAK2", "IFNGR1", "IFNGR2", "IRF1"} <= set(pathway)  # Zaretsky, Gao
    outside = ["STAT3", "JAK3", "TYK2", "B2M"]  # neighbours that are not in the rule
    samples = pathway + outside
    ev = events(*[(g, g, "truncating", "p.X1*", "true", "loss_of_function") for g in samples])
    calls = dna_calls(ev, samples, IFNG)
    assert (calls.loc[pathway, "status"] == "present").all()
    assert (calls.loc[outside, "status"] == "absent").all()


# ------------------------------------------------------------------ antigen presentation
APM = "antigen_presentation_loss"


@pytest.fixture(scope="module")
def apm():
    ev = events(
        # Zaretsky 2016 patient 3 / Sade-Feldman 2017: B2M truncation with LOH
        ("zaretsky_pt3", "B2M", "truncating", "p.S14fs", "true", "loss_of_function"),
        ("zaretsky_pt3", "B2M", "loh", "", "true", "loss_of_function"),
        # B2M loss of heterozygosity alone (Sade-Feldman 2017), second allele unknown
        ("b2m_loh", "B2M", "loh", "", "unknown", "loss_of_function"),
        # decoys: monoallelic truncation (other allele intact), B2M missense, TAP1 VUS
        ("b2m_mono", "B2M", "truncating", "p.L13fs", "false", "loss_of_function"),
        ("b2m_vus", "B2M", "missense_vus", "p.P5L", "unknown", ""),
        ("tap1_vus", "TAP1", "missense_vus", "p.R648Q", "unknown", ""),
    )
    samples = ["zaretsky_pt3", "b2m_loh", "hla_loh", "b2m_mono", "b2m_vus", "tap1_vus", "wt"]
    hla = pd.DataFrame({"hla_loh": [False, False, True, False, False, False, False]},
                       index=samples)
    return dna_calls(ev, samples, APM, hla=hla)


def test_b2m_truncation_with_loh_is_present_at_full_strength(apm):
    strong = block(APM, "dna", 0)
    assert apm.loc["zaretsky_pt3", "status"] == "present"
    assert apm.loc["zaretsky_pt3", "strength"] == pytest.approx(DOC_WEIGHT[strong["weight"]])
    assert apm.loc["zaretsky_pt3", "level"] == strongest(strong, block(APM, "dna", 1)) == "B"
    assert apm.loc["zaretsky_pt3", "dna_evidence"] == (
        "B2M p.S14fs truncating (biallelic); B2M loh (biallelic)")


@pytest.mark.parametrize("sample", ["b2m_loh", "hla_loh"])
def test_b2m_or_hla_loh_alone_is_a_moderate_call(apm, sample):
    moderate = block(APM, "dna", 1)
    assert moderate["weight"] == "moderate"
    assert apm.loc[sample, "status"] == "present"
    assert apm.loc[sample, "strength"] == pytest.approx(DOC_WEIGHT["moderate"])
    assert apm.loc[sample, "level"] == block_level(moderate)


def test_hla_loh_is_named_as_the_feature(apm):
    assert apm.loc["hla_loh", "dna_evidence"] == "hla.hla_loh yes"


@pytest.mark.parametrize("sample", ["b2m_mono", "b2m_vus", "tap1_vus", "wt"])
def test_antigen_presentation_decoys_are_absent(apm, sample):
    assert apm.loc[sample, "status"] == "absent"
    assert apm.loc[sample, "strength"] == 0


def test_monoallelic_b2m_reports_what_was_checked(apm):
    # the moderate block's HLA condition was evaluated and is false: reported, not hidden
    assert apm.loc["b2m_mono", "dna_evidence"] == "not met: hla.hla_loh no"


# ------------------------------------------------------------------ PTEN, Wnt, MAPK, others
def test_pten_loss_peng_2016():
    ev = events(
        ("pten_del", "PTEN", "deep_deletion", "GISTIC -2", "true", "loss_of_function"),
        ("pten_trunc", "PTEN", "truncating", "p.R130*", "unknown", "loss_of_function"),
        ("pik3ca_hot", "PIK3CA", "hotspot_activating", "p.H1047R", "unknown", "activating"),
        ("pten_vus", "PTEN", "missense_vus", "p.A39V", "unknown", ""),
        ("pik3ca_vus", "PIK3CA", "missense_vus", "p.K111N", "unknown", ""),
        ("pten_mono", "PTEN", "truncating", "p.R233*", "false", "loss_of_function"),
    )
    samples = ["pten_del", "pten_trunc", "pik3ca_hot", "pten_vus", "pik3ca_vus", "pten_mono"]
    calls = dna_calls(ev, samples, "pten_loss_pi3k")
    strong, moderate = block("pten_loss_pi3k", "dna", 0), block("pten_loss_pi3k", "dna", 1)
    assert calls.loc["pten_del", "strength"] == pytest.approx(DOC_WEIGHT[strong["weight"]])
    assert calls.loc["pten_del", "level"] == strongest(strong, moderate) == "B"  # Peng 2016
    for s in ("pten_trunc", "pik3ca_hot"):
        assert calls.loc[s, "status"] == "present"
        assert calls.loc[s, "strength"] == pytest.approx(DOC_WEIGHT[moderate["weight"]])
        # the one-hit block is inferential in the KB: the call claims level E only
        assert calls.loc[s, "level"] == block_level(moderate) == "E"
    for s in ("pten_vus", "pik3ca_vus", "pten_mono"):
        assert calls.loc[s, "status"] == "absent"


def test_wnt_hotspots_and_biallelic_apc_spranger_2015():
    ev = events(
        ("ctnnb1_s37f", "CTNNB1", "hotspot_activating", "p.S37F", "unknown", "activating"),
        ("apc_biallelic", "APC", "truncating", "p.R1450*", "true", "loss_of_function"),
        ("axin1_del", "AXIN1", "deep_deletion", "GISTIC -2", "true", "loss_of_function"),
        # decoys: CTNNB1 missense outside exon 3, one APC hit (biallelic loss is required)
        ("ctnnb1_vus", "CTNNB1", "missense_vus", "p.R582W", "unknown", ""),
        ("apc_one_hit", "APC", "truncating", "p.E1309fs", "unknown", "loss_of_function"),
    )
    samples = ["ctnnb1_s37f", "apc_biallelic", "axin1_del", "ctnnb1_vus", "apc_one_hit"]
    calls = dna_calls(ev, samples, "wnt_beta_catenin")
    rule = block("wnt_beta_catenin", "dna", 0)
    for s in ("ctnnb1_s37f", "apc_biallelic", "axin1_del"):
        assert calls.loc[s, "status"] == "present", s
        assert calls.loc[s, "strength"] == pytest.approx(DOC_WEIGHT[rule["weight"]])
        assert calls.loc[s, "level"] == block_level(rule)
    assert calls.loc["ctnnb1_s37f", "dna_evidence"] == "CTNNB1 p.S37F hotspot activating"
    assert calls.loc["ctnnb1_vus", "status"] == "absent"
    assert calls.loc["apc_one_hit", "status"] == "absent"


def test_braf_v600e_is_a_weak_signal_never_a_called_mechanism():
    # BRAF status did not predict anti-PD-1 failure (Larkin 2015): the KB weights it weak
    ev = events(("braf", "BRAF", "hotspot_activating", "p.V600E", "unknown", "activating"),
                ("nras", "NRAS", "hotspot_activating", "p.Q61R", "unknown", "activating"))
    calls = dna_calls(ev, ["braf", "nras", "wt"], "mapk_oncogenic",
                      inputs={"expression": set()})
    assert block("mapk_oncogenic", "dna", 0)["weight"] == "weak"
    assert calls.loc["braf", "status"] == calls.loc["nras", "status"] == "indeterminate"
    assert calls.loc["braf", "strength"] == pytest.approx(DOC_WEIGHT["weak"])
    assert calls.loc["braf", "reason"].startswith("only weak evidence (strength 0.30 < 0.6)")
    assert calls.loc["wt", "status"] == "absent"


def test_crispr_screen_genes_count_only_resistance_genes():
    # PTPN2 deletion sensitises tumours (Manguso 2017): its loss is not a resistance event
    ev = events(("aplnr", "APLNR", "truncating", "p.W50*", "true", "loss_of_function"),
                ("ptpn2", "PTPN2", "deep_deletion", "GISTIC -2", "true", "loss_of_function"))
    calls = dna_calls(ev, ["aplnr", "ptpn2"], "crispr_screen_genes")
    assert calls.loc["aplnr", "status"] == "indeterminate"  # a weak, inferential block
    assert calls.loc["ptpn2", "status"] == "absent"


def test_stk11_loss_skoulidis_2018():
    ev = events(("stk11", "STK11", "truncating", "p.Q37*", "unknown", "loss_of_function"),
                ("stk11_mono", "STK11", "truncating", "p.Q37*", "false", "loss_of_function"))
    calls = dna_calls(ev, ["stk11", "stk11_mono"], "stk11_keap1_loss")
    assert calls.loc["stk11", "status"] == "present"
    assert calls.loc["stk11", "level"] == block_level(block("stk11_keap1_loss", "dna", 0))
    assert calls.loc["stk11_mono", "status"] == "absent"


def test_hla_genotype_chowell_2018():
    hla = pd.DataFrame({"any_homozygous": [True, False, False, None],
                        "b62_supertype": [False, True, False, None]},
                       index=["homozygous", "b62", "heterozygous_b44", "untyped"])
    samples = list(hla.index)
    ev = Evidence(samples, hla=hla, inputs={"hla": set(samples[:3])})
    calls = call_mechanisms(ev, mechanisms=["hla_genotype"]).mechanisms.set_index("sample_id")
    assert calls.loc["homozygous", "status"] == calls.loc["b62", "status"] == "present"
    assert calls.loc["homozygous", "dna_evidence"] == "hla.any_homozygous yes"
    assert calls.loc["b62", "dna_evidence"] == "hla.b62_supertype yes"
    assert calls.loc["heterozygous_b44", "status"] == "absent"
    assert calls.loc["heterozygous_b44", "dna_evidence"] == (
        "not met: hla.any_homozygous no; hla.b62_supertype no")
    assert calls.loc["untyped", "status"] == "not_assessable"
    assert calls.loc["untyped", "reason"] == "needs hla; none given for this sample"


def test_mismatch_repair_loss_with_high_tmb_is_a_sensitivity_feature():
    n = 20
    samples = [f"s{i:02d}" for i in range(n)]
    tmb = pd.DataFrame({"tmb_per_mb": [float(i) for i in range(n)]}, index=samples)
    ev = events(("s19", "MLH1", "truncating", "p.R100*", "true", "loss_of_function"),
                ("s00", "MLH1", "truncating", "p.R100*", "true", "loss_of_function"))
    calls = dna_calls(ev, samples, "dna_repair_hypermutation", tmb=tmb)
    assert RAW_MECH["dna_repair_hypermutation"]["effect"] == "sensitivity"
    assert calls.loc["s19", "status"] == "present"  # MLH1 loss AND TMB at the 100th pct
    assert calls.loc["s19", "reason"].endswith("a sensitivity (not resistance) feature")
    assert calls.loc["s00", "status"] == "absent"  # MLH1 loss but the lowest TMB
