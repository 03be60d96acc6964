"""The gene knowledge file: schema, citations, mechanism ids of docs/mechanisms.md, current
HGNC symbols (checked with the offline resolver, an independent table)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import immunescape.kb
from immunescape.errors import SchemaError
from immunescape.genes import resolve_identifiers
from immunescape.genomics import load_gene_knowledge

_SHIPPED = Path(immunescape.kb.__file__).parent / "data" / "genes.yaml"

CONTRACT_IDS = {
    "ifng_pathway_loss",
    "antigen_presentation_loss",
    "pten_loss_pi3k",
    "wnt_beta_catenin",
    "mapk_oncogenic",
    "myc_metabolic",
    "crispr_screen_genes",
}


def test_packaged_file_is_valid_and_covers_the_contract():
    kb = load_gene_knowledge()
    assert CONTRACT_IDS <= set(kb.mechanisms)
    genes = {
        "ifng_pathway_loss": {"JAK1", "JAK2", "IFNGR1", "IFNGR2", "IRF1", "STAT1"},
        "antigen_presentation_loss": {"B2M", "HLA-A", "HLA-B", "HLA-C", "TAP1", "TAP2"},
        "pten_loss_pi3k": {"PTEN", "PIK3CA"},
        "wnt_beta_catenin": {"CTNNB1", "APC", "AXIN1"},
        "mapk_oncogenic": {"BRAF", "NRAS", "KRAS"},
        "myc_metabolic": {"MYC"},
    }
    for mid, expected in genes.items():
        assert expected <= {g.symbol for g in kb.mechanisms[mid].genes}
    for g in ("STK11", "KEAP1", "MLH1", "MSH2", "MSH6", "PMS2", "POLE"):
        assert kb.mechanisms_of(g), g
    assert kb.genes["PTEN"].role == "tumour_suppressor"
    assert kb.genes["CTNNB1"].role == "oncogene"


def test_symbols_are_current_hgnc_symbols():
    kb = load_gene_knowledge()
    res = resolve_identifiers(kb.symbols)
    assert res.symbols == kb.symbols


def test_hotspots_from_the_literature():
    kb = load_gene_knowledge()
    spots = {g: [h.residues for h in e.hotspots] for g, e in kb.genes.items() if e.hotspots}
    assert spots == {
        "PIK3CA": ["E542", "E545", "H1047"],
        "CTNNB1": ["D32-S45"],
        "BRAF": ["V600"],
        "NRAS": ["G12", "G13", "Q61"],
        "KRAS": ["G12", "G13", "Q61"],
    }


ALL_CONTRACT_IDS = CONTRACT_IDS | {
    "hla_genotype", "low_antigenicity", "tim3_upregulation", "lag3_coinhibition",
    "vista_expression", "adaptive_pdl1", "tgfb_exclusion", "mitf_low_axl_high", "ezh2_prc2",
    "mirna_pdl1_deregulation", "cblb_t_cell_intrinsic", "ido1_tryptophan", "adenosine_cd73",
    "vegf_angiogenesis", "treg_infiltration", "myeloid_suppression", "fcgr_antibody_capture",
    "t_cell_metabolic_dysfunction", "emt_snail", "aneuploidy_scna", "stat3_signalling",
    "t_cell_exhaustion", "immune_desert", "fasl_endothelial_barrier", "arginine_metabolism",
    "gut_microbiome", "obesity_bmi", "cholesterol_metabolism",
}  # fmt: skip


def test_mechanism_ids_are_contract_ids_or_flagged_additions():
    kb = load_gene_knowledge()
    additions = set(kb.mechanisms) - ALL_CONTRACT_IDS
    assert additions == {"stk11_keap1_loss", "dna_repair_hypermutation"}
    for mid in additions:  # additions carry a note saying why
        assert kb.mechanisms[mid].note


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        (lambda d: d["genes"]["JAK1"].update(role="gatekeeper"), "role"),
        (lambda d: d["genes"]["JAK1"].update(citations=["Zaretsky 2016"]), "citation"),
        (lambda d: d["genes"]["BRAF"]["hotspots"][0].update(residues="600"), "residues"),
        (lambda d: d["genes"]["JAK1"].update(hotspots=[{"residues": "V1", "classes": ["missense"],
                                                         "citations": ["PMID:1"]}]), "hotspots"),
        (lambda d: d["mechanisms"]["myc_metabolic"]["genes"].append(
            {"symbol": "NOTAGENE", "effect": "resistance"}), "NOTAGENE"),
        (lambda d: d.update(extra_key=1), "extra_key"),
    ],
)  # fmt: skip
def test_schema_errors(tmp_path, patch, match):
    data = yaml.safe_load(_SHIPPED.read_text())
    patch(data)
    p = tmp_path / "genes.yaml"
    p.write_text(yaml.safe_dump(data))
    with pytest.raises(SchemaError) as err:
        load_gene_knowledge(p)
    msg = str(err.value)
    assert msg.startswith(str(p)) and "\n" not in msg
    assert re.search(match, msg), msg


def test_damaged_shipped_file_is_a_broken_installation(monkeypatch):
    """The packaged genes.yaml is checked against its sha256: a flipped byte is ResourceError."""
    from immunescape import _resources
    from immunescape.errors import InputError, ResourceError
    from immunescape.genomics import knowledge

    real = _resources._read

    def corrupt(package: str, name: str) -> bytes:
        data = real(package, name)
        return data[:-2] + b"#\n" if name == "genes.yaml" else data

    knowledge._load_default.cache_clear()
    monkeypatch.setattr(_resources, "_read", corrupt)
    try:
        with pytest.raises(ResourceError, match="corrupt.*reinstall") as err:
            load_gene_knowledge()
        assert not isinstance(err.value, InputError)
    finally:
        knowledge._load_default.cache_clear()
