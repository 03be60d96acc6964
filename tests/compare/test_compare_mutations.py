"""mutation_enrichment() and mechanism_enrichment(): Fisher's exact test against R's published
example (fisher.test on the tea-tasting table, p = 0.4857) and a hypergeometric sum written
here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from immunescape.compare import MUTATION_COLUMNS, mechanism_enrichment, mutation_enrichment
from immunescape.errors import InputError


def _naive_fisher(a, b, c, d):
    """Two-sided Fisher p: sum of hypergeometric probabilities <= that of the table."""
    n_r, n_mut, n = a + b, a + c, a + b + c + d
    lo, hi = max(0, n_mut - (n - n_r)), min(n_r, n_mut)
    probs = {k: stats.hypergeom.pmf(k, n, n_mut, n_r) for k in range(lo, hi + 1)}
    p_obs = probs[a]
    return min(1.0, sum(p for p in probs.values() if p <= p_obs * (1 + 1e-7)))


def _events(table):
    rows = []
    for sample, genes in table.items():
        for g in genes:
            rows.append({"sample_id": sample, "gene": g, "event": "truncating", "detail": ""})
    return pd.DataFrame(rows)


def test_tea_tasting_published_value():
    # R: fisher.test(matrix(c(3, 1, 1, 3), nrow = 2)) -> p-value = 0.4857
    samples = [f"s{i}" for i in range(8)]
    y = pd.Series(["R"] * 4 + ["NR"] * 4, index=samples)
    ev = _events({"s0": ["X"], "s1": ["X"], "s2": ["X"], "s4": ["X"]})
    t = mutation_enrichment(ev, y, samples=samples, min_mutated=1)
    row = t.iloc[0]
    assert list(t.columns[:6]) == MUTATION_COLUMNS
    assert (row["n_r_mut"], row["n_nr_mut"]) == (3, 1)
    assert round(row["p_value"], 4) == 0.4857
    assert row["odds_ratio"] == pytest.approx(9.0)  # (3 x 3) / (1 x 1), sample odds ratio


def test_against_naive_hypergeometric():
    rng = np.random.default_rng(3)
    samples = [f"s{i}" for i in range(40)]
    y = pd.Series(rng.choice(["R", "NR"], 40), index=samples)
    genes = ["B2M", "JAK1", "TP53", "BRAF", "NRAS"]
    table = {
        s: [g for g in genes if rng.random() < (0.5 if y[s] == "NR" and g == "B2M" else 0.2)]
        for s in samples
    }
    ev = _events(table)
    ev = pd.concat([ev, ev.iloc[:3]])  # duplicated events in a sample count once
    t = mutation_enrichment(ev, y, samples=samples, min_mutated=1).set_index("gene")
    n_r, n_nr = int((y == "R").sum()), int((y == "NR").sum())
    for g in genes:
        a = sum(1 for s in samples if g in table[s] and y[s] == "R")
        c = sum(1 for s in samples if g in table[s] and y[s] == "NR")
        assert (t.loc[g, "n_r_mut"], t.loc[g, "n_nr_mut"]) == (a, c)
        assert t.loc[g, "p_value"] == pytest.approx(
            _naive_fisher(a, n_r - a, c, n_nr - c), rel=1e-6
        )
        assert (t.loc[g, "n_r"], t.loc[g, "n_nr"]) == (n_r, n_nr)


def test_wild_type_samples_and_filters():
    samples = [f"s{i}" for i in range(10)]
    y = pd.Series(["R"] * 5 + ["NR"] * 5, index=samples)
    ev = pd.DataFrame(
        {
            "sample_id": ["s5", "s6", "s7", "s0"],
            "gene": ["B2M", "B2M", "B2M", "B2M"],
            "event": ["truncating", "truncating", "missense_vus", "missense_vus"],
        }
    )
    t = mutation_enrichment(ev, y, samples=samples, event_types=["truncating"], min_mutated=3)
    row = t.iloc[0]
    assert (row["n_r_mut"], row["n_nr_mut"]) == (0, 2)
    assert np.isnan(row["p_value"]) and row["note"].startswith("not tested: 2 altered")
    assert row["events_counted"] == "truncating"


def test_bad_mutation_input():
    samples = [f"s{i}" for i in range(8)]
    y = pd.Series(["R"] * 4 + ["NR"] * 4, index=samples)
    ev = _events({"s0": ["X"], "zz": ["X"]})
    with pytest.raises(InputError, match="1 sample.*have events but are not in the sequenced.*zz"):
        mutation_enrichment(ev, y, samples=samples)
    with pytest.raises(InputError, match="lacks column"):
        mutation_enrichment(ev.drop(columns="gene"), y, samples=samples + ["zz"])
    with pytest.raises(InputError, match=r"too few samples per group \(2 responders"):
        mutation_enrichment(_events({"s2": ["X"]}), y, samples=samples[2:])


def test_mechanism_enrichment_excludes_unassessable():
    samples = [f"s{i}" for i in range(10)]
    y = pd.Series(["R"] * 5 + ["NR"] * 5, index=samples)
    status = [
        "absent",
        "absent",
        "absent",
        "not_assessable",
        "absent",
        "present",
        "present",
        "present",
        "indeterminate",
        "absent",
    ]
    m = pd.DataFrame({"sample_id": samples, "mechanism_id": "ifng_pathway_loss", "status": status})
    t = mechanism_enrichment(m, y).iloc[0]
    assert (t["n_r"], t["n_nr"], t["n_r_present"], t["n_nr_present"]) == (4, 4, 0, 3)
    assert t["p_value"] == pytest.approx(_naive_fisher(0, 4, 3, 1))
