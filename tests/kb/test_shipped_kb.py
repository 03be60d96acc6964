"""The shipped knowledge base: completeness, cross-references, identifiers, honest levels.

The required ids are typed in from docs/mechanisms.md (the contract), not read from the KB,
so a renamed or dropped id fails here even if the KB manifest were edited to match.
"""

from __future__ import annotations

import datetime
import re

import pytest

from immunescape.genomics.knowledge import load_gene_knowledge
from immunescape.kb import LEVEL_ORDER, load_kb
from immunescape.kb.schema import (
    ClinicalCondition,
    DiscordanceCondition,
    GeneEventsCondition,
    GroupCondition,
    ScoreCondition,
)
from immunescape.signatures.registry import load_registry

# docs/mechanisms.md, "Mechanisms" table, in order (35 ids)
REQUIRED_MECHANISMS = [
    "ifng_pathway_loss", "antigen_presentation_loss", "hla_genotype", "low_antigenicity",
    "pten_loss_pi3k", "wnt_beta_catenin", "tim3_upregulation", "lag3_coinhibition",
    "vista_expression", "adaptive_pdl1", "tgfb_exclusion", "mitf_low_axl_high", "ezh2_prc2",
    "mirna_pdl1_deregulation", "cblb_t_cell_intrinsic", "ido1_tryptophan", "adenosine_cd73",
    "vegf_angiogenesis", "treg_infiltration", "myeloid_suppression", "fcgr_antibody_capture",
    "mapk_oncogenic", "myc_metabolic", "t_cell_metabolic_dysfunction", "emt_snail",
    "aneuploidy_scna", "stat3_signalling", "t_cell_exhaustion", "immune_desert",
    "fasl_endothelial_barrier", "arginine_metabolism", "crispr_screen_genes", "gut_microbiome",
    "obesity_bmi", "cholesterol_metabolism",
]  # fmt: skip
# docs/mechanisms.md, "Countermeasures" table, in order (25 ids)
REQUIRED_COUNTERMEASURES = [
    "anti_tim3", "anti_lag3", "pi3k_akt_inhibition", "ido1_inhibition", "radiotherapy",
    "prr_agonist", "tlr3_agonist_arnax", "tlr9_agonist_cpg", "oncolytic_peptide_ltx315",
    "fcgr_blockade", "microbiome_modulation", "ifng_th1_vaccine", "tgfb_blockade", "anti_vegf",
    "treg_depletion", "csf1r_blockade", "ezh2_inhibition", "wnt_inhibition", "mapk_inhibition",
    "adenosine_blockade", "metabolic_modulation", "ctla4_combination", "stat3_targeting",
    "adoptive_cell_therapy", "gene_detection",
]  # fmt: skip
SEED_COUNTERMEASURES = {"in_situ_vaccination", "chemo_immunotherapy", "ipres_blockade"}
# docs/mechanisms.md: "not assessable from tumour data" (or no cited proxy)
NOT_ASSESSABLE = {
    "cblb_t_cell_intrinsic", "cholesterol_metabolism", "mirna_pdl1_deregulation",
    "t_cell_metabolic_dysfunction",
}  # fmt: skip


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def _walk(conditions):
    for c in conditions:
        yield c
        if isinstance(c, GroupCondition):
            yield from _walk(c.conditions)


def test_required_lists_are_complete_and_unique():
    assert len(REQUIRED_MECHANISMS) == len(set(REQUIRED_MECHANISMS)) == 35
    assert len(REQUIRED_COUNTERMEASURES) == len(set(REQUIRED_COUNTERMEASURES)) == 25


def test_every_required_id_is_present_exactly(kb):
    assert [m for m in REQUIRED_MECHANISMS if m not in kb.mechanisms] == []
    assert [c for c in REQUIRED_COUNTERMEASURES if c not in kb.countermeasures] == []
    # the manifest's own list (used by the loader) matches the contract
    assert kb.manifest.required_mechanisms == REQUIRED_MECHANISMS
    assert kb.manifest.required_countermeasures == REQUIRED_COUNTERMEASURES
    # extra mechanisms are allowed but must be the genes.yaml additions only
    extra = set(kb.mechanisms) - set(REQUIRED_MECHANISMS)
    assert extra <= {"stk11_keap1_loss", "dna_repair_hypermutation"}
    # countermeasures the seeds name beyond the contract table (issue 16, seed 000 refs 25,
    # 30-31; seed 001 ref 63)
    assert set(kb.countermeasures) == set(REQUIRED_COUNTERMEASURES) | SEED_COUNTERMEASURES


def test_counts_and_version(kb):
    assert len(kb.evidence) >= 80
    assert len(kb.links) >= 40
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d+", kb.version)
    assert re.fullmatch(r"[0-9a-f]{64}", kb.sha256)
    assert load_kb() is kb  # cached


def test_every_referenced_id_resolves(kb):
    ev = set(kb.evidence)
    for m in kb.mechanisms.values():
        assert set(m.evidence) <= ev, m.id
        for _, block in m.detection.blocks():
            assert set(block.evidence) <= ev, m.id
    for c in kb.countermeasures.values():
        assert set(c.evidence) <= ev, c.id
        assert set(c.mechanisms) <= set(kb.mechanisms), c.id
        for mid in c.mechanisms:
            assert (mid, c.id) in kb.links, (mid, c.id)
    for (mid, cid), link in kb.links.items():
        assert mid in kb.mechanisms and cid in kb.countermeasures
        assert mid in kb.countermeasures[cid].mechanisms
        assert set(link.evidence) <= ev
        assert kb.link_level(link) in LEVEL_ORDER
    assert set(kb.phenotype.evidence) <= ev


def test_every_evidence_item_is_cited_somewhere(kb):
    used = set(kb.phenotype.evidence)
    for m in kb.mechanisms.values():
        used |= set(m.evidence)
    for c in kb.countermeasures.values():
        used |= set(c.evidence)
    for link in kb.links.values():
        used |= set(link.evidence)
    assert set(kb.evidence) - used == set()


def test_every_countermeasure_has_a_link_and_every_assessable_gap_is_explained(kb):
    for cid in kb.countermeasures:
        assert kb.links_to(cid), cid


def test_rna_rules_use_registry_score_ids(kb):
    ids = set(load_registry().ids)
    seen = 0
    for m in kb.mechanisms.values():
        for block in m.detection.rna:
            for c in _walk(block.conditions):
                if isinstance(c, ScoreCondition):
                    assert c.score in ids, (m.id, c.score)
                    seen += 1
                elif isinstance(c, DiscordanceCondition):
                    assert {c.high, c.low} <= ids, (m.id, c.high, c.low)
                    seen += 1
    for rule in kb.phenotype.rules:
        for c in _walk(rule.when.conditions):
            assert c.score in ids
    assert {kb.phenotype.t_cell_score, kb.phenotype.stroma_score} <= ids
    assert seen > 40


def test_dna_rules_match_genes_yaml(kb):
    genes = load_gene_knowledge()
    for m in kb.mechanisms.values():
        for block in m.detection.dna:
            for c in _walk(block.conditions):
                if isinstance(c, GeneEventsCondition):
                    if c.genes_from:
                        assert c.genes_from in genes.mechanisms, m.id
                    assert set(c.genes) <= set(genes.genes), m.id
    # mechanisms of genes.yaml that share an id with a KB mechanism are read by its DNA rules
    for mid in genes.mechanisms:
        if mid in kb.mechanisms:
            assert kb.mechanisms[mid].detection.dna, mid


def test_detection_matches_what_docs_say_it_can_be_seen_from(kb):
    needs_dna = {"ifng_pathway_loss", "antigen_presentation_loss", "low_antigenicity",
                 "pten_loss_pi3k", "wnt_beta_catenin", "mapk_oncogenic", "myc_metabolic",
                 "aneuploidy_scna", "crispr_screen_genes", "hla_genotype"}  # fmt: skip
    needs_rna = {"ifng_pathway_loss", "antigen_presentation_loss", "pten_loss_pi3k",
                 "wnt_beta_catenin", "tim3_upregulation", "lag3_coinhibition",
                 "vista_expression", "adaptive_pdl1", "tgfb_exclusion", "mitf_low_axl_high",
                 "ezh2_prc2", "ido1_tryptophan", "adenosine_cd73", "vegf_angiogenesis",
                 "treg_infiltration", "myeloid_suppression", "fcgr_antibody_capture",
                 "mapk_oncogenic", "emt_snail", "stat3_signalling", "t_cell_exhaustion",
                 "immune_desert", "fasl_endothelial_barrier", "arginine_metabolism"}  # fmt: skip
    needs_clinical = {"adenosine_cd73", "vegf_angiogenesis", "gut_microbiome", "obesity_bmi",
                      "t_cell_exhaustion"}  # fmt: skip
    for mid in needs_dna:
        assert kb.mechanisms[mid].detection.dna, mid
    for mid in needs_rna:
        assert kb.mechanisms[mid].detection.rna, mid
    for mid in needs_clinical:
        assert kb.mechanisms[mid].detection.clinical, mid
    fields = {f for m in kb.mechanisms.values() for f in m.clinical_fields()}
    assert {"antibiotics", "bmi", "serum_cd73", "serum_vegf"} <= fields
    for m in kb.mechanisms.values():
        for block in m.detection.clinical:
            assert all(isinstance(c, ClinicalCondition | GroupCondition) for c in block.walk())


def test_not_assessable_mechanisms_say_why(kb):
    for mid in NOT_ASSESSABLE:
        m = kb.mechanisms[mid]
        assert m.detection.empty and m.requires == []
        assert len(m.not_assessable_reason or "") > 40
    for mid, m in kb.mechanisms.items():
        if mid not in NOT_ASSESSABLE:
            assert not m.detection.empty and m.requires, mid


def test_every_evidence_item_has_a_checkable_identifier(kb):
    seed_dois = {k: s.doi for k, s in kb.manifest.seeds.items()}
    assert seed_dois == {"000": "10.1007/s10147-019-01611-x", "001": "10.7150/jca.26481"}
    own = 0
    for e in kb.evidence.values():
        s = e.source
        has_own = bool(s.pmid or s.doi or s.nct)
        assert has_own or seed_dois.get(s.via_seed or ""), e.id
        own += has_own
        if s.pmid is not None:
            assert re.fullmatch(r"\d{6,9}", s.pmid), e.id
        if s.doi is not None:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", s.doi), e.id
        for nct in s.nct:
            assert re.fullmatch(r"NCT\d{8}", nct), e.id
        assert kb.citation_ids(e.id), e.id
    assert own >= 45  # most items carry their own confirmed identifier
    for c in kb.countermeasures.values():
        for nct in c.trials:
            assert re.fullmatch(r"NCT\d{8}", nct), c.id
    assert kb.countermeasures["anti_tim3"].trials == ["NCT02817633"]
    assert kb.countermeasures["anti_lag3"].trials == ["NCT01968109", "NCT03470922"]


# PMIDs confirmed during curation (see docs/knowledge_base.md, "Identifiers")
CONFIRMED_PMIDS = {
    "ev_zaretsky2016_jak_b2m": "27433843",
    "ev_gao2016_ifng_genes": "27667683",
    "ev_spranger2015_wnt": "25970248",
    "ev_peng2016_pten_patients": "26645196",
    "ev_chowell2018_hla_genotype": "29217585",
    "ev_mariathasan2018_tgfb_patients": "29443960",
    "ev_tauriello2018_tgfb": "29443964",
    "ev_hugo2016_ipres": "26997480",
    "ev_routy2018_microbiome": "29097494",
    "ev_gopalakrishnan2018_microbiome": "29097493",
    "ev_matson2018_microbiome": "29302014",
    "ev_shayan2017_tim3_pi3k": "28197389",
    "ev_sadefeldman2017_b2m": "29070816",
    "ev_kawakami2020_review_act": "31919690",
    # confirmed in the 2026-12 review (docs/knowledge_base.md, "Review rules")
    "ev_brahmer2010_first_pd1": "20516446",
    "ev_george2017_pten_lms": "28228279",
    "ev_fattore2017_mirna": "28551321",
    "ev_spranger2013_cd8_drives": "23986400",
    "ev_spranger2017_batf3": "28486109",
    "ev_larkin2015_braf_nivolumab": "26181250",
    "ev_sato2005_cd8_treg_ratio": "16344461",
    "ev_ascierto2023_relativity020": "36780608",
    "ev_reckamp2022_s1800a": "35658002",
    "ev_gandhi2018_keynote189": "29658856",
}


@pytest.mark.parametrize(("eid", "pmid"), sorted(CONFIRMED_PMIDS.items()))
def test_landmark_pmids(kb, eid, pmid):
    assert kb.evidence[eid].source.pmid == pmid


def test_levels_are_honest(kb):
    for e in kb.evidence.values():
        if e.model in ("mouse", "cell_line"):
            assert e.level in ("D", "E"), e.id
        if e.model == "review":
            assert e.level == "E", e.id
        if e.level == "A":
            assert e.model == "human_trial", e.id
        if e.source.via_seed:
            assert e.trust_rating <= 3, e.id
    levels = [e.level for e in kb.evidence.values()]
    # most seed evidence is B-D; A is rare
    assert levels.count("A") <= 6
    assert sum(levels.count(x) for x in "BCD") > 0.75 * len(levels)
    # the negative phase 3 IDO trial contests the IDO link
    link = kb.links[("ido1_tryptophan", "ido1_inhibition")]
    assert kb.link_contested(link)
    assert kb.countermeasures["ido1_inhibition"].stage == "negative_phase3"


def test_phenotype_rule_order(kb):
    ph = kb.phenotype
    assert [r.phenotype for r in ph.rules] == ["inflamed", "excluded"]
    assert ph.otherwise == "desert"
    assert ph.t_cell_score == "cd8_teff" and ph.stroma_score == "pan_ftbrs"


def test_parameters_are_documented_defaults(kb):
    p = kb.parameters
    assert (p.low_percentile, p.high_percentile, p.discordance_min_gap) == (25, 75, 50)


# ----------------------------------------------------------------------------- review rules
# Study design of every evidence item, typed in while reading each paper's abstract (or the
# seed's citation where the paper was not read), independent of the items' own ``model``
# field. A new item must be added here; a changed design fails until this table agrees.
STUDY_DESIGN = {
    "ev_arce2017_anti_cd25": "mouse",
    "ev_arlauckas2017_fcgr": "mouse",
    "ev_ascierto2023_relativity020": "human_trial",
    "ev_ayers2017_ifng_gep": "human_cohort",
    "ev_baruch2021_fmt": "human_trial",
    "ev_brahmer2010_first_pd1": "human_trial",
    "ev_cascone2018_glycolysis": "human_cohort",
    "ev_chamoto2017_mito_pd1": "mouse",
    "ev_chen2017_setpoint": "review",
    "ev_cho2023_bintrafusp": "human_trial",
    "ev_chowell2018_hla_genotype": "human_cohort",
    "ev_cooper2014_braf_icb": "review",
    "ev_davar2021_fmt": "human_trial",
    "ev_davoli2017_aneuploidy": "human_cohort",
    "ev_derosa2018_antibiotics": "human_cohort",
    "ev_eikawa2015_metformin": "mouse",
    "ev_falletta2017_mitf_axl": "cell_line",
    "ev_fattore2017_mirna": "review",
    "ev_fu2014_tegvax": "mouse",
    "ev_fujiwara2017_cblb": "mouse",
    "ev_gandhi2018_keynote189": "human_trial",
    "ev_gao2016_ifng_genes": "human_cohort",
    "ev_george2017_pten_lms": "human_case",
    "ev_gettinger2017_hla_nsclc": "human_case",
    "ev_gopalakrishnan2018_microbiome": "human_cohort",
    "ev_hamid2011_foxp3_ido": "human_trial",
    "ev_hodi2014_bev_ipi": "human_trial",
    "ev_holmgaard2013_ido": "mouse",
    "ev_huang2017_invigoration": "human_cohort",
    "ev_hugo2016_ipres": "human_cohort",
    "ev_hugo2016_ipres_combination": "human_cohort",
    "ev_iwai2002_pdl1_escape": "mouse",
    "ev_iwatakajihara2011_stat3_dc": "mouse",
    "ev_jiang2019_gene_detection": "review",
    "ev_jiang2019_ido_trials_claim": "review",
    "ev_jiang2019_mirna_pdl1": "review",
    "ev_jiang2019_prr_agonists": "review",
    "ev_jiang2019_th1_vaccine": "review",
    "ev_kakavand2017_progressing_melanoma": "human_case",
    "ev_kawakami2020_review_act": "review",
    "ev_kidani2016_cholesterol": "review",
    "ev_kinoshita2017_myeloid_lung": "human_cohort",
    "ev_koyama2016_tim3": "mouse",
    "ev_kudosaito2009_snail": "mouse",
    "ev_kunisada2017_metformin_treg": "mouse",
    "ev_lan2018_m7824": "mouse",
    "ev_larkin2015_braf_nivolumab": "human_cohort",
    "ev_larkin2015_checkmate067": "human_trial",
    "ev_le2017_mmr": "human_trial",
    "ev_marabelle2020_tmb_keynote158": "human_trial",
    "ev_long2019_echo301": "human_trial",
    "ev_manguso2017_ptpn2": "mouse",
    "ev_mariathasan2018_tgfb_mouse": "mouse",
    "ev_mariathasan2018_tgfb_patients": "human_cohort",
    "ev_matson2018_microbiome": "human_cohort",
    "ev_mcgranahan2017_hla_loh": "human_cohort",
    "ev_morello2017_soluble_cd73": "human_cohort",
    "ev_motz2014_fasl": "mouse",
    "ev_naik2019_bmi": "human_cohort",
    "ev_nakamura2014_tgfb1": "mouse",
    "ev_neubert2018_csf1": "mouse",
    "ev_ohta2016_adenosine": "review",
    "ev_osawa2019_cbp_bcatenin": "mouse",
    "ev_patel2017_crispr_screen": "cell_line",
    "ev_peng2016_pi3kb_mouse": "mouse",
    "ev_peng2016_pten_patients": "human_cohort",
    "ev_rath2014_arginine": "review",
    "ev_reckamp2022_s1800a": "human_trial",
    "ev_restifo1996_b2m": "human_case",
    "ev_rizvi2015_tmb": "human_cohort",
    "ev_robbins2013_neoantigen_til": "human_case",
    "ev_rohaan2022_til": "human_trial",
    "ev_routy2018_microbiome": "human_cohort",
    "ev_sadefeldman2017_b2m": "human_cohort",
    "ev_sadefeldman2018_tcf7": "human_cohort",
    "ev_sato2005_cd8_treg_ratio": "human_cohort",
    "ev_satoh2017_myc": "human_cohort",
    "ev_scharping2016_mitochondria": "mouse",
    "ev_shayan2017_tim3_pi3k": "mouse",
    "ev_shin2017_jak_primary": "human_case",
    "ev_skoulidis2018_stk11": "human_cohort",
    "ev_socinski2018_impower150": "human_trial",
    "ev_spranger2013_cd8_drives": "mouse",
    "ev_spranger2015_wnt": "mouse",
    "ev_spranger2016_antigen_density": "human_cohort",
    "ev_spranger2017_batf3": "mouse",
    "ev_sumimoto2006_braf": "cell_line",
    "ev_takeda2017_arnax": "mouse",
    "ev_tanoue2019_consortium": "mouse",
    "ev_taube2012_adaptive": "human_cohort",
    "ev_tauriello2018_tgfb": "mouse",
    "ev_tawbi2022_relatlimab": "human_trial",
    "ev_toda2002_hsv_vaccine": "mouse",
    "ev_topalian2012_pdl1": "human_trial",
    "ev_tumeh2014_cd8_margin": "human_cohort",
    "ev_udagawa2006_dc_cryoablation": "mouse",
    "ev_voron2015_vegf_checkpoints": "mouse",
    "ev_wang2016_cpg": "mouse",
    "ev_wang2017_radiotherapy": "mouse",
    "ev_wang2019_obesity": "human_cohort",
    "ev_wilmott2012_brafi_tils": "human_cohort",
    "ev_wolchok2013_nivo_ipi": "human_trial",
    "ev_woo2012_lag3_pd1": "mouse",
    "ev_yaguchi2012_wnt_human_cells": "cell_line",
    "ev_yamazaki2016_ltx315": "mouse",
    "ev_yuan2014_serum_vegf": "human_cohort",
    "ev_zaretsky2016_jak_b2m": "human_case",
    "ev_zingg2017_ezh2": "mouse",
    "ev_zitvogel2011_chemo_immune": "review",
}
# Levels each design allows (docs/mechanisms.md evidence model): preclinical D, a case report
# or series C at most, a review E, A only for a validated/approved use from trials; E (an
# inference drawn from a study) is always allowed.
ALLOWED_LEVELS = {"cell_line": "DE", "mouse": "DE", "human_case": "CE", "human_cohort": "BCE",
                  "human_trial": "ABCE", "review": "E"}  # fmt: skip


def _level_problems(items, design):
    """Items whose level the study design does not allow, or whose design disagrees."""
    out = []
    for e in items:
        d = design.get(e.id)
        if d is None:
            out.append(f"{e.id}: no study design recorded")
        elif e.model != d:
            out.append(f"{e.id}: model {e.model} but the study is {d}")
        elif e.level not in ALLOWED_LEVELS[d]:
            out.append(f"{e.id}: level {e.level} is not allowed for a {d} study")
    return out


def test_every_statement_is_as_strong_as_its_study_design(kb):
    assert set(STUDY_DESIGN) == set(kb.evidence)
    assert _level_problems(kb.evidence.values(), STUDY_DESIGN) == []


def test_the_level_check_fails_on_an_overstated_item(kb):
    # the checker is not vacuous: a cell-line study claiming B (built without validation, as
    # a hand-edited file would be before the loader refuses it) is reported
    sumimoto = kb.evidence["ev_sumimoto2006_braf"]
    overstated = sumimoto.model_construct(**{**dict(sumimoto), "level": "B"})
    assert _level_problems([overstated], STUDY_DESIGN) == [
        "ev_sumimoto2006_braf: level B is not allowed for a cell_line study"
    ]
    relabelled = sumimoto.model_construct(**{**dict(sumimoto), "model": "human_cohort",
                                             "level": "B"})  # fmt: skip
    assert "the study is cell_line" in _level_problems([relabelled], STUDY_DESIGN)[0]


def test_every_item_and_stage_is_dated_and_sourced(kb):
    # no review date after the month of the KB version (clock-independent "not in the future")
    year, month = (int(x) for x in kb.manifest.kb_version.split(".")[:2])
    today = datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
    for e in kb.evidence.values():
        assert datetime.date(2020, 1, 1) <= e.last_reviewed <= today, e.id
        assert e.verification and len(e.verification) > 30, e.id
    for c in kb.countermeasures.values():
        b = c.stage_basis
        assert re.fullmatch(r"(19|20)\d\d(-\d\d(-\d\d)?)?", b.date), c.id
        assert b.pmid or b.doi or b.nct or b.url or b.evidence, c.id
        assert set(b.evidence) <= set(kb.evidence), c.id
        assert datetime.date(2020, 1, 1) <= b.last_reviewed <= today, c.id


def test_stages_are_for_use_against_resistance(kb):
    cm = kb.countermeasures
    # approved first-line only: the stage after resistance is lower, and the note says so
    for cid, stage, trial in (
        ("anti_lag3", "phase2", "RELATIVITY-047"),
        ("anti_vegf", "phase2", "IMpower150"),
        ("ctla4_combination", "phase2", "CheckMate 067"),
    ):
        assert cm[cid].stage == stage, cid
        assert "first-line" in cm[cid].stage_basis.note and trial in cm[cid].stage_basis.note
    assert "NCT03470922" in cm["anti_lag3"].trials  # RELATIVITY-047
    assert cm["adoptive_cell_therapy"].stage == "approved"
    assert cm["adoptive_cell_therapy"].stage_basis.date == "2024-02-16"  # lifileucel, FDA
    assert cm["tgfb_blockade"].stage == "negative_phase3"
    assert "NCT03631706" in cm["tgfb_blockade"].stage_basis.nct  # bintrafusp alfa phase 3
    assert cm["gene_detection"].stage == "approved"
    note = cm["gene_detection"].stage_basis.note
    assert "MSI/dMMR and TMB testing only" in note
    # the negative phase 3 trials contest their links
    assert kb.link_contested(kb.links[("tgfb_exclusion", "tgfb_blockade")])


def test_seed_countermeasures_and_anchors(kb):
    cm = kb.countermeasures
    assert {a for c in ("in_situ_vaccination",) for s in cm[c].seed_anchors for a in s.refs} == {
        30,
        31,
    }
    assert any(25 in s.refs for s in cm["chemo_immunotherapy"].seed_anchors)
    assert any(63 in s.refs and s.seed == "001" for s in cm["ipres_blockade"].seed_anchors)
    for mid in ("mitf_low_axl_high", "emt_snail"):
        assert "ipres_blockade" in [lk.countermeasure for lk in kb.links_of(mid)]
    refs_000 = {r for m in kb.mechanisms.values() for s in m.seed_anchors if s.seed == "000"
                for r in s.refs}  # fmt: skip
    assert {24, 33, 45} <= refs_000
    assert 24 in next(s for s in kb.mechanisms["immune_desert"].seed_anchors).refs
    assert any(33 in s.refs for s in kb.mechanisms["pten_loss_pi3k"].seed_anchors)
    assert any(45 in s.refs for s in kb.mechanisms["mapk_oncogenic"].seed_anchors)


def test_corrected_statements_say_what_the_papers_say(kb):
    ev = kb.evidence
    gett = ev["ev_gettinger2017_hla_nsclc"]
    assert gett.source.doi == "10.1158/2159-8290.CD-17-0593"
    assert "14" in gett.statement and "no recurrent" in gett.statement
    assert ev["ev_falletta2017_mitf_axl"].source.doi == "10.1101/gad.290940.116"
    assert "not a shown cause" in ev["ev_falletta2017_mitf_axl"].statement
    top = ev["ev_topalian2012_pdl1"].statement
    assert "9 of 25" in top and "17" in top and "first nivolumab" not in top
    assert ev["ev_brahmer2010_first_pd1"].source.pmid == "20516446"
    assert "checkpoint blockade was not the subject" in ev["ev_spranger2017_batf3"].statement
    assert "melanoma cohorts" in ev["ev_chowell2018_hla_genotype"].statement
    assert ev["ev_george2017_pten_lms"].source.pmid == "28228279"
    assert ev["ev_fattore2017_mirna"].source.pmid == "28551321"
    assert ev["ev_fu2014_tegvax"].source.pmid == "24812273"
    assert "not a model of JAK1/2 loss" in ev["ev_fu2014_tegvax"].statement
    assert ev["ev_tanoue2019_consortium"].source.citation.startswith(
        "Tanoue T, Morita S, Plichta DR, et al. A defined commensal consortium elicits CD8 T "
        "cells and anti-cancer immunity."
    )
    assert ev["ev_ascierto2023_relativity020"].source.nct == ["NCT01968109"]
    rt = kb.links[("ifng_pathway_loss", "radiotherapy")].rationale
    assert "JAK1 also carries" in rt and "type I interferon" in rt
