"""TMB counts against hand counts of the rule (maftools non-synonymous classes)."""

from __future__ import annotations

import numpy as np
import pytest

from immunescape.errors import InputError
from immunescape.genomics import MutationTable, compute_tmb

from .conftest import maf_frame, mutations

ROWS = [
    ("B2M", "S1", "Frame_Shift_Del", "p.L13fs", "15", 1, "T", "-"),
    ("TP53", "S1", "Missense_Mutation", "p.R175H", "17", 2, "C", "T"),
    ("TTN", "S1", "Silent", "p.L10=", "2", 3, "C", "T"),
    ("TTN", "S1", "Intron", None, "2", 4, "C", "T"),
    ("TTN", "S1", "3'UTR", None, "2", 5, "C", "T"),
    ("TTN", "S1", "Splice_Region", None, "2", 6, "C", "T"),
    ("TTN", "S1", "IGR", None, "2", 7, "C", "T"),
    ("KRAS", "S1", "Splice_Site", "p.X10_splice", "12", 8, "C", "T"),
    ("EGFR", "S1", "In_Frame_Del", "p.E746_A750del", "7", 9, "AAA", "-"),
]


def test_nonsynonymous_rule_excludes_silent_and_noncoding():
    t = compute_tmb(mutations(ROWS), capture_mb=2.0)
    assert t.loc[0, "n_mutations_counted"] == 4  # frameshift, missense, splice site, in-frame
    assert t.loc[0, "tmb_per_mb"] == 2.0
    assert t.loc[0, "rule"] == "nonsynonymous"


def test_all_coding_rule_adds_silent():
    t = compute_tmb(mutations(ROWS), capture_mb=2.0, rule="all_coding", tmb_assay="panel")
    assert t.loc[0, "n_mutations_counted"] == 5
    assert t.loc[0, "rule"] == "all_coding; panel"


def test_duplicates_counted_once():
    rows = ROWS[:2] + [ROWS[1], ROWS[1]]
    assert compute_tmb(mutations(rows), capture_mb=1.0).loc[0, "n_mutations_counted"] == 2


def test_multiple_tumour_samples_per_patient():
    rows = [
        ("TP53", "P1-primary", "Missense_Mutation", "p.R175H", "17", 2, "C", "T"),
        ("TP53", "P1-met", "Missense_Mutation", "p.R175H", "17", 2, "C", "T"),
        ("KRAS", "P1-met", "Missense_Mutation", "p.G12D", "12", 9, "C", "T"),
    ]
    t = compute_tmb(
        mutations(rows),
        capture_mb=1.0,
        patients={"P1-primary": "P1", "P1-met": "P1", "P2-primary": "P2"},
        samples=["P1-primary", "P1-met", "P2-primary"],
    )
    assert t["sample_id"].tolist() == ["P1-primary", "P1-met", "P2-primary"]
    assert t["n_mutations_counted"].tolist() == [1, 2, 0]  # same variant in two samples: both
    assert t["patient_id"].tolist() == ["P1", "P1", "P2"]
    assert list(t.columns[:5]) == ["sample_id", "n_mutations_counted", "capture_mb",
                                   "tmb_per_mb", "rule"]  # fmt: skip


def test_per_sample_capture():
    t = compute_tmb(mutations(ROWS), capture_mb={"S1": 0.5})
    assert t.loc[0, "tmb_per_mb"] == 8.0


@pytest.mark.parametrize("capture", [None, 0, -1.0, float("nan"), float("inf"), "big"])
def test_capture_must_be_a_positive_number(capture):
    with pytest.raises(InputError) as err:
        compute_tmb(mutations(ROWS), capture_mb=capture)
    msg = str(err.value)
    assert msg.startswith("capture_mb:") and "\n" not in msg and "fix:" in msg


def test_capture_missing_for_a_sample():
    with pytest.raises(InputError, match="no capture size for sample"):
        compute_tmb(mutations(ROWS), capture_mb={"other": 1.0})


def test_samples_must_include_mutated_samples():
    with pytest.raises(InputError, match="not in samples="):
        compute_tmb(mutations(ROWS), capture_mb=1.0, samples=["S2"])


def test_neoantigen_load_from_a_user_column():
    f = maf_frame(ROWS[:2] + [ROWS[1]])
    f["neoantigens"] = ["2", "3", "3"]  # the duplicate row is counted once
    mt = MutationTable.from_frame(f, resolve_genes=False)
    t = compute_tmb(mt, capture_mb=1.0, neoantigen_column="neoantigens")
    assert t.loc[0, "neoantigen_load"] == 5
    f["neoantigens"] = ["true", "false", "false"]
    mt = MutationTable.from_frame(f, resolve_genes=False)
    assert (
        compute_tmb(mt, capture_mb=1.0, neoantigen_column="neoantigens").loc[0, "neoantigen_load"]
        == 1
    )
    with pytest.raises(InputError, match="not in the mutation table"):
        compute_tmb(mt, capture_mb=1.0, neoantigen_column="nope")


def test_matches_a_naive_loop_on_random_data():
    rng = np.random.default_rng(0)
    classes = ["Missense_Mutation", "Silent", "Intron", "Nonsense_Mutation", "Frame_Shift_Ins",
               "Splice_Region", "Translation_Start_Site", "3'UTR"]  # fmt: skip
    rows = []
    for _ in range(500):
        s = f"S{rng.integers(0, 20)}"
        pos = int(rng.integers(0, 300))  # collisions create duplicates
        rows.append(("G", s, classes[pos % len(classes)], None, "1", pos, "A", "C"))
    mt = mutations(rows)
    t = compute_tmb(mt, capture_mb=3.0).set_index("sample_id")
    counted = {"Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Ins",
               "Translation_Start_Site"}  # fmt: skip
    seen: dict[str, set] = {}
    for _, s, cls, _, _, pos, _, _ in rows:
        if cls in counted:
            seen.setdefault(s, set()).add(pos)
    for s, n in t["n_mutations_counted"].items():
        assert n == len(seen.get(s, set()))
        assert t.loc[s, "tmb_per_mb"] == pytest.approx(n / 3.0)
