"""User extension files: validated like the shipped KB, broken ones give one-line errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from immunescape.errors import InputError, SchemaError
from immunescape.kb import kb_table, load_kb, read_kb_file, render_entry, validate_kb_file

GOOD = """\
schema_version: 1
mechanisms:
  - id: my_cxcl9_silencing
    name: CXCL9 silencing in the tumour
    category: tumour_intrinsic
    summary: A user-defined mechanism in which the tumour stops making T-cell chemokines.
    genes: [CXCL9]
    detection:
      rna:
        - conditions:
            - {kind: score, score: chemokine12, relation: low}
            - {kind: score, score: mcp_cd8_t_cells, relation: not_high}
          weight: weak
          evidence: [ev_user_chemokine]
    requires: [expression]
    evidence: [ev_user_chemokine]
evidence:
  - id: ev_user_chemokine
    evidence_type: functional
    direction: supports
    significance: resistance
    level: E
    model: review
    disease: melanoma
    source:
      citation: "Example A, et al. A made-up review for this test. J Test 2020;1:1."
      doi: "10.1000/test.2020.1"
    trust_rating: 2
    statement: "Tumours that silence T-cell chemokines recruit fewer T cells in this test."
    last_reviewed: 2024-05-01
links:
  - mechanism: my_cxcl9_silencing
    countermeasure: prr_agonist
    rationale: Innate agonists restore chemokine production in this test scenario.
    evidence: [ev_user_chemokine]
"""


def _write(tmp_path: Path, text: str, name: str = "user_kb.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_user_file_adds_a_mechanism(tmp_path):
    path = _write(tmp_path, GOOD)
    kb = load_kb([path])
    base = load_kb()
    assert "my_cxcl9_silencing" in kb.mechanisms
    assert "my_cxcl9_silencing" not in base.mechanisms  # the cached KB is untouched
    assert len(kb.mechanisms) == len(base.mechanisms) + 1
    assert kb.origin["my_cxcl9_silencing"] == str(path)
    assert kb.version.startswith(base.manifest.kb_version + "+user.")
    assert kb.sha256 != base.sha256
    # a user link to a shipped countermeasure is allowed and shows up both ways
    assert ("my_cxcl9_silencing", "prr_agonist") in kb.links
    assert "my_cxcl9_silencing" in kb.mechanisms_of("prr_agonist")
    assert "my_cxcl9_silencing" not in kb.countermeasures["prr_agonist"].mechanisms
    assert kb.link_level(kb.links[("my_cxcl9_silencing", "prr_agonist")]) == "E"
    text = render_entry("my_cxcl9_silencing", kb=kb)
    assert "chemokine12 low (cohort percentile <= 25)" in text
    assert "prr_agonist [level E]" in text
    t = kb_table(kb, kind="mechanisms")
    assert "my_cxcl9_silencing" in set(t["id"])
    assert validate_kb_file(path) == []


ORPHAN = """\
  - id: ev_user_orphan
    evidence_type: functional
    direction: supports
    significance: resistance
    level: D
    model: mouse
    disease: melanoma
    source: {citation: "Example B, et al. An orphan item. J Test 2021;2:2.", pmid: "123456"}
    trust_rating: 2
    statement: "This item is cited by nothing in this test file."
    last_reviewed: 2024-05-01
"""


def test_validate_reports_soft_problems(tmp_path):
    body, links = GOOD.split("links:\n")
    path = _write(tmp_path, body + ORPHAN + "links:\n" + links)
    problems = validate_kb_file(path)
    assert problems == [f"{path}: evidence ev_user_orphan is not cited by any record"]
    no_link = GOOD.split("links:\n")[0]
    path2 = _write(tmp_path, no_link, "no_link.yaml")
    assert validate_kb_file(path2) == [
        f"{path2}: mechanism my_cxcl9_silencing has no link to a countermeasure "
        "(allowed, but nothing will be recommended)"
    ]


BROKEN = {
    "unknown_score": (
        ("score: chemokine12,", "score: chemokine_twelve,"),
        ["detection.rna[0]", "chemokine_twelve", "signature registry"],
    ),
    "no_identifier": (
        ('      doi: "10.1000/test.2020.1"\n', ""),
        ["evidence[0]", "source", "pmid, doi, nct or via_seed"],
    ),
    "pmid_not_digits": (
        ('doi: "10.1000/test.2020.1"', 'pmid: "PMID123"'),
        ["evidence[0]", "source.pmid", "digits"],
    ),
    "bad_level": (
        ("level: E", "level: F"),
        ["evidence[0]", "level"],
    ),
    "typo_field": (
        ("trust_rating: 2", "trust_ratng: 2"),
        ["evidence[0]", "trust_ratng", "Extra inputs", "did you mean 'trust_rating'"],
    ),
    "unknown_countermeasure": (
        ("countermeasure: prr_agonist", "countermeasure: prr_agonists"),
        ["links", "prr_agonists", "unknown countermeasure"],
    ),
    "unknown_evidence_in_mechanism": (
        ("    evidence: [ev_user_chemokine]\nevidence:", "    evidence: [ev_nope]\nevidence:"),
        ["my_cxcl9_silencing", "evidence[0]", "ev_nope"],
    ),
    "duplicate_shipped_id": (
        ("id: my_cxcl9_silencing", "id: ifng_pathway_loss"),
        ["mechanisms[0].id", "ifng_pathway_loss", "already defined"],
    ),
    "mouse_claims_level_b": (
        ("level: E\n    model: review", "level: B\n    model: mouse"),
        ["evidence[0]", "level D"],
    ),
    "dna_block_with_score": (
        ("      rna:\n", "      dna:\n"),
        ["mechanisms[0]", "detection", "does not belong in a dna block"],
    ),
    "requires_missing_input": (
        ("requires: [expression]", "requires: [clinical]"),
        ["mechanisms[0]", "requires", "expression"],
    ),
    "two_sentences": (
        ('in this test."', 'in this test. It also says more."'),
        ["evidence[0] (id 'ev_user_chemokine').statement", "one sentence"],
    ),
    "link_only_contested": (
        ("direction: supports", "direction: does_not_support"),
        ["links (my_cxcl9_silencing->prr_agonist).evidence", "no evidence item supports"],
    ),
    "no_review_date": (
        ("    last_reviewed: 2024-05-01\n", ""),
        ["evidence[0]", "last_reviewed", "Field required"],
    ),
    "review_date_not_a_date": (
        ("last_reviewed: 2024-05-01", "last_reviewed: 2024-02-30"),
        ["impossible value", "day is out of range", "YYYY-MM-DD"],
    ),
    "cell_line_claims_level_b": (
        ("level: E\n    model: review", "level: B\n    model: cell_line"),
        ["evidence[0]", "cell_line evidence is level D"],
    ),
    "percentile_out_of_range": (
        ("relation: low}", "relation: low, percentile: 120}"),
        ["conditions[0]", "percentile"],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_give_one_line_errors(tmp_path, case):
    (old, new), expected = BROKEN[case]
    assert old in GOOD, case
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(SchemaError) as info:
        load_kb([path])
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(path) + ": ")
    for fragment in expected:
        assert fragment in msg, (case, msg)
    assert "fix:" in msg


def test_invalid_yaml_and_wrong_top_level(tmp_path):
    bad = _write(tmp_path, "mechanisms: [\n  - id: x\n", "bad.yaml")
    with pytest.raises(SchemaError, match=r"bad\.yaml: is not valid YAML"):
        read_kb_file(bad)
    listy = _write(tmp_path, "- id: x\n", "list.yaml")
    with pytest.raises(SchemaError, match=r"list\.yaml: must be a mapping"):
        validate_kb_file(listy)
    empty = _write(tmp_path, "", "empty.yaml")
    with pytest.raises(SchemaError, match=r"empty\.yaml: is empty"):
        load_kb([empty])
    with pytest.raises(InputError, match="file not found"):
        load_kb([tmp_path / "missing.yaml"])


def test_genes_from_must_name_a_genes_yaml_mechanism(tmp_path):
    text = GOOD.replace(
        "      rna:\n        - conditions:\n"
        "            - {kind: score, score: chemokine12, relation: low}\n"
        "            - {kind: score, score: mcp_cd8_t_cells, relation: not_high}\n",
        "      dna:\n        - conditions:\n"
        "            - {kind: gene_events, genes_from: no_such_mechanism, events: [truncating]}\n",
    ).replace("requires: [expression]", "requires: [mutations]")
    path = _write(tmp_path, text)
    with pytest.raises(SchemaError, match=r"genes_from 'no_such_mechanism' is not a mechanism"):
        load_kb([path])
    path2 = _write(tmp_path, text.replace("genes_from: no_such_mechanism", "genes: [NOTAGENE]"))
    with pytest.raises(SchemaError, match=r"gene 'NOTAGENE' is not in kb/data/genes.yaml"):
        load_kb([path2])


def test_user_rules_may_use_user_signatures(tmp_path):
    gmt = tmp_path / "my.gmt"
    gmt.write_text("MY_CHEMO\tmy set\tCXCL9\tCXCL10\tCXCL11\n", encoding="utf-8")
    path = _write(tmp_path, GOOD.replace("score: chemokine12,", "score: MY_CHEMO,"))
    with pytest.raises(SchemaError, match="MY_CHEMO"):
        load_kb([path])
    kb = load_kb([path], signature_files=[gmt])
    assert kb.mechanisms["my_cxcl9_silencing"].score_ids() == ["MY_CHEMO", "mcp_cd8_t_cells"]


CM = """\
countermeasures:
  - id: my_vaccine
    name: A user vaccine
    kind: vaccine
    stage: phase1
    stage_basis:
      date: "2023-05"
      citation: "Example C, et al. A made-up phase 1 trial. J Test 2023;3:3."
      nct: [NCT01234567]
      last_reviewed: 2024-05-01
    summary: A user-defined countermeasure that restores chemokines in this test.
    mechanisms: [my_cxcl9_silencing]
    evidence: [ev_user_chemokine]
"""


def test_user_countermeasure_stage_needs_date_and_source(tmp_path):
    body, links = GOOD.split("links:\n")
    text = (
        body
        + CM
        + "links:\n"
        + links
        + (
            "  - mechanism: my_cxcl9_silencing\n"
            "    countermeasure: my_vaccine\n"
            "    rationale: The vaccine restores chemokine production in this test scenario.\n"
            "    evidence: [ev_user_chemokine]\n"
        )
    )
    kb = load_kb([_write(tmp_path, text)])
    shown = render_entry("my_vaccine", kb=kb)
    assert "stage: phase1 (for use against resistance; as of 2023-05; reviewed 2024-05-01)" in shown
    assert "NCT01234567" in shown
    cases = {
        "no stage_basis": (
            text.split("    stage_basis:")[0] + "    summary:" + text.split("    summary:", 2)[2],
            ["stage_basis", "Field required"],
        ),
        "no source id": (
            text.replace("      nct: [NCT01234567]\n", ""),
            ["stage_basis", "checkable source"],
        ),
        "no date": (text.replace('      date: "2023-05"\n', ""), ["stage_basis.date"]),
        "bad date": (text.replace('date: "2023-05"', 'date: "May 2023"'), ["YYYY"]),
        "unknown stage evidence": (
            text.replace("      nct: [NCT01234567]\n", "      evidence: [ev_nope]\n"),
            ["stage_basis.evidence[0]", "ev_nope"],
        ),
    }
    for case, (broken, fragments) in cases.items():
        with pytest.raises(SchemaError) as info:
            load_kb([_write(tmp_path, broken, "broken_cm.yaml")])
        msg = str(info.value)
        assert "\n" not in msg, case
        for fragment in fragments:
            assert fragment in msg, (case, msg)


def test_a_directory_given_as_a_kb_or_signature_file_is_named_as_a_directory(tmp_path):
    from immunescape.errors import InputError
    from immunescape.kb._read import read_user_text
    from immunescape.signatures.registry import read_signature_file

    for read in (read_user_text, read_signature_file):
        with pytest.raises(InputError) as info:
            read(tmp_path)
        assert "is a directory" in str(info.value) and "not found" not in str(info.value)
