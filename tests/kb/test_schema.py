"""Model-level rules of the KB schema (no files involved)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from immunescape.kb.schema import (
    DiscordanceCondition,
    Evidence,
    FeatureCondition,
    Mechanism,
    Parameters,
    SeedAnchor,
    Source,
    StageBasis,
)
from immunescape.kb.vocabulary import study_design_levels


def _err(fn, **kw):
    with pytest.raises(ValidationError) as info:
        fn(**kw)
    return str(info.value)


def test_feature_ops_match_column_types():
    assert "is boolean" in _err(FeatureCondition, kind="feature", table="hla",
                                column="any_homozygous", op="ge", value=1)  # fmt: skip
    assert "is a number" in _err(FeatureCondition, kind="feature", table="tmb",
                                 column="tmb_per_mb", op="is_true")  # fmt: skip
    assert "needs a value" in _err(FeatureCondition, kind="feature", table="tmb",
                                   column="tmb_per_mb", op="lt")  # fmt: skip
    assert "not in the scna table" in _err(FeatureCondition, kind="feature", table="scna",
                                           column="tmb_per_mb", op="high")  # fmt: skip
    ok = FeatureCondition(kind="feature", table="scna", column="fraction_genome_altered",
                          op="high", percentile=90)  # fmt: skip
    assert ok.percentile == 90


def test_discordance_needs_two_scores_and_parameters_are_ordered():
    assert "two different scores" in _err(DiscordanceCondition, kind="discordance",
                                          high="apm", low="apm")  # fmt: skip
    assert "below high_percentile" in _err(Parameters, low_percentile=80, high_percentile=75)


def test_source_identifiers():
    assert "needs a pmid, doi, nct or via_seed" in _err(Source, citation="Someone 2020 J X 1:1.")
    assert "NCT id" in _err(Source, citation="Someone 2020 J X 1:1.", nct=["NCT123"])
    assert "10.xxxx" in _err(Source, citation="Someone 2020 J X 1:1.", doi="doi:10.1/x")
    s = Source(citation="Someone 2020 J X 1:1.", pmid="123456", nct=["NCT01234567"])
    assert s.identifiers == ["PMID:123456", "NCT01234567"]


BASE_EV = dict(
    id="ev_x", evidence_type="predictive", direction="supports", significance="resistance",
    level="B", model="human_cohort", disease="melanoma",
    source={"citation": "Someone 2020 J X 1:1.", "pmid": "1"}, trust_rating=3,
    statement="A statement of one sentence about something.", last_reviewed="2024-05-01",
)  # fmt: skip


def test_evidence_level_rules():
    Evidence(**BASE_EV)
    assert "level C at most" in _err(Evidence, **{**BASE_EV, "model": "human_case"})
    assert "level A needs" in _err(Evidence, **{**BASE_EV, "level": "A"})
    assert "review alone is level E" in _err(Evidence, **{**BASE_EV, "model": "review"})
    assert "interaction_type" in _err(Evidence, **{**BASE_EV, "therapies": ["a", "b"]})
    assert "less than or equal to 5" in _err(Evidence, **{**BASE_EV, "trust_rating": 6})


def test_mechanism_assessability():
    base = dict(id="m_x", name="Name", category="host", evidence=["ev_x"],
                summary="A summary that is long enough to pass.")  # fmt: skip
    assert "needs not_assessable_reason" in _err(Mechanism, **base)
    assert "requires lists inputs" in _err(Mechanism, **base, requires=["clinical"],
                                           not_assessable_reason="because")  # fmt: skip
    m = Mechanism(**base, not_assessable_reason="cannot be seen in tumour data")
    assert m.detection.empty and m.score_ids() == [] and m.clinical_fields() == []
    bad_id = _err(Mechanism, **{**base, "id": "Bad-Id"}, not_assessable_reason="x")
    assert "String should match pattern" in bad_id


def test_seed_anchor_needs_content():
    assert "section or reference numbers" in _err(SeedAnchor, seed="000")
    assert SeedAnchor(seed="001", refs=[40]).refs == [40]


# Levels a study design may carry, typed in from the evidence model of docs/mechanisms.md and
# CIViC (A validated/approved use; B clinical, > 5 patients; C case report or series; D
# preclinical cells/mice; E inferential): independent of the schema's own table.
ALLOWED = {
    "cell_line": "DE", "mouse": "DE", "human_case": "CE", "human_cohort": "BCE",
    "human_trial": "ABCE", "review": "E",
}  # fmt: skip


@pytest.mark.parametrize("model", sorted(ALLOWED))
@pytest.mark.parametrize("level", list("ABCDE"))
def test_every_level_outside_its_study_design_is_refused(model, level):
    kw = {**BASE_EV, "model": model, "level": level}
    if level in ALLOWED[model]:
        assert Evidence(**kw).level == level
    else:
        with pytest.raises(ValidationError):
            Evidence(**kw)
    assert set(study_design_levels()[model]) == set(ALLOWED[model])


def test_review_dates_are_validated():
    assert "Field required" in _err(Evidence, **{k: v for k, v in BASE_EV.items()
                                                 if k != "last_reviewed"})  # fmt: skip
    assert "before 2000" in _err(Evidence, **{**BASE_EV, "last_reviewed": "1999-12-31"})
    assert "valid date" in _err(Evidence, **{**BASE_EV, "last_reviewed": "2024-13-01"})


def test_stage_basis_needs_date_source_and_review():
    ok = dict(date="2024-02-16", citation="FDA approval of something, 2024.",
              url="https://example.org/approval", last_reviewed="2024-03-01")  # fmt: skip
    assert StageBasis(**ok).date == "2024-02-16"
    assert "checkable source" in _err(StageBasis, **{**ok, "url": None})
    assert "YYYY" in _err(StageBasis, **{**ok, "date": "Feb 2024"})
    assert "Field required" in _err(StageBasis, **{k: v for k, v in ok.items() if k != "date"})
    assert "Field required" in _err(StageBasis, **{k: v for k, v in ok.items()
                                                   if k != "last_reviewed"})  # fmt: skip
    assert "http" in _err(StageBasis, **{**ok, "url": "example.org"})
    assert "NCT id" in _err(StageBasis, **{**ok, "nct": ["NCT1"]})
