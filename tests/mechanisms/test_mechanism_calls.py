"""The synthesis of mechanism calls against its written definition, rule by rule.

References, none of them the engine's own output:

* ``docs/mechanisms.md`` (the synthesis): block weights strong 1.0 / moderate 0.6 / weak 0.3;
  strength = largest matched weight + 0.2 per further kind of evidence matched, capped at 1;
  present from 0.6, indeterminate above 0, absent when an evaluable block was not met,
  not_assessable when no block could be evaluated or the sample lacks every required input;
  inferential RNA evidence alone, against DNA examined and clean, is capped at 0.5;
* ``kb/data/*.yaml`` read with plain YAML: each mechanism's blocks, its ``requires`` and its
  ``not_assessable_reason``; ``kb.yaml``'s percentile thresholds (low <= 25th, high >= 75th,
  discordance gap 50, at least 20 samples);
* the table contract ``immunescape.tables.TABLE_SPECS["mechanisms"]`` and its status
  vocabulary.

RNA cases use 40 samples whose scores are 1..40, so the cohort percentile of value v is
exactly 2.5 v (``rank(pct=True) * 100``), and the thresholds fall on known samples.
"""

from __future__ import annotations

import json
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
import yaml

from immunescape._result import Result
from immunescape.errors import InputError
from immunescape.mechanisms import CALL_COLUMNS, Evidence, MechanismCalls, call_mechanisms
from immunescape.mechanisms._rules import join_items
from immunescape.tables import MECHANISM_STATUSES, TABLE_SPECS

DATA = files("immunescape.kb") / "data"
RAW = yaml.safe_load((DATA / "mechanisms.yaml").read_text())["mechanisms"]
RAW_MECH = {m["id"]: m for m in RAW}
PARAMS = yaml.safe_load((DATA / "kb.yaml").read_text())["parameters"]

N = 40
SAMPLES = [f"s{i:02d}" for i in range(1, N + 1)]  # s01..s40, score value i -> percentile 2.5 i


def ramp(**columns: dict[str, float]) -> pd.DataFrame:
    """Scores 1..40 per column (percentile 2.5 v), with chosen samples set to chosen values."""
    base = pd.DataFrame({c: np.arange(1.0, N + 1) for c in columns}, index=SAMPLES)
    for col, values in columns.items():
        for sample, v in values.items():
            base.loc[sample, col] = v
    return base


def calls_for(mechanism: str, evidence: Evidence) -> pd.DataFrame:
    return call_mechanisms(evidence, mechanisms=[mechanism]).mechanisms.set_index("sample_id")


def events(*rows: tuple) -> pd.DataFrame:
    cols = ["sample_id", "gene", "event", "detail", "biallelic", "functional_call"]
    return pd.DataFrame(list(rows), columns=cols)


# ------------------------------------------------------------------ the table contract
def test_columns_follow_the_table_contract():
    # DESIGN.md's mechanisms.tsv columns, then the name, effect, level and evidence ids
    documented = ["sample_id", "mechanism_id", "status", "strength", "dna_evidence",
                  "rna_evidence", "clinical_evidence", "reason", "mechanism_name", "effect",
                  "level", "evidence_ids"]
    t = call_mechanisms(Evidence(["p1"])).mechanisms
    assert list(t.columns) == documented == CALL_COLUMNS
    assert list(TABLE_SPECS["mechanisms"].columns) == documented


def test_one_row_per_sample_and_mechanism_of_the_yaml():
    samples = ["a", "b", "c"]
    t = call_mechanisms(Evidence(samples)).mechanisms
    assert len(t) == len(samples) * len(RAW)
    assert not t.duplicated(["sample_id", "mechanism_id"]).any()
    assert list(dict.fromkeys(t["mechanism_id"])) == [m["id"] for m in RAW]
    assert set(t["status"]) <= set(MECHANISM_STATUSES)
    names = t.drop_duplicates("mechanism_id").set_index("mechanism_id")
    for m in RAW:
        assert names.loc[m["id"], "mechanism_name"] == m["name"]
        assert names.loc[m["id"], "effect"] == m.get("effect", "resistance")


def test_no_inputs_at_all_make_every_call_not_assessable():
    t = call_mechanisms(Evidence(["p1"])).mechanisms.set_index("mechanism_id")
    assert (t["status"] == "not_assessable").all()
    assert t["strength"].isna().all()
    for m in RAW:
        if "detection" in m:
            need = " or ".join(m["requires"])
            assert t.loc[m["id"], "reason"] == f"needs {need}; none given for this sample"


@pytest.mark.parametrize("mechanism", [m["id"] for m in RAW if "detection" not in m])
def test_mechanisms_without_a_rule_give_their_written_reason(mechanism):
    # even with every input a tumour can give: these are not assessable from tumour data
    ev = Evidence(["p1"], scores=pd.DataFrame({"x": [1.0]}, index=["p1"]),
                  inputs={k: {"p1"} for k in ("mutations", "cna", "hla", "clinical")})
    row = calls_for(mechanism, ev).loc["p1"]
    assert row["status"] == "not_assessable"
    assert row["reason"] == " ".join(RAW_MECH[mechanism]["not_assessable_reason"].split())
    assert np.isnan(row["strength"])


def test_a_sample_lacking_the_required_inputs_is_not_assessable_and_others_are_called():
    # lag3 needs expression: the sample without it is not assessable, the others are called
    scores = ramp(gene_LAG3={})
    ev = Evidence(SAMPLES + ["no_rna"], scores=scores)
    t = calls_for("lag3_coinhibition", ev)
    assert RAW_MECH["lag3_coinhibition"]["requires"] == ["expression"]
    assert t.loc["no_rna", "status"] == "not_assessable"
    assert t.loc["no_rna", "reason"] == "needs expression; none given for this sample"
    assert t.loc["s40", "status"] == "indeterminate"


# ------------------------------------------------------------------ RNA thresholds
def test_high_means_at_or_above_the_75th_cohort_percentile():
    assert PARAMS["high_percentile"] == 75
    t = calls_for("lag3_coinhibition", Evidence(SAMPLES, scores=ramp(gene_LAG3={})))
    weak = RAW_MECH["lag3_coinhibition"]["detection"]["rna"][0]
    assert weak["weight"] == "weak"
    assert t.loc["s30", "status"] == "indeterminate"  # 30 * 2.5 = 75.0
    assert t.loc["s30", "strength"] == pytest.approx(0.3)
    assert t.loc["s30", "rna_evidence"] == "gene_LAG3 at the 75th percentile"
    assert t.loc["s29", "status"] == "absent"  # 72.5
    assert t.loc["s29", "rna_evidence"] == "not met: gene_LAG3 at the 72nd percentile"
    called = t.index[t["status"] == "indeterminate"]
    assert list(called) == SAMPLES[29:]  # exactly the top quarter
    assert (t.loc[called, "level"] == "E").all()  # an inferential rule claims level E


def test_score_names_are_used_in_the_trail():
    ev = Evidence(SAMPLES, scores=ramp(gene_LAG3={}), score_names={"gene_LAG3": "LAG3"})
    assert calls_for("lag3_coinhibition", ev).loc["s40", "rna_evidence"] == (
        "LAG3 at the 100th percentile")


def test_two_rna_blocks_moderate_wins_over_weak():
    # tim3: moderate = HAVCR2 high AND LGALS9 high; weak = HAVCR2 high alone
    blocks = RAW_MECH["tim3_upregulation"]["detection"]["rna"]
    assert [b["weight"] for b in blocks] == ["moderate", "weak"]
    scores = ramp(gene_HAVCR2={}, gene_LGALS9={"s40": 1.0, "s39": 39.0})
    t = calls_for("tim3_upregulation", Evidence(SAMPLES, scores=scores))
    assert t.loc["s39", "status"] == "present"  # both high
    assert t.loc["s39", "strength"] == pytest.approx(0.6)
    assert t.loc["s40", "status"] == "indeterminate"  # HAVCR2 high, LGALS9 low: weak only
    assert t.loc["s40", "strength"] == pytest.approx(0.3)
    assert t.loc["s01", "status"] == "absent"


def test_too_few_samples_for_percentiles_is_not_assessable_with_a_warning():
    assert PARAMS["min_reference_samples"] == 20
    few = ramp(gene_LAG3={}).iloc[:19]
    res = call_mechanisms(Evidence(list(few.index), scores=few), mechanisms=["lag3_coinhibition"])
    assert (res.mechanisms["status"] == "not_assessable").all()
    assert res.mechanisms["reason"].str.startswith("no rule could be evaluated").all()
    assert len(res.warnings) == 1 and "at least 20 samples" in res.warnings[0]
    enough = ramp(gene_LAG3={}).iloc[:20]
    res = call_mechanisms(Evidence(list(enough.index), scores=enough),
                          mechanisms=["lag3_coinhibition"])
    assert res.warnings == []
    assert set(res.mechanisms["status"]) == {"absent", "indeterminate"}


def test_a_reference_cohort_gives_one_patient_percentiles():
    ref = ramp(gene_LAG3={}).reset_index(drop=True)
    one = pd.DataFrame({"gene_LAG3": [35.0, 5.0]}, index=["high", "low"])
    res = call_mechanisms(Evidence(["high", "low"], scores=one, reference_scores=ref),
                          mechanisms=["lag3_coinhibition"])
    t = res.mechanisms.set_index("sample_id")
    # against the reference: 100 * (34 below + 0.5 * 1 tied) / 40 = 86.25 -> high
    assert res.percentiles.loc["high", "gene_LAG3"] == pytest.approx(86.25)
    assert t.loc["high", "status"] == "indeterminate"
    assert t.loc["low", "status"] == "absent"
    assert res.percentile_basis == "reference"
    assert res.settings["percentiles"] == "reference"


# ------------------------------------------------------------------ strength and combination
IFNG = "ifng_pathway_loss"


@pytest.fixture(scope="module")
def ifng_dna_rna():
    """IFN-gamma loss: DNA (one-hit moderate, biallelic strong) x RNA discordance (weak)."""
    # CD8 T cells high in s38-s40 (95th-100th) while JAK-STAT activity is at the 2nd-8th:
    # a gap of at least 50 points (the values of s01-s03 are swapped to keep a permutation)
    scores = ramp(mcp_cd8_t_cells={},
                  progeny_jak_stat={"s40": 1.0, "s39": 2.0, "s38": 3.0, "s01": 38.0,
                                    "s02": 39.0, "s03": 40.0})
    ev = events(
        ("s40", "JAK1", "truncating", "p.Q503*", "unknown", "loss_of_function"),   # + RNA
        ("s39", "JAK1", "truncating", "p.Q503*", "true", "loss_of_function"),      # + RNA
        ("s05", "JAK1", "truncating", "p.Q503*", "unknown", "loss_of_function"),   # DNA only
        ("s06", "JAK2", "deep_deletion", "GISTIC -2", "true", "loss_of_function"),  # DNA only
    )
    evidence = Evidence(SAMPLES, scores=scores, events=ev,
                        inputs={"mutations": set(SAMPLES), "cna": set(SAMPLES)})
    return calls_for(IFNG, evidence)


def test_dna_moderate_plus_rna_weak_is_concordant_and_stronger(ifng_dna_rna):
    t = ifng_dna_rna
    assert t.loc["s40", "strength"] == pytest.approx(0.6 + 0.2)
    assert t.loc["s40", "status"] == "present"
    assert t.loc["s40", "reason"] == ("DNA + RNA evidence (DNA moderate, RNA weak); "
                                      "concordant across evidence types")
    assert t.loc["s40", "rna_evidence"] == (
        "mcp_cd8_t_cells at the 100th percentile while progeny_jak_stat is at the 2nd")


def test_strength_is_capped_at_one(ifng_dna_rna):
    assert ifng_dna_rna.loc["s39", "strength"] == pytest.approx(1.0)  # 1.0 + 0.2 -> 1


def test_strength_orders_the_kinds_of_evidence(ifng_dna_rna):
    t = ifng_dna_rna
    # s38: RNA alone (weak) ; s05: DNA one hit ; s40: one hit + RNA ; s06: biallelic
    assert t.loc["s38", "status"] == "indeterminate"
    assert t.loc["s38", "strength"] == pytest.approx(0.3)
    assert t.loc["s05", "strength"] == pytest.approx(0.6)
    assert (t.loc["s38", "strength"] < t.loc["s05", "strength"] < t.loc["s40", "strength"]
            < t.loc["s06", "strength"])


def test_dna_matched_and_rna_evaluated_against_it_is_reported_as_conflicting(ifng_dna_rna):
    # s05: DNA one hit; RNA evaluable and not met -> conflicting evidence named, call kept
    t = ifng_dna_rna
    assert t.loc["s05", "status"] == "present"
    assert "conflicting: RNA evidence checked and not met" in t.loc["s05", "reason"]
    assert t.loc["s05", "rna_evidence"].startswith("not met: mcp_cd8_t_cells at the ")


def test_rna_without_dna_input_is_weak_and_dna_rules_are_named_unevaluable():
    scores = ramp(mcp_cd8_t_cells={}, progeny_jak_stat={"s40": 1.0, "s01": 40.0})
    t = calls_for(IFNG, Evidence(SAMPLES, scores=scores))
    assert t.loc["s40", "status"] == "indeterminate"
    assert t.loc["s40", "reason"] == ("only weak evidence (strength 0.30 < 0.6); RNA evidence "
                                      "(RNA weak); DNA rules not evaluable (input or "
                                      "percentile missing)")


def test_inferential_rna_against_clean_dna_is_capped_at_half():
    # antigen presentation: low APM despite CD8 T cells is a *moderate inferential* RNA
    # block; with the DNA examined and clean it may not be called present on inference alone
    rna = RAW_MECH["antigen_presentation_loss"]["detection"]["rna"][0]
    assert (rna["weight"], rna["basis"]) == ("moderate", "inferential")
    scores = ramp(mcp_cd8_t_cells={}, apm={"s40": 1.0, "s01": 40.0})
    hla = pd.DataFrame({"hla_loh": False}, index=SAMPLES)
    dna_seen = {"mutations": set(SAMPLES), "cna": set(SAMPLES)}
    capped = calls_for("antigen_presentation_loss",
                       Evidence(SAMPLES, scores=scores, hla=hla, events=events(),
                                inputs=dna_seen)).loc["s40"]
    assert capped["status"] == "indeterminate"
    assert capped["strength"] == pytest.approx(0.5)
    assert capped["reason"].endswith("capped: only inferential RNA evidence, and the DNA "
                                     "rules were evaluated and not met")
    # without DNA the same RNA evidence stands at its weight
    open_ = calls_for("antigen_presentation_loss", Evidence(SAMPLES, scores=scores)).loc["s40"]
    assert open_["status"] == "present"
    assert open_["strength"] == pytest.approx(0.6)
    assert open_["level"] == "E"


# ------------------------------------------------------------------ clinical and features
def test_clinical_antibiotics_rule_and_three_valued_truth():
    # Routy 2018 / Derosa 2018: antibiotics around the first dose (moderate block)
    clin = pd.DataFrame({"antibiotics": ["yes", "no", "1", "0", "TRUE", None, "maybe"]},
                        index=["y", "n", "one", "zero", "caps", "missing", "unreadable"])
    ev = Evidence(list(clin.index) + ["no_clinical"], clinical=clin)
    t = calls_for("gut_microbiome", ev)
    for s in ("y", "one", "caps"):
        assert t.loc[s, "status"] == "present" and t.loc[s, "strength"] == pytest.approx(0.6)
        assert t.loc[s, "clinical_evidence"] == "antibiotics yes"
    for s in ("n", "zero"):
        assert t.loc[s, "status"] == "absent"
        assert t.loc[s, "clinical_evidence"] == "not met: antibiotics no"
    # a clinical row whose value is missing or unreadable: no block evaluable
    for s in ("missing", "unreadable"):
        assert t.loc[s, "status"] == "not_assessable"
        assert t.loc[s, "reason"].startswith("no rule could be evaluated")
    assert t.loc["no_clinical", "reason"] == "needs clinical; none given for this sample"


def test_clinical_threshold_bmi_at_or_above_30():
    rule = RAW_MECH["obesity_bmi"]["detection"]["clinical"][0]["conditions"][0]
    assert (rule["op"], rule["value"]) == ("ge", 30)
    clin = pd.DataFrame({"bmi": [30.0, 29.9, 41.2]}, index=["at", "below", "above"])
    t = calls_for("obesity_bmi", Evidence(list(clin.index), clinical=clin))
    assert t.loc["at", "status"] == "indeterminate"  # weak block: never present
    assert t.loc["at", "clinical_evidence"] == "bmi 30 kg/m2 (>= 30)"
    assert t.loc["above", "status"] == "indeterminate"
    assert t.loc["below", "status"] == "absent"
    assert t.loc["below", "clinical_evidence"] == "not met: bmi 29.9 kg/m2 (not >= 30)"


def test_feature_percentile_rule_aneuploidy():
    # Davoli 2017: top quarter of the fraction of genome altered (>= 75th percentile)
    scna = pd.DataFrame({"fraction_genome_altered": np.arange(1.0, N + 1) / 100},
                        index=SAMPLES)
    t = calls_for("aneuploidy_scna", Evidence(SAMPLES, scna=scna))
    assert list(t.index[t["status"] == "present"]) == SAMPLES[29:]
    assert t.loc["s30", "dna_evidence"] == "scna.fraction_genome_altered 0.3 (75th percentile)"


def test_low_tmb_rule_with_neoantigens_missing():
    tmb = pd.DataFrame({"tmb_per_mb": np.arange(1.0, N + 1)}, index=SAMPLES)
    t = calls_for("low_antigenicity", Evidence(SAMPLES, tmb=tmb,
                                               inputs={"mutations": set(SAMPLES)}))
    assert list(t.index[t["status"] == "present"]) == SAMPLES[:10]  # <= 25th percentile
    assert t.loc["s11", "status"] == "absent"


# ------------------------------------------------------------------ the evidence trail
def test_join_items_names_each_item_once_in_first_order():
    assert join_items(["b", "a", "b", "", "c", "a"]) == "b; a; c"
    assert join_items([]) == ""


def test_a_lesion_reached_by_two_blocks_is_named_once():
    ev = events(("p", "JAK1", "truncating", "p.Q503*; Nonsense_Mutation", "true",
                 "loss_of_function"),
                ("p", "JAK1", "loh", "shallow deletion (GISTIC -1)", "true", "loss_of_function"))
    t = calls_for(IFNG, Evidence(["p"], events=ev, inputs={"mutations": {"p"}, "cna": {"p"}}))
    # the strong block names both events, the one-hit block the truncation again
    assert t.loc["p", "dna_evidence"] == (
        "JAK1 p.Q503* truncating (Nonsense_Mutation; biallelic); "
        "JAK1 shallow deletion (GISTIC -1) loh (biallelic)")


def test_a_repeated_event_row_is_named_once():
    row = ("p", "PTEN", "deep_deletion", "GISTIC -2", "true", "loss_of_function")
    t = calls_for("pten_loss_pi3k", Evidence(["p"], events=events(row, row),
                                             inputs={"mutations": {"p"}, "cna": {"p"}}))
    assert t.loc["p", "dna_evidence"] == "PTEN GISTIC -2 deep deletion (biallelic)"


def test_checked_items_are_named_once_in_order():
    # tim3: both blocks check HAVCR2; the unmet trail names it once, before LGALS9
    scores = ramp(gene_HAVCR2={}, gene_LGALS9={})
    t = calls_for("tim3_upregulation", Evidence(SAMPLES, scores=scores))
    assert t.loc["s04", "rna_evidence"] == (
        "not met: gene_HAVCR2 at the 10th percentile; gene_LGALS9 at the 10th percentile")


def test_any_names_what_made_it_true():
    # the moderate APM block is "any" of B2M events and HLA LOH: only the met one is named
    ev = events(("p", "B2M", "loh", "", "unknown", "loss_of_function"))
    hla = pd.DataFrame({"hla_loh": [False]}, index=["p"])
    t = calls_for("antigen_presentation_loss",
                  Evidence(["p"], events=ev, hla=hla,
                           inputs={"mutations": {"p"}, "cna": {"p"}}))
    assert t.loc["p", "dna_evidence"] == "B2M loh"


# ------------------------------------------------------------------ result and inputs
def test_calls_are_a_result_with_settings_and_tables(tmp_path):
    res = call_mechanisms(Evidence(SAMPLES, scores=ramp(gene_LAG3={})),
                          mechanisms=["lag3_coinhibition"])
    assert isinstance(res, MechanismCalls) and isinstance(res, Result)
    assert list(res.tables) == ["mechanisms"]
    assert res.to_frame() is res.mechanisms is res.table
    assert res.mechanisms.attrs == {}
    assert res.settings["parameters"] == PARAMS
    assert res.settings["weights"] == {"strong": 1.0, "moderate": 0.6, "weak": 0.3}
    assert res.settings["present_at"] == 0.6
    out = res.write(tmp_path / "out")
    written = pd.read_csv(out / "mechanisms.tsv", sep="\t")
    assert len(written) == N and list(written.columns) == CALL_COLUMNS
    run = json.loads((out / "run.json").read_text())
    assert run["settings"]["percentiles"] == "cohort"


def test_evidence_refuses_duplicated_samples():
    with pytest.raises(InputError, match="duplicated sample ids"):
        Evidence(["a", "a"])


def test_evidence_derives_inputs_from_its_tables():
    scores = pd.DataFrame({"x": [1.0]}, index=["r"])
    hla = pd.DataFrame({"hla_loh": [True]}, index=["h"])
    clin = pd.DataFrame({"bmi": [20.0]}, index=["c"])
    ev = Evidence(["r", "h", "c"], scores=scores, hla=hla, clinical=clin)
    assert ev.has("expression").tolist() == [True, False, False]
    assert ev.has("hla").tolist() == [False, True, False]
    assert ev.has("clinical").tolist() == [False, False, True]
    assert ev.any_of(["hla", "clinical"]).tolist() == [False, True, True]
    assert ev.has("mutations").tolist() == [False, False, False]


def test_an_unknown_mechanism_id_is_one_input_error():
    with pytest.raises(InputError, match="mechanisms: unknown value 'ifng_loss'"):
        call_mechanisms(Evidence(["p"]), mechanisms=["ifng_loss"])
