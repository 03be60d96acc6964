"""Countermeasure ranking against the knowledge base as written and the documented rules.

The expected rows are built here from ``kb/data/links.yaml``, ``countermeasures.yaml``,
``evidence.yaml`` and ``kb.yaml`` read with plain YAML (not through the knowledge-base
loader), following the rules of ``immunescape.recommend`` and ``docs/knowledge_base.md``:

* every link leaving a *present resistance* mechanism proposes its countermeasure; nothing
  else does (absent, indeterminate and not-assessable calls, sensitivity and mixed
  mechanisms propose nothing);
* a link's level is the strongest level among its *supporting* evidence items; a chain's
  level is the weaker of the call's level and the link's level (a recommendation never
  claims more than its weakest link); a countermeasure proposed by several chains takes the
  strongest chain;
* citations are the supporting items' PMID/DOI/NCT (the seed review's identifier where the
  item has none); trials and stage come from the countermeasure; a link is contested when one
  of its items does not support it (e.g. TGF-beta blockade after the negative bintrafusp alfa
  phase 3, Cho et al. 2023);
* ranking within a sample: level (A first), therapeutic before diagnostic, the strength of
  the strongest mechanism behind it, the number of mechanisms, the countermeasure id.
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
from immunescape.mechanisms import Evidence, call_mechanisms
from immunescape.recommend import DISCLAIMER, RECOMMENDATION_COLUMNS, Recommendations, recommend
from immunescape.tables import TABLE_SPECS

DATA = files("immunescape.kb") / "data"


def _load(name: str, key: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text())[key]


LINKS = _load("links.yaml", "links")
CMS = {c["id"]: c for c in _load("countermeasures.yaml", "countermeasures")}
EVIDENCE = {e["id"]: e for e in _load("evidence.yaml", "evidence")}
MECHS = {m["id"]: m for m in _load("mechanisms.yaml", "mechanisms")}
SEEDS = yaml.safe_load((DATA / "kb.yaml").read_text())["seeds"]
LEVELS = "ABCDE"

RESISTANCE = [m for m, d in MECHS.items() if d.get("effect", "resistance") == "resistance"]
NOT_RESISTANCE = [m for m in MECHS if m not in RESISTANCE]
LINKED = sorted({lk["mechanism"] for lk in LINKS} & set(RESISTANCE))


def weaker(a: str, b: str) -> str:
    return max(a, b, key=LEVELS.index)


def supporting(link: dict) -> list[str]:
    return [e for e in link["evidence"] if EVIDENCE[e]["direction"] == "supports"]


def link_level(link: dict) -> str:
    levels = [EVIDENCE[e]["level"] for e in supporting(link)]
    return min(levels, key=LEVELS.index) if levels else "E"


def identifiers(evidence_id: str) -> list[str]:
    src = EVIDENCE[evidence_id]["source"]
    ids = ([f"PMID:{src['pmid']}"] if src.get("pmid") else []) + (
        [f"DOI:{src['doi']}"] if src.get("doi") else []) + list(src.get("nct", []))
    if not ids and src.get("via_seed"):
        seed = SEEDS[src["via_seed"]]
        own = f"DOI:{seed['doi']}" if seed.get("doi") else f"PMID:{seed['pmid']}"
        ids = [f"{own} (seed {src['via_seed']})"]
    return ids


def calls(*rows: tuple) -> pd.DataFrame:
    """(sample, mechanism, status, strength, level) rows as mechanisms.tsv states them."""
    return pd.DataFrame(list(rows),
                        columns=["sample_id", "mechanism_id", "status", "strength", "level"])


def recs(table: pd.DataFrame) -> pd.DataFrame:
    return recommend(table).recommendations


# ------------------------------------------------------------------ one chain, as written
@pytest.mark.parametrize("mechanism", LINKED)
def test_every_link_of_a_present_mechanism_becomes_one_row_as_written(mechanism):
    out = recs(calls(("p", mechanism, "present", 1.0, "A"))).set_index("countermeasure_id")
    links = {lk["countermeasure"]: lk for lk in LINKS if lk["mechanism"] == mechanism}
    assert sorted(out.index) == sorted(links)
    for cm_id, link in links.items():
        cm, row = CMS[cm_id], out.loc[cm_id]
        assert row["countermeasure"] == cm["name"]
        assert row["mechanism_ids"] == mechanism
        assert row["evidence_level"] == link_level(link)  # the call (A) does not cap it
        cites = [i for e in dict.fromkeys(supporting(link)) for i in identifiers(e)]
        assert row["citations"] == "; ".join(dict.fromkeys(cites))
        assert row["trials"] == ",".join(cm.get("trials", []))
        assert row["stage"] == cm["stage"]
        assert str(row["stage_as_of"]) == str(cm["stage_basis"]["date"])
        contested = any(EVIDENCE[e]["direction"] == "does_not_support"
                        for e in link["evidence"])
        assert bool(row["contested"]) is contested
        assert ("CONTESTED" in row["rationale"]) is contested
        assert row["rationale"].startswith(" ".join(link["rationale"].split()))
        assert row["caution"] == " ".join(cm.get("caution", "").split())


def test_every_row_cites_something_checkable():
    table = calls(*[("p", m, "present", 1.0, "A") for m in LINKED])
    out = recs(table)
    assert (out["citations"].str.len() > 0).all()
    assert out["citations"].str.contains(r"PMID:\d+|DOI:10\.|NCT\d{8}").all()


def test_the_call_level_caps_the_link():
    # LAG-3 with anti-PD-1 rests on level-A evidence (RELATIVITY-047); an inferential RNA call
    # (level E) cannot make it more than E; a level-C call makes it C
    link = next(lk for lk in LINKS if (lk["mechanism"], lk["countermeasure"])
                == ("lag3_coinhibition", "anti_lag3"))
    assert link_level(link) == "A"
    for call_level in "ABCDE":
        out = recs(calls(("p", "lag3_coinhibition", "present", 0.6, call_level)))
        row = out.set_index("countermeasure_id").loc["anti_lag3"]
        assert row["evidence_level"] == weaker(call_level, "A") == call_level


def test_a_missing_call_level_counts_as_inferential():
    out = recs(calls(("p", "lag3_coinhibition", "present", 0.6, "")))
    assert set(out["evidence_level"]) == {"E"}


def test_contested_tgfb_blockade_after_the_negative_phase_3():
    link = next(lk for lk in LINKS if (lk["mechanism"], lk["countermeasure"])
                == ("tgfb_exclusion", "tgfb_blockade"))
    against = [e for e in link["evidence"] if EVIDENCE[e]["direction"] == "does_not_support"]
    assert against  # Cho et al. 2023 (bintrafusp alfa) is listed against the link
    row = recs(calls(("p", "tgfb_exclusion", "present", 1.0, "B"))).set_index(
        "countermeasure_id").loc["tgfb_blockade"]
    assert bool(row["contested"])
    assert row["rationale"].endswith("CONTESTED: some cited evidence does not support this link")
    # the item against the link is not cited as support
    for e in against:
        for i in identifiers(e):
            assert i not in row["citations"]


# ------------------------------------------------------------------ several chains
def test_one_row_per_countermeasure_naming_every_mechanism_behind_it():
    mechs = ["ifng_pathway_loss", "antigen_presentation_loss", "pten_loss_pi3k"]
    levels = ["C", "B", "E"]
    out = recs(calls(*[("p", m, "present", 1.0, lv)
                       for m, lv in zip(mechs, levels, strict=True)]))
    assert not out["countermeasure_id"].duplicated().any()
    gd = out.set_index("countermeasure_id").loc["gene_detection"]
    assert gd["mechanism_ids"] == ",".join(mechs)  # in the order of the calls
    chains = [weaker(lv, link_level(next(lk for lk in LINKS if lk["mechanism"] == m
                                         and lk["countermeasure"] == "gene_detection")))
              for m, lv in zip(mechs, levels, strict=True)]
    assert gd["evidence_level"] == min(chains, key=LEVELS.index)
    # radiotherapy is proposed by two of them, once
    assert (out["countermeasure_id"] == "radiotherapy").sum() == 1
    rt = out.set_index("countermeasure_id").loc["radiotherapy"]
    assert rt["mechanism_ids"] == "ifng_pathway_loss,antigen_presentation_loss"


def _expected_order(table: pd.DataFrame) -> list[str]:
    """Countermeasure ids of one sample in the documented order, from the YAML alone."""
    present = table[(table["status"] == "present") & table["mechanism_id"].isin(RESISTANCE)]
    proposals: dict[str, dict] = {}
    for r in present.itertuples(index=False):
        for lk in (lk for lk in LINKS if lk["mechanism"] == r.mechanism_id):
            p = proposals.setdefault(lk["countermeasure"], {"levels": [], "strength": 0.0,
                                                            "mechs": set()})
            p["levels"].append(weaker(r.level or "E", link_level(lk)))
            p["strength"] = max(p["strength"], r.strength)
            p["mechs"].add(r.mechanism_id)

    def key(cm_id: str) -> tuple:
        p = proposals[cm_id]
        return (LEVELS.index(min(p["levels"], key=LEVELS.index)),
                CMS[cm_id]["kind"] == "diagnostic", -p["strength"], -len(p["mechs"]), cm_id)

    return sorted(proposals, key=key)


def test_ranking_follows_level_kind_strength_breadth_and_id():
    rng = np.random.default_rng(7)
    strengths = rng.choice([0.6, 0.8, 1.0], size=len(LINKED))
    levels = rng.choice(list("ABCDE"), size=len(LINKED))
    table = calls(*[("p", m, "present", float(s), str(lv))
                    for m, s, lv in zip(LINKED, strengths, levels, strict=True)])
    out = recs(table)
    assert out["countermeasure_id"].tolist() == _expected_order(table)
    assert out["rank"].tolist() == list(range(1, len(out) + 1))
    # therapeutic countermeasures come before the diagnostic one at the same level
    gd = out.set_index("countermeasure_id").loc["gene_detection"]
    same = out[out["evidence_level"] == gd["evidence_level"]]
    assert same["countermeasure_id"].iloc[-1] == "gene_detection"


def test_a_stronger_call_ranks_its_countermeasure_first_at_equal_level():
    # inferential calls (E) make every chain level E: TIM-3 and LAG-3 blockade then tie on
    # level and kind, and the stronger call's countermeasure comes first
    def order(tim3: float, lag3: float) -> list[str]:
        out = recs(calls(("p", "tim3_upregulation", "present", tim3, "E"),
                         ("p", "lag3_coinhibition", "present", lag3, "E")))
        ids = out["countermeasure_id"].tolist()
        return [c for c in ids if c in ("anti_tim3", "anti_lag3")]

    assert CMS["anti_tim3"]["kind"] == CMS["anti_lag3"]["kind"] == "drug_class"
    assert order(1.0, 0.6) == ["anti_tim3", "anti_lag3"]
    assert order(0.6, 1.0) == ["anti_lag3", "anti_tim3"]
    assert order(0.6, 0.6) == ["anti_lag3", "anti_tim3"]  # tie: by id


# ------------------------------------------------------------------ who gets nothing
@pytest.mark.parametrize("status", ["absent", "indeterminate", "not_assessable"])
def test_no_recommendation_without_a_present_mechanism(status):
    table = calls(*[("p", m, status, 0.3 if status == "indeterminate" else 0.0, "B")
                    for m in LINKED])
    out = recs(table)
    assert out.empty
    assert list(out.columns) == list(recommend(table).recommendations.columns)


def test_sensitivity_and_mixed_mechanisms_propose_nothing():
    assert {"adaptive_pdl1", "dna_repair_hypermutation", "obesity_bmi"} <= set(NOT_RESISTANCE)
    out = recs(calls(*[("p", m, "present", 1.0, "A") for m in NOT_RESISTANCE]))
    assert out.empty


def test_only_samples_with_a_present_resistance_mechanism_get_rows_in_input_order():
    table = calls(("z", "lag3_coinhibition", "present", 0.6, "B"),
                  ("a", "lag3_coinhibition", "indeterminate", 0.3, "E"),
                  ("m", "wnt_beta_catenin", "present", 0.6, "B"),
                  ("m", "adaptive_pdl1", "present", 0.6, "B"),
                  ("q", "adaptive_pdl1", "present", 0.6, "B"))
    out = recs(table)
    assert list(dict.fromkeys(out["sample_id"])) == ["z", "m"]
    for _, g in out.groupby("sample_id"):
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
    assert not out["mechanism_ids"].str.contains("adaptive_pdl1").any()


# ------------------------------------------------------------------ contract and result
def test_columns_follow_the_table_contract():
    spec = TABLE_SPECS["recommendations"]
    out = recs(calls(("p", "lag3_coinhibition", "present", 0.6, "B")))
    assert set(out.columns) == set(spec.required) | set(spec.optional)
    assert list(out.columns[: len(RECOMMENDATION_COLUMNS)]) == RECOMMENDATION_COLUMNS
    assert out["rank"].dtype == np.int64
    empty = recs(calls())
    assert list(empty.columns) == list(out.columns) and empty.empty


def test_missing_columns_are_one_input_error():
    with pytest.raises(InputError, match="lack column.*level"):
        recommend(pd.DataFrame({"sample_id": ["p"], "mechanism_id": ["lag3_coinhibition"],
                                "status": ["present"], "strength": [0.6]}))


def test_result_shape_and_writing(tmp_path):
    res = recommend(calls(("p", "lag3_coinhibition", "present", 0.6, "B")))
    assert isinstance(res, Recommendations) and isinstance(res, Result)
    assert list(res.tables) == ["recommendations"]
    assert res.to_frame() is res.recommendations is res.table
    assert res.recommendations.attrs == {}
    assert res.settings["disclaimer"] == DISCLAIMER
    assert res.settings["kb_version"] == yaml.safe_load((DATA / "kb.yaml").read_text())[
        "kb_version"]
    out = res.write(tmp_path / "o")
    written = pd.read_csv(out / "recommendations.tsv", sep="\t")
    assert written["countermeasure_id"].tolist() == res.recommendations[
        "countermeasure_id"].tolist()
    assert set(written["contested"]) <= {True, False}  # written as true/false
    assert json.loads((out / "run.json").read_text())["settings"]["disclaimer"] == DISCLAIMER


def test_zaretsky_patient_from_calls_to_countermeasures():
    # biallelic JAK1 loss (Zaretsky 2016) -> IFN-gamma pathway loss present -> its links
    ev = pd.DataFrame({"sample_id": ["pt1", "pt1"], "gene": ["JAK1", "JAK1"],
                       "event": ["truncating", "loh"], "detail": ["p.Q503*", ""],
                       "biallelic": ["true", "true"],
                       "functional_call": ["loss_of_function", "loss_of_function"]})
    mech = call_mechanisms(Evidence(["pt1", "wt"], events=ev,
                                    inputs={"mutations": {"pt1", "wt"}, "cna": {"pt1", "wt"}}))
    res = recommend(mech)  # the calls themselves are accepted
    out = res.recommendations.set_index("countermeasure_id")
    assert set(out["sample_id"]) == {"pt1"}
    expected = {lk["countermeasure"] for lk in LINKS if lk["mechanism"] == "ifng_pathway_loss"}
    assert set(out.index) == expected
    gd = out.loc["gene_detection"]
    assert "PMID:27433843" in gd["citations"]  # Zaretsky 2016
    assert "PMID:27903500" in gd["citations"]  # Shin 2017
    call_level = mech.mechanisms.set_index(["sample_id", "mechanism_id"]).loc[
        ("pt1", "ifng_pathway_loss"), "level"]
    link = next(lk for lk in LINKS if (lk["mechanism"], lk["countermeasure"])
                == ("ifng_pathway_loss", "gene_detection"))
    assert gd["evidence_level"] == weaker(call_level, link_level(link))
