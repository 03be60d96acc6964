"""Unit detection and declared-unit checks on synthetic matrices built in each unit."""

from __future__ import annotations

import numpy as np
import pytest

from immunescape.errors import InputError, UnitError
from immunescape.io import check_unit, detect_unit, matrix_stats

RNG = np.random.default_rng(7)


def _tpm(n_samples: int = 6, n_genes: int = 6000) -> np.ndarray:
    """Linear TPM: log-normal abundances with 20 % zeros, each sample scaled to sum 1e6."""
    x = RNG.lognormal(mean=1.0, sigma=2.0, size=(n_samples, n_genes))
    x[RNG.random(x.shape) < 0.2] = 0.0
    return x / x.sum(axis=1, keepdims=True) * 1e6


def _detect(x: np.ndarray):
    return detect_unit(matrix_stats(x))


def test_counts_detected_from_integers():
    x = RNG.poisson(50, size=(5, 200)).astype(float)
    call = _detect(x)
    assert call.unit == "counts" and call.log_offset is None
    assert any("integer" in e for e in call.evidence)


def test_tpm_detected_from_sample_sums():
    call = _detect(_tpm())
    assert call.unit == "tpm"
    assert any("sums to 1e6" in e for e in call.evidence)


def test_fpkm_detected_when_sums_vary_on_a_transcriptome():
    # FPKM = TPM x (sample-specific factor): sums differ from 1e6 and between samples
    x = _tpm() * np.array([0.4, 0.7, 1.3, 0.9, 0.55, 2.0])[:, None]
    assert _detect(x).unit == "fpkm"


def test_tpm_with_genes_left_out_is_a_loud_fpkm_guess():
    """TPM over 19,000 genes after dropping non-gene rows sums below 1e6: called FPKM (the
    sums cannot tell), but the guess is loud, names the sums and the --unit choices."""
    full = _tpm(n_samples=4)
    kept = full[:, :5000]  # a gene-level subset: sums 1e6 minus what the dropped rows held
    sums = kept.sum(axis=1)
    assert (sums < 0.99e6).all()
    call = _detect(kept)
    assert call.unit == "fpkm"
    assert len(call.loud) == 1 and call.loud[0] in call.warnings
    assert "--unit tpm" in call.loud[0] and "--unit fpkm" in call.loud[0]
    assert f"{sums.min():.6g}" in call.loud[0] and f"{sums.max():.6g}" in call.loud[0]
    declared = check_unit(matrix_stats(kept), "tpm")
    assert declared.unit == "tpm" and not declared.loud


def test_real_tpm_and_counts_are_not_loud():
    assert not _detect(_tpm()).loud
    assert not _detect(RNG.poisson(50, size=(5, 200)).astype(float)).loud


def test_panel_of_linear_values_is_normalized():
    x = RNG.lognormal(5, 1, size=(8, 300))
    assert _detect(x).unit == "normalized"


@pytest.mark.parametrize(
    ("offset", "floor"),
    [(0.001, -9.965784), (0.01, -6.643856), (1.0, 0.0)],
)
def test_log2_offset_read_from_the_floor(offset, floor):
    # floor = log2(offset), computed independently: log2(0.001) = -9.965784...
    assert np.log2(offset) == pytest.approx(floor, abs=1e-6)
    x = np.round(np.log2(_tpm() + offset), 4)  # files store 4 decimals, like PredictioR
    call = _detect(x)
    assert call.unit == "log2tpm"
    assert call.log_offset == pytest.approx(offset, rel=1e-9)
    assert not call.warnings


def test_log2_without_floor_assumes_offset_1_with_a_warning():
    x = RNG.uniform(2.0, 14.0, size=(6, 500))  # e.g. NanoString log2, no zeros
    call = _detect(x)
    assert (call.unit, call.log_offset) == ("log2tpm", 1.0)
    assert call.warnings and "assumed" in call.warnings[0]


def test_negative_log_values_without_floor_are_plain_log2():
    x = RNG.normal(5.0, 3.0, size=(6, 500))
    call = _detect(x)
    assert (call.unit, call.log_offset) == ("log2tpm", 0.0)
    assert call.warnings


def test_negative_values_above_log_range_fit_no_unit():
    x = RNG.normal(0.0, 1000.0, size=(4, 100))
    with pytest.raises(UnitError, match="neither a linear unit"):
        _detect(x)


def test_all_zero_matrix_is_rejected():
    with pytest.raises(UnitError, match="every expression value is 0"):
        _detect(np.zeros((3, 10)))


def test_small_integers_are_counts_with_a_warning():
    call = _detect(RNG.integers(0, 10, size=(4, 50)).astype(float))
    assert call.unit == "counts" and call.warnings


# --------------------------------------------------------------- declared units checked
def test_declared_counts_with_fractions_is_an_error():
    x = _tpm()
    with pytest.raises(UnitError, match="not integers") as info:
        check_unit(matrix_stats(x), "counts", source="expr.tsv")
    assert str(info.value).startswith("expr.tsv: ") and "fix:" in str(info.value)


@pytest.mark.parametrize("unit", ["counts", "tpm", "fpkm", "normalized"])
def test_declared_linear_unit_with_negative_values_is_an_error(unit):
    x = np.round(np.log2(_tpm() + 0.001), 4)
    with pytest.raises(UnitError, match="negative"):
        check_unit(matrix_stats(x), unit)


@pytest.mark.parametrize("unit", ["tpm", "fpkm"])
def test_declared_tpm_on_log_data_is_an_error(unit):
    x = np.log2(_tpm() + 1)
    with pytest.raises(UnitError, match="look log2-scaled"):
        check_unit(matrix_stats(x), unit)


def test_declared_normalized_on_log_looking_data_only_warns():
    x = np.log2(_tpm() + 1)
    call = check_unit(matrix_stats(x), "normalized")
    assert call.unit == "normalized" and any("log2" in w for w in call.warnings)


@pytest.mark.parametrize("unit", ["log2tpm", "log2counts"])
def test_declared_log_unit_with_large_values_is_an_error(unit):
    with pytest.raises(UnitError, match="reach"):
        check_unit(matrix_stats(_tpm()), unit)


def test_declared_tpm_summing_above_1e6_warns():
    call = check_unit(matrix_stats(_tpm() * 3), "tpm")
    assert any("sum above 1e6" in w for w in call.warnings)


def test_declared_log_unit_detects_the_offset():
    x = np.round(np.log2(_tpm() + 0.001), 4)
    call = check_unit(matrix_stats(x), "log2tpm")
    assert call.unit_given and not call.log_offset_given
    assert call.log_offset == pytest.approx(0.001)


def test_explicit_offset_below_the_data_floor_is_an_error():
    x = np.round(np.log2(_tpm() + 0.001), 4)
    with pytest.raises(UnitError, match="below log2"):
        check_unit(matrix_stats(x), "log2tpm", log_offset=1.0)


def test_explicit_offset_is_kept():
    x = np.log2(_tpm() + 1.0)
    call = check_unit(matrix_stats(x), None, log_offset=1.0)
    assert (call.unit, call.log_offset, call.log_offset_given) == ("log2tpm", 1.0, True)


def test_offset_for_linear_unit_is_an_input_error():
    with pytest.raises(InputError, match="linear unit"):
        check_unit(matrix_stats(_tpm()), "tpm", log_offset=1.0)
    with pytest.raises(UnitError, match="data are linear"):
        check_unit(matrix_stats(_tpm()), None, log_offset=1.0)


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_bad_offset_values(bad):
    with pytest.raises(InputError, match="log_offset: must be a number >= 0"):
        check_unit(matrix_stats(np.log2(_tpm() + 1)), "log2tpm", log_offset=bad)


def test_unknown_unit_name():
    with pytest.raises(InputError, match="unit: unknown value 'rpkm'; fix: use one of 'counts'"):
        check_unit(matrix_stats(_tpm()), "rpkm")


# ------------------------------------------- integer counts declared TPM; centred matrices
def test_declared_tpm_on_deep_integer_counts_is_an_error():
    # read counts: Poisson draws at ~2.5e7 reads per sample, far from a TPM sum of 1e6
    x = RNG.poisson(_tpm(n_genes=6000) * 25).astype(float)
    assert np.median(x.sum(axis=1)) > 2e7
    with pytest.raises(UnitError, match="every value is an integer") as info:
        check_unit(matrix_stats(x), "tpm", source="counts.tsv")
    assert "unit='counts'" in str(info.value)


def test_declared_tpm_on_rounded_tpm_or_shallow_integers_only_warns():
    rounded = np.round(_tpm())  # integer TPM still sums to ~1e6
    call = check_unit(matrix_stats(rounded), "tpm")
    assert call.unit == "tpm" and any("integer" in w for w in call.warnings)
    panel = np.round(_tpm(n_genes=6000)[:, :300])  # a panel: sums far below 1e6
    assert check_unit(matrix_stats(panel), "tpm").unit == "tpm"


def test_declared_tpm_on_fractional_values_summing_below_1e6_is_accepted():
    # a filtered transcriptome or a panel of TPM values: sums below 1e6, no complaint
    x = _tpm()[:, :2000]
    assert check_unit(matrix_stats(x), "tpm").unit == "tpm"


def test_per_gene_z_scores_are_refused_without_a_declared_unit():
    logged = np.log2(_tpm(n_samples=30, n_genes=800) + 1)
    z = (logged - logged.mean(axis=0)) / logged.std(axis=0, ddof=1)
    stats = matrix_stats(z[:, logged.std(axis=0) > 0])
    assert stats.centred_per_gene
    with pytest.raises(UnitError, match="centred per gene") as info:
        detect_unit(stats, source="z.tsv")
    assert "unit='zscore'" in str(info.value)
    assert check_unit(stats, "zscore").unit == "zscore"
    declared = check_unit(stats, "log2tpm")  # taken at its word, with a warning
    assert declared.unit == "log2tpm" and any("centred" in w for w in declared.warnings)


def test_centred_detection_does_not_catch_log2_with_a_negative_floor():
    x = np.round(np.log2(_tpm(n_samples=30) + 0.001), 4)  # like PredictioR: floor -9.9658
    stats = matrix_stats(x)
    assert stats.n_negative and not stats.centred_per_gene
    assert detect_unit(stats).unit == "log2tpm"


def test_rounded_tpm_read_as_counts_is_said_loudly():
    """TPM rounded to whole numbers sums to about 1e6 per sample; a sequenced library's read
    counts sum to millions. Still read as counts (the values are integers), but loudly."""
    rounded = np.round(_tpm(n_samples=3))
    call = _detect(rounded)
    assert call.unit == "counts"
    assert len(call.loud) == 1 and "--unit tpm" in call.loud[0]
    # ten million reads per library, whole-transcriptome: counts, nothing said
    reads = RNG.multinomial(10_000_000, _tpm(n_samples=1)[0] / 1e6, size=3).astype(float)
    assert _detect(reads).unit == "counts" and not _detect(reads).loud



@pytest.mark.realdata
def test_natural_log_read_as_log2_is_said_loudly(shared_data):
    """Hugo 2016 Pt2 as ln(TPM + 1) (scanpy/Seurat's log) read as log2 un-logs to about
    143,000 instead of TPM's ~950,000: a loud hint. The same TPM as log2(TPM + 1), and every
    sample of the cohort file as given, are silent."""
    import pandas as pd

    e = pd.read_csv(shared_data / "predictior_icb/Hugo2016_melanoma_PD1_expr_log2tpm.tsv.gz",
                    sep="\t", index_col=0).dropna()
    tpm = np.clip(2.0 ** e.T.to_numpy() - 0.001, 0, None)  # values are log2(TPM + 0.001)
    one = tpm[list(e.columns).index("Pt2")][None, :]
    ln = _detect(np.log(one + 1))
    assert ln.unit == "log2tpm" and len(ln.loud) == 1 and "natural-log" in ln.loud[0]
    assert not _detect(np.log2(one + 1)).loud
    assert not any(_detect(np.log2(row[None, :] + 1)).loud for row in tpm)
    assert not _detect(e.T.to_numpy()).loud
    assert not _detect(np.log(one[:, :6000] + 1)).loud  # a panel: no transcriptome sum
