"""One reading of numeric cells for every genomic table: numbers, missing values, the rest.

A cell is *missing* when it is empty/NaN or one of :data:`MISSING_VALUES` (the shipped list in
``genomics/data/maf_vocabulary.yaml``: ``""``, ``NA``, ``N/A``, ``NaN``, ``NULL``, ``None``,
``.``, ``-``), compared after trimming spaces and in any letter case; it is a *number* when
:func:`pandas.to_numeric` reads it; anything else is *bad*, and the reader refuses the file
with one :class:`~immunescape.errors.InputError` naming the column and the first bad values.
MAF, segment, gene-level copy-number, cBioPortal, HLA LOH, gene-coordinate and TMB readers all
go through :func:`parse_numeric`, so one file reads the same whichever reader takes it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from immunescape.genomics._variant_classes import MISSING_VALUES

__all__ = ["MISSING_VALUES", "NumericColumn", "missing_mask", "parse_numeric"]

#: The missing-value tokens upper-cased, as compared.
MISSING_UPPER: frozenset[str] = frozenset(v.strip().upper() for v in MISSING_VALUES)
_INTEGER = r"^-?[0-9]+$"


class NumericColumn(NamedTuple):
    """A parsed column: the numbers, which cells are bad, and the first bad values.

    Attributes
    ----------
    numbers
        Float values, NaN where the cell is missing or bad (same index as the input).
    bad
        Boolean mask of the cells that are neither a number nor a missing value.
    examples
        Up to three distinct bad cells (trimmed), in order of first appearance.
    """

    numbers: pd.Series
    bad: pd.Series
    examples: tuple[str, ...]

    def shown(self) -> str:
        """Return the bad examples for a message, e.g. ``'abc', 'x1'``."""
        return ", ".join(repr(e) for e in self.examples)


def _text(values: pd.Series) -> tuple[object, np.ndarray]:
    """Return the trimmed cells as an Arrow string array and the missing mask."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        # numbers and text mixed in one column (a DataFrame built in memory): each cell's text
        arr = pa.array(values.astype("string").to_numpy(dtype=object, na_value=None),
                       type=pa.string())  # fmt: skip
    text = pc.utf8_trim_whitespace(arr)
    token = pc.is_in(pc.utf8_upper(text), value_set=pa.array(sorted(MISSING_UPPER)))
    missing = pc.fill_null(pc.or_kleene(pc.is_null(text), token), True)
    return text, missing.to_numpy(zero_copy_only=False).astype(bool)


def missing_mask(values: pd.Series) -> np.ndarray:
    """Return True where a cell is missing (NaN/None or a missing-value token).

    Examples
    --------
    >>> import pandas as pd
    >>> missing_mask(pd.Series(["1", " na ", ".", "-", None, "x", "", "N/A"])).tolist()
    [False, True, True, True, True, False, True, True]
    """
    if is_numeric_dtype(values.dtype) or is_bool_dtype(values.dtype):
        return np.asarray(pd.isna(values), dtype=bool)
    return _text(values)[1]


def parse_numeric(values: pd.Series) -> NumericColumn:
    """Read a numeric column of a genomic table with the shared missing-value vocabulary.

    Parameters
    ----------
    values
        The column as read (text, numbers, or both).

    Returns
    -------
    NumericColumn
        The numbers (float, NaN where missing or bad), the mask of bad cells (neither a
        number nor missing) and up to three of them, so the caller can refuse the file with
        one message naming the column and the values.

    Examples
    --------
    >>> import pandas as pd
    >>> col = parse_numeric(pd.Series(["1", "NA", ".", " 2.5 ", "", "abc", "nan", "1,0"]))
    >>> col.numbers.tolist()
    [1.0, nan, nan, 2.5, nan, nan, nan, nan]
    >>> col.bad.tolist()
    [False, False, False, False, False, True, False, True]
    >>> col.shown()
    "'abc', '1,0'"
    """
    index = values.index
    if is_numeric_dtype(values.dtype) or is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return NumericColumn(pd.Series(numbers, index=index),
                             pd.Series(False, index=index), ())  # fmt: skip
    import pyarrow as pa
    import pyarrow.compute as pc

    text, missing = _text(values)
    given = pc.if_else(pa.array(missing), pa.scalar(None, type=pa.string()), text)
    numbers = None
    if pc.all(pc.fill_null(pc.match_substring_regex(given, _INTEGER), True)).as_py():
        # whole numbers only: Arrow casts the column in one pass (large cohort MAFs); the
        # pattern keeps out what Arrow alone would also take (0x1F) and pandas would not
        try:
            numbers = pc.cast(given, pa.int64()).to_numpy(zero_copy_only=False).astype(float)
        except (pa.ArrowInvalid, OverflowError):  # beyond int64: pandas reads it as a float
            numbers = None
    if numbers is None:
        cells = pd.Series(given.to_numpy(zero_copy_only=False), dtype=object)
        numbers = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~missing & np.isnan(numbers)
    examples: tuple[str, ...] = ()
    if bad.any():
        shown = pd.unique(given.to_numpy(zero_copy_only=False)[bad])[:3]
        examples = tuple(str(e) for e in shown)
    return NumericColumn(pd.Series(numbers, index=index), pd.Series(bad, index=index), examples)
