"""Text rendering for ``immunescape kb list`` / ``kb show`` and the rule descriptions."""

from __future__ import annotations

from typing import Any

import pytest

from immunescape.errors import InputError
from immunescape.kb import describe_condition, kb_table, load_kb, render_entry
from immunescape.kb.schema import (
    ClinicalCondition,
    DiscordanceCondition,
    FeatureCondition,
    GeneEventsCondition,
    GroupCondition,
    Parameters,
    ScoreCondition,
)


def test_kb_table_lists_every_record():
    kb = load_kb()
    t = kb_table(kb)
    assert list(t.columns) == ["id", "kind", "name", "group", "requires", "n_evidence",
                               "best_level"]  # fmt: skip
    assert t["id"].is_unique
    counts = t["kind"].value_counts().to_dict()
    assert counts == {"mechanism": len(kb.mechanisms), "countermeasure": len(kb.countermeasures),
                      "evidence": len(kb.evidence)}  # fmt: skip
    mech = t.set_index("id")
    assert mech.loc["cblb_t_cell_intrinsic", "requires"] == "not assessable"
    assert mech.loc["gut_microbiome", "requires"] == "clinical"
    # lag3 as a mechanism rests on mouse data; the countermeasure has a phase 3 trial
    assert mech.loc["lag3_coinhibition", "best_level"] == "D"
    assert mech.loc["anti_lag3", "best_level"] == "A"
    not_a_kind: Any = "genes"  # as a caller without type checking would pass it
    with pytest.raises(InputError, match="kind: unknown value 'genes'"):
        kb_table(kb, kind=not_a_kind)


def test_render_mechanism_countermeasure_and_evidence():
    kb = load_kb()
    text = render_entry("antigen_presentation_loss", kb=kb)
    assert text.startswith("antigen_presentation_loss - Loss of antigen presentation")
    assert "PMID:27433843" in text and "ev_sadefeldman2017_b2m" in text
    assert "biallelic" in text and "hla.hla_loh is true" in text
    assert "gene_detection [level B]" in text
    assert text.endswith(kb.manifest.disclaimer.strip())

    text = render_entry("anti_tim3", kb=kb)
    assert "NCT02817633" in text and "TSR-022" in text and "tim3_upregulation [level D]" in text

    text = render_entry("ev_kakavand2017_progressing_melanoma", kb=kb)
    assert "level C, human_case" in text
    assert "DOI:10.7150/jca.26481 (seed 001)" in text  # traced through the seed review

    text = render_entry("cholesterol_metabolism", kb=kb)
    assert "not assessable:" in text and "countermeasures: none in the KB" in text


def test_unknown_id_suggests_close_matches():
    with pytest.raises(InputError, match="did you mean .*ifng_pathway_loss"):
        render_entry("ifng")


P = Parameters()


@pytest.mark.parametrize(
    ("cond", "text"),
    [
        (ScoreCondition(kind="score", score="ifng6", relation="high"),
         "ifng6 high (cohort percentile >= 75)"),
        (ScoreCondition(kind="score", score="cd8_teff", relation="not_high", percentile=66.7),
         "cd8_teff not high (cohort percentile < 66.7)"),
        (DiscordanceCondition(kind="discordance", high="mcp_cd8_t_cells", low="apm", min_gap=40),
         "mcp_cd8_t_cells high (percentile >= 75) while apm is at least 40 percentile points "
         "lower"),
        (GeneEventsCondition(kind="gene_events", genes=["B2M"], events=["truncating", "loh"],
                             biallelic_required=True),
         "B2M: truncating/loh (biallelic)"),
        (FeatureCondition(kind="feature", table="tmb", column="tmb_per_mb", op="lt", value=10),
         "tmb.tmb_per_mb < 10"),
        (ClinicalCondition(kind="clinical", field="bmi", op="ge", value=30, unit="kg/m2"),
         "bmi >= 30 kg/m2"),
        (GroupCondition(kind="group", combine="any", conditions=[
            ClinicalCondition(kind="clinical", field="antibiotics", op="is_true"),
            ClinicalCondition(kind="clinical", field="serum_vegf", op="high")]),
         "(antibiotics is true ANY serum_vegf high (cohort percentile >= 75))"),
    ],
)  # fmt: skip
def test_describe_condition(cond, text):
    assert describe_condition(cond, P) == text


@pytest.mark.parametrize(
    ("given", "mechanism"),
    # B2M loss removes HLA class I from the cell surface (Zaretsky 2016); JAK1/2 loss blinds
    # the tumour to IFN-gamma (Zaretsky 2016, Shin 2017)
    [("B2M", "antigen_presentation_loss"), ("jak1", "ifng_pathway_loss")],
)
def test_show_of_a_gene_symbol_names_its_mechanisms(given, mechanism):
    with pytest.raises(InputError) as info:
        load_kb().get(given)
    assert mechanism in info.value.fix and "is a gene of mechanism" in info.value.fix


def test_show_of_an_empty_id_suggests_no_arbitrary_ids():
    with pytest.raises(InputError) as info:
        load_kb().get(" ")
    assert "did you mean" not in info.value.fix
