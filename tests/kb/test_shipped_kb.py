"""The shipped knowledge base: completeness, cross-references, identifiers, honest levels.

The required ids are typed in from docs/mechanisms.md (the contract), not read from the KB,
so a renamed or dropped id fails here even if the KB manifest were edited to match.
"""

from __future__ import annotations

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
    assert set(kb.countermeasures) == set(REQUIRED_COUNTERMEASURES)


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
    assert kb.countermeasures["anti_lag3"].trials == ["NCT01968109"]


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
