"""Detection and validation of the unit of an expression matrix.

Detection rules (first match wins; the evidence is recorded in the input report)
----------------------------------------------------------------------------------
1. Negative values and a maximum <= 30: **log2tpm**. A maximum above 30 with negative values
   fits no unit (linear units cannot be negative, log2 values of expression stay below 30)
   and raises :class:`~immunescape.errors.UnitError`. So do values centred per gene (over at
   least 3 samples, 80 % of the varying genes have a mean within half a standard deviation
   of 0, and the minimum is no repeated floor): z-scores or log-ratios are not log2
   expression; declare ``zscore``.
2. Every value an integer and a maximum > 30: **counts**. All integers with a maximum <= 30
   are also called counts, with a warning (log2 values are almost never all integers).
3. A maximum <= 30 (no negatives, not all integers): **log2tpm**.
4. Every sample sums to 1e6 (within 1 %): **tpm**.
5. Otherwise linear, non-integer values: **fpkm** when the matrix has at least 5,000 genes
   (FPKM, RPKM, filtered TPM or RSEM-normalised values: per-sample rescaling to 1e6 makes them
   TPM-like), **normalized** for smaller panels (NanoString, targeted panels), where
   rescaling to a million would be meaningless. The FPKM call is a guess shown to the user
   (:attr:`UnitCall.loud`): sums below 1e6 do not tell FPKM from a TPM table whose non-gene
   or unresolved rows were left out (real files overlap: FPKM 0.45e6-0.92e6, gene-level TPM
   0.65e6-0.96e6), so declaring ``tpm`` keeps such values unscaled.

Log data are reported as ``log2tpm``: ``log2counts`` cannot be told apart from the values, so
declare it (``unit="log2counts"``) when that is what the file holds. Natural or base-10
logarithms cannot be detected either (an h5ad ``X`` written by ``scanpy.pp.log1p`` is
converted to log2 from its ``uns['log1p']`` base before these rules run).

Log offset (pseudo-count) of log2 data, unless given
----------------------------------------------------
The *floor* is the smallest value; it counts as a zero floor when at least 0.1 % of the values
(and at least 2) sit on it. A floor ``f < 0`` gives offset ``2**f``, snapped to the nearest
power of ten within 1 % (``log2(0.001) = -9.9658`` gives 0.001). A floor at 0 gives offset 1.
Without a repeated floor the offset is 1 when all values are >= 0 (a warning says it was
assumed) and 0 (plain ``log2(x)``, e.g. microarray intensities) when some are negative.

Declared units are checked against the data (:class:`~immunescape.errors.UnitError`)
------------------------------------------------------------------------------------
* ``counts``: negative values; non-integer values. (All integers but max <= 30: warning.)
* ``tpm``, ``fpkm``: negative values; data that look log2-scaled (max <= 30 with more than
  half of the values non-integer): declared linear, the data are logged. ``tpm`` on integer
  data (max > 30) whose median sample sum exceeds 1.1e6: read counts, declare ``counts``.
  Other ``tpm`` samples summing above 1e6 (+1 %) only warn (merged duplicates can do that).
* ``normalized``: negative values; log-looking data only warn (arbitrary linear scales exist).
* ``zscore`` (centred per gene, e.g. z-scores or NanoString log-ratios): any sign accepted;
  never chosen by detection (centred data are refused, rule 1), only declared.
* ``log2tpm``, ``log2counts``: a maximum above 30 (values are not logged); with an explicit
  ``log_offset``, values below ``log2(log_offset)`` (impossible for ``log2(x + offset)``).
  Values centred per gene only warn (the declaration is taken at its word).
* A ``log_offset`` for a linear unit is an :class:`~immunescape.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from immunescape._validate import check_choice, check_range
from immunescape.errors import InputError, UnitError
from immunescape.expression import LOG_UNITS, WHOLE_TRANSCRIPTOME_GENES, Unit

__all__ = ["UnitCall", "MatrixStats", "matrix_stats", "detect_unit", "check_unit"]

#: Largest value a log2 expression matrix may hold (log2 of 1e9).
LOG_MAX = 30.0
#: Minimum number of genes for linear non-integer data to be called FPKM rather than
#: ``normalized``.
FPKM_MIN_GENES = 5000
#: A floor is a zero floor when at least this fraction of the values sits on it.
FLOOR_MIN_FRACTION = 0.001
#: Integer data declared TPM are refused as counts when the median sample sum exceeds this.
TPM_INTEGER_MAX_SUM = 1.1e6
#: Per-gene centring: at least this share of the varying genes has a mean within half a
#: standard deviation of 0, over at least this many samples.
CENTRED_MIN_FRACTION = 0.8
CENTRED_MIN_SAMPLES = 3
_FLOOR_TOL = 1e-3
_BLOCK = 1024


@dataclass
class MatrixStats:
    """Summary statistics of a finite samples x genes matrix, used by the unit rules."""

    n_samples: int
    n_genes: int
    minimum: float
    maximum: float
    n_negative: int
    n_non_integer: int
    n_floor: int
    sample_sums: np.ndarray
    example_non_integer: float | None = None
    n_varying_genes: int = 0
    n_centred_genes: int = 0
    #: per-sample sums of 2**value (the un-logged sums if the values are log2); None if unknown
    pow2_sums: np.ndarray | None = None

    @property
    def n_values(self) -> int:
        """Number of values in the matrix."""
        return self.n_samples * self.n_genes

    @property
    def all_integer(self) -> bool:
        """True when every value is a whole number."""
        return self.n_non_integer == 0

    @property
    def floor_fraction(self) -> float:
        """Fraction of the values equal to the minimum (within 1e-3)."""
        return self.n_floor / self.n_values if self.n_values else 0.0

    @property
    def centred_per_gene(self) -> bool:
        """True when most genes vary around a mean of 0 (z-scores, log-ratios).

        A repeated floor (log2 of zeros plus an offset) marks log2 expression, not centring,
        however low most genes are.
        """
        return (
            not self.floor_repeated
            and self.n_samples >= CENTRED_MIN_SAMPLES
            and self.n_varying_genes > 0
            and self.n_centred_genes >= CENTRED_MIN_FRACTION * self.n_varying_genes
        )

    @property
    def floor_repeated(self) -> bool:
        """True when the minimum is a repeated floor (a zero floor after log transform)."""
        return self.n_floor >= 2 and self.floor_fraction >= FLOOR_MIN_FRACTION


def matrix_stats(values: np.ndarray) -> MatrixStats:
    """Compute :class:`MatrixStats` of a finite samples x genes matrix, in row blocks.

    Parameters
    ----------
    values
        2-D float array, samples in rows; must be finite.

    Returns
    -------
    MatrixStats
        Minimum, maximum, counts of negative, non-integer and floor values, sample sums.

    Examples
    --------
    >>> s = matrix_stats(np.array([[0.0, 2.0], [1.5, 4.0]]))
    >>> s.minimum, s.maximum, s.n_non_integer, s.sample_sums.tolist()
    (0.0, 4.0, 1, [2.0, 5.5])
    >>> z = matrix_stats(np.array([[-1.0, 0.5], [0.0, -0.8], [1.0, 0.3]]))
    >>> z.n_varying_genes, z.n_centred_genes, z.centred_per_gene
    (2, 2, True)
    """
    n_samples, n_genes = values.shape
    if values.size == 0:
        return MatrixStats(n_samples, n_genes, np.nan, np.nan, 0, 0, 0, np.zeros(n_samples))
    minimum = float(np.min(values))
    maximum = float(np.max(values))
    n_negative = n_non_integer = n_floor = 0
    example: float | None = None
    sums = np.empty(n_samples, dtype=np.float64)
    pow2 = np.empty(n_samples, dtype=np.float64)
    gene_sum = np.zeros(n_genes, dtype=np.float64)
    gene_sq = np.zeros(n_genes, dtype=np.float64)
    for start in range(0, n_samples, _BLOCK):
        block = values[start : start + _BLOCK]
        n_negative += int(np.count_nonzero(block < 0))
        fractional = block != np.rint(block)
        n_frac = int(np.count_nonzero(fractional))
        if n_frac and example is None:
            example = float(block[fractional][0])
        n_non_integer += n_frac
        n_floor += int(np.count_nonzero(block <= minimum + _FLOOR_TOL))
        sums[start : start + _BLOCK] = block.sum(axis=1, dtype=np.float64)
        capped = np.minimum(block, 60.0, dtype=np.float64)  # 2**60: no overflow
        pow2[start : start + _BLOCK] = np.exp2(capped).sum(axis=1)
        gene_sum += block.sum(axis=0, dtype=np.float64)
        gene_sq += np.square(block, dtype=np.float64).sum(axis=0)
    mean = gene_sum / n_samples
    sd = np.sqrt(np.maximum(gene_sq / n_samples - mean**2, 0.0))
    varying = sd > 1e-6 * np.maximum(1.0, np.abs(mean))
    centred = varying & (np.abs(mean) <= 0.5 * sd)
    return MatrixStats(
        n_samples, n_genes, minimum, maximum, n_negative, n_non_integer, n_floor, sums, example,
        n_varying_genes=int(varying.sum()), n_centred_genes=int(centred.sum()), pow2_sums=pow2,
    )


@dataclass
class UnitCall:
    """The unit and log offset of a matrix, with where they came from and why.

    Attributes
    ----------
    unit
        One of :data:`immunescape.expression.UNITS`.
    unit_given
        True when the user declared the unit (it was then checked, not detected).
    log_offset
        Pseudo-count of a log unit; None for linear units.
    log_offset_given
        True when the user gave the offset.
    evidence
        Sentences stating the facts the decision rests on.
    warnings
        Doubts worth showing the user.
    loud
        The warnings among ``warnings`` a command line must print (a guess that changes the
        values, such as linear data read as FPKM and rescaled).
    """

    unit: Unit
    unit_given: bool
    log_offset: float | None
    log_offset_given: bool
    evidence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    loud: list[str] = field(default_factory=list)


def _g(x: float) -> str:
    return f"{x:.6g}"


def _snap_offset(floor: float) -> float:
    offset = float(2.0**floor)
    power = 10.0 ** round(np.log10(offset))
    if abs(offset / power - 1) < 0.01:
        return float(power)
    return float(f"{offset:.3g}")


def _detect_offset(stats: MatrixStats, call: UnitCall) -> None:
    """Fill ``call.log_offset`` from the floor of log2 data (rules in the module docs)."""
    floor = stats.minimum
    where = f"{stats.floor_fraction:.1%} of values"
    if stats.floor_repeated and abs(floor) <= _FLOOR_TOL:
        call.log_offset = 1.0
        call.evidence.append(f"floor at 0 ({where}): log2(x + 1), offset 1")
    elif stats.floor_repeated and floor < 0:
        call.log_offset = _snap_offset(floor)
        call.evidence.append(
            f"floor {_g(floor)} ({where}) = log2({_g(call.log_offset)}): "
            f"offset {_g(call.log_offset)}"
        )
    elif floor >= 0:
        call.log_offset = 1.0
        call.evidence.append(f"no repeated zero floor (lowest value {_g(floor)}): offset assumed 1")
        call.warnings.append(
            f"log offset could not be read from the data (lowest value {_g(floor)} is not a "
            "repeated floor); assumed log2(x + 1): pass log_offset if it differs"
        )
    else:
        call.log_offset = 0.0
        call.evidence.append(
            f"negative values without a repeated floor (lowest {_g(floor)}): plain log2(x), "
            "offset 0"
        )
        call.warnings.append(
            f"log offset could not be read from the data (lowest value {_g(floor)} is not a "
            "repeated floor); assumed plain log2(x) (offset 0): pass log_offset if it differs"
        )


def _natural_log_hint(stats: MatrixStats, call: UnitCall) -> None:
    """Say so when whole-transcriptome values read as log2 un-log to far less than TPM's 1e6.

    ln(TPM + 1) (scanpy, Seurat) read as log2 un-logs to about 50,000-200,000 per sample on
    PredictioR's transcriptomes, log2 TPM to 170,000-960,000: with a median sample below
    150,000, natural logs are the likelier reading (a hint only: the base cannot be told for
    sure; on the nine cohorts no log2 file or sample is flagged, 6 of 9 ln cohorts are).
    """
    if (stats.pow2_sums is None or stats.n_genes < WHOLE_TRANSCRIPTOME_GENES
            or call.log_offset is None):
        return
    linear = stats.pow2_sums - call.log_offset * stats.n_genes
    if not float(np.median(linear)) < 1.5e5:
        return
    note = (
        f"no unit given: read as log2(x + {_g(call.log_offset)}), but un-logged the samples "
        f"sum to only {_g(float(linear.min()))}-{_g(float(linear.max()))} (TPM sums to about "
        "1e6): natural-log values (ln(x + 1), as scanpy and Seurat write)? give linear TPM or "
        "log2 values if so"
    )
    call.warnings.append(note)
    call.loud.append(note)


def _describe(stats: MatrixStats) -> str:
    return (
        f"{stats.n_samples} samples x {stats.n_genes} genes, min {_g(stats.minimum)}, "
        f"max {_g(stats.maximum)}, {stats.n_non_integer / stats.n_values:.1%} non-integer"
    )


def detect_unit(stats: MatrixStats, *, source: str = "<memory>") -> UnitCall:
    """Detect the unit (and log offset) of a matrix from its statistics.

    The rules are listed in the documentation of :mod:`immunescape.io._units`.

    Parameters
    ----------
    stats
        Output of :func:`matrix_stats`.
    source
        File name for messages.

    Returns
    -------
    UnitCall
        The detected unit with its evidence.

    Raises
    ------
    UnitError
        When the values fit no unit (negative values above the log range, all zeros).

    Examples
    --------
    >>> x = np.log2(np.array([[0.0, 10.0, 300.0], [0.0, 4.0, 90.0]]) + 0.001)
    >>> call = detect_unit(matrix_stats(x))
    >>> call.unit, call.log_offset
    ('log2tpm', 0.001)
    """
    # every branch below sets the unit or raises
    call = UnitCall(unit="normalized", unit_given=False, log_offset=None, log_offset_given=False)
    call.evidence.append(_describe(stats))
    if stats.maximum == 0 and stats.minimum == 0:
        raise UnitError(
            "every expression value is 0", source=source, fix="check the file holds the data"
        )
    if stats.n_negative:
        if stats.maximum > LOG_MAX:
            raise UnitError(
                f"{stats.n_negative} negative values with a maximum of {_g(stats.maximum)}: "
                "neither a linear unit (no negatives) nor log2 (max <= 30)",
                source=source,
                fix="give uncentred, unscaled expression (counts, TPM, FPKM or log2 of them)",
            )
        if stats.centred_per_gene:
            raise UnitError(
                f"the values look centred per gene (z-scores or log-ratios), not log2 "
                f"expression: {stats.n_negative / stats.n_values:.0%} are negative and "
                f"{stats.n_centred_genes} of {stats.n_varying_genes} genes have a mean within "
                "half a standard deviation of 0",
                source=source,
                fix="declare unit='zscore' if the values are "
                "centred per gene, or give uncentred expression (counts, TPM or log2 of them)",
            )
        call.unit = "log2tpm"
        call.evidence.append(
            f"{stats.n_negative} negative values and max {_g(stats.maximum)} <= {LOG_MAX:g}: "
            "log2 scale"
        )
        _detect_offset(stats, call)
        _natural_log_hint(stats, call)
        return call
    if stats.all_integer:
        call.unit = "counts"
        call.evidence.append("every value is a non-negative integer: counts")
        if stats.maximum <= LOG_MAX:
            call.warnings.append(
                f"all values are small integers (max {_g(stats.maximum)}): read as counts; "
                "declare the unit if these are rounded log2 values"
            )
        sums = stats.sample_sums
        if stats.n_genes >= FPKM_MIN_GENES and bool(np.all((sums >= 2e5) & (sums <= 1.05e6))):
            # a sequenced library holds millions of reads; whole numbers summing to about a
            # million per sample are TPM (or CPM) rounded to integers
            note = (
                f"no unit given: whole numbers read as counts, but every sample sums to "
                f"{_g(float(sums.min()))}-{_g(float(sums.max()))} (about 1e6, not the millions "
                "of reads of a library): rounded TPM? pass --unit tpm if so"
            )
            call.warnings.append(note)
            call.loud.append(note)
        return call
    if stats.maximum <= LOG_MAX:
        call.unit = "log2tpm"
        call.evidence.append(
            f"non-integer values with max {_g(stats.maximum)} <= {LOG_MAX:g}: log2 scale"
        )
        _detect_offset(stats, call)
        _natural_log_hint(stats, call)
        return call
    sums = stats.sample_sums
    lo, hi = float(sums.min()), float(sums.max())
    if np.all(np.abs(sums - 1e6) <= 1e4):
        call.unit = "tpm"
        call.evidence.append(f"every sample sums to 1e6 (range {_g(lo)}-{_g(hi)}): TPM")
    elif stats.n_genes >= FPKM_MIN_GENES:
        call.unit = "fpkm"
        call.evidence.append(
            f"linear non-integer values, sample sums {_g(lo)}-{_g(hi)} (not 1e6), "
            f"{stats.n_genes} >= {FPKM_MIN_GENES} genes: FPKM-like, rescaled per sample to "
            "1e6 (declare unit='tpm' or 'normalized' otherwise)"
        )
        guess = (
            f"no unit given: linear values whose samples sum to {_g(lo)}-{_g(hi)} (not 1e6) "
            "read as FPKM and rescaled per sample to sum to 1e6; a TPM table with genes left "
            "out also sums below 1e6: pass --unit tpm to keep the values as TPM, or --unit "
            "fpkm to confirm"
        )
        call.warnings.append(guess)
        call.loud.append(guess)
    else:
        call.unit = "normalized"
        call.evidence.append(
            f"linear non-integer values, sample sums {_g(lo)}-{_g(hi)} (not 1e6), only "
            f"{stats.n_genes} < {FPKM_MIN_GENES} genes (a panel): normalized linear values"
        )
    return call


def check_unit(
    stats: MatrixStats,
    unit: Unit | None,
    *,
    log_offset: float | None = None,
    source: str = "<memory>",
) -> UnitCall:
    """Check a declared unit (or detect one) and settle the log offset.

    Parameters
    ----------
    stats
        Output of :func:`matrix_stats`.
    unit
        Declared unit, or None to detect it.
    log_offset
        Declared pseudo-count of log2 data, or None to detect it.
    source
        File name for messages.

    Returns
    -------
    UnitCall
        Unit and offset, with evidence and warnings.

    Raises
    ------
    UnitError
        When the declared unit contradicts the data (rules in the module documentation).
    InputError
        For an unknown unit, a negative offset, or an offset given for a linear unit.

    Examples
    --------
    >>> x = np.array([[1.5, 200.0], [0.0, 37.0]])
    >>> try:
    ...     check_unit(matrix_stats(x), "counts", source="expr.tsv")
    ... except UnitError as err:
    ...     print(err.problem)
    unit 'counts' declared but 1 of 4 values (25.0%) are not integers (e.g. 1.5)
    >>> check_unit(matrix_stats(x), "fpkm").unit
    'fpkm'
    """
    if unit is not None:
        check_choice("unit", unit, Unit)
    if log_offset is not None:
        check_range("log_offset", log_offset, low=0)
        if unit is not None and unit not in LOG_UNITS:
            raise InputError(
                f"log_offset given for the linear unit {unit!r}",
                source=source,
                fix="drop log_offset, or declare unit='log2tpm' or 'log2counts'",
            )
    if unit is None:
        call = detect_unit(stats, source=source)
        if log_offset is not None:
            if call.unit not in LOG_UNITS:
                raise UnitError(
                    f"log_offset={log_offset:g} given but the data are linear (detected "
                    f"{call.unit}: {call.evidence[-1]})",
                    source=source,
                    fix="drop log_offset, or declare the unit explicitly",
                )
            _check_offset(stats, log_offset, source=source)
            call.evidence.append(f"log offset {log_offset:g} given")
            call.log_offset, call.log_offset_given = float(log_offset), True
        return call
    call = UnitCall(unit=unit, unit_given=True, log_offset=None, log_offset_given=False)
    call.evidence.append(_describe(stats))
    call.evidence.append(f"unit {unit!r} declared")
    _check_declared(stats, unit, call, source=source)
    if unit in LOG_UNITS:
        if log_offset is not None:
            _check_offset(stats, log_offset, source=source)
            call.log_offset, call.log_offset_given = float(log_offset), True
            call.evidence.append(f"log offset {log_offset:g} given")
        else:
            _detect_offset(stats, call)
    return call


def _check_offset(stats: MatrixStats, log_offset: float, *, source: str) -> None:
    lowest = np.log2(log_offset) if log_offset > 0 else -np.inf
    if stats.minimum < lowest - _FLOOR_TOL:
        raise UnitError(
            f"log_offset={log_offset:g} given but values go down to {_g(stats.minimum)}, below "
            f"log2({log_offset:g}) = {_g(lowest)}",
            source=source,
            fix=f"give the right offset (the floor suggests {_g(_snap_offset(stats.minimum))}) "
            "or leave log_offset unset to detect it",
        )


def _check_declared(stats: MatrixStats, unit: Unit, call: UnitCall, *, source: str) -> None:
    looks_log = stats.maximum <= LOG_MAX and stats.n_non_integer > 0.5 * stats.n_values
    if unit == "zscore":
        # centred per gene: any sign is valid; only within-gene, within-cohort comparisons hold
        call.warnings.append(
            "zscore declared: values are taken as centred per gene within this cohort; "
            "features needing TPM or within-sample gene comparisons are not computed"
        )
        return
    if unit in LOG_UNITS:
        if stats.maximum > LOG_MAX:
            raise UnitError(
                f"unit {unit!r} declared but values reach {_g(stats.maximum)} (log2 "
                f"expression stays below {LOG_MAX:g})",
                source=source,
                fix="declare the linear unit the data are in (counts, tpm, fpkm, normalized) "
                "or leave unit unset to detect it",
            )
        if stats.centred_per_gene:
            call.warnings.append(
                f"{unit} declared but {stats.n_centred_genes} of {stats.n_varying_genes} genes "
                "have a mean within half a standard deviation of 0: centred per gene? "
                "(declare zscore if so)"
            )
        return
    if stats.n_negative:
        raise UnitError(
            f"unit {unit!r} declared but {stats.n_negative} values are negative (lowest "
            f"{_g(stats.minimum)})",
            source=source,
            fix="declare a log2 unit (log2tpm, log2counts) if the data are logged, or give "
            "uncentred linear values",
        )
    if unit == "counts":
        if stats.n_non_integer:
            share = stats.n_non_integer / stats.n_values
            raise UnitError(
                f"unit 'counts' declared but {stats.n_non_integer} of {stats.n_values} values "
                f"({share:.1%}) are not integers (e.g. {_g(stats.example_non_integer or 0.0)})",
                source=source,
                fix="declare the unit the data are in (tpm, fpkm or normalized for linear "
                "values) or give raw integer counts",
            )
        if stats.maximum <= LOG_MAX:
            call.warnings.append(
                f"counts declared but the largest value is {_g(stats.maximum)}: very shallow "
                "or not counts"
            )
        return
    if looks_log:
        message = (
            f"unit {unit!r} declared but the data look log2-scaled (max {_g(stats.maximum)} "
            f"<= {LOG_MAX:g}, {stats.n_non_integer / stats.n_values:.0%} non-integer)"
        )
        if unit in ("tpm", "fpkm"):
            raise UnitError(
                message,
                source=source,
                fix="declare unit='log2tpm' (and log_offset) or give linear values",
            )
        call.warnings.append(message)
    if unit == "tpm":
        high = stats.sample_sums > 1.01e6
        if high.any():
            call.warnings.append(
                f"tpm declared but {int(high.sum())} samples sum above 1e6 (max "
                f"{_g(float(stats.sample_sums.max()))}); TPM sums to 1e6 per sample"
            )
        if stats.all_integer and stats.maximum > LOG_MAX:
            median = float(np.median(stats.sample_sums))
            if median > TPM_INTEGER_MAX_SUM:
                raise UnitError(
                    f"unit 'tpm' declared but every value is an integer and the samples sum "
                    f"to {float(stats.sample_sums.min()):.3g}-"
                    f"{float(stats.sample_sums.max()):.3g} (median {median:.3g}; TPM sums to "
                    "1e6): these are read counts",
                    source=source,
                    fix="declare unit='counts', or leave the "
                    "unit unset to detect it",
                )
        if stats.all_integer:
            call.warnings.append("tpm declared but every value is an integer: counts?")
