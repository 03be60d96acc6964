"""The one helper for checking options of public functions (one message shape everywhere).

Options with a fixed set of values are typed with :data:`typing.Literal` and checked with
:func:`check_choice` (which reads the allowed values from the ``Literal``); numeric options
with :func:`check_range`. Both raise :class:`~immunescape.errors.InputError` naming the option,
the bad value and the allowed ones, which the command-line interface reports as one line
with exit code 2 (with the option spelled as on the command line).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, TypeVar, get_args

from immunescape.errors import InputError

__all__ = ["check_choice", "check_range"]

T = TypeVar("T")


def check_choice(name: str, value: T, allowed: Any) -> T:
    """Return ``value`` if it is one of ``allowed``; otherwise raise one clear InputError.

    Parameters
    ----------
    name
        The option's name as the public function spells it (e.g. ``"on_missing"``).
    value
        The value given.
    allowed
        A ``typing.Literal`` type or an iterable of the allowed values.

    Examples
    --------
    >>> from typing import Literal
    >>> check_choice("on_missing", "drop", Literal["error", "drop"])
    'drop'
    >>> check_choice("on_missing", "skip", Literal["error", "drop"])
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: on_missing: unknown value 'skip'; fix: use one of 'error', 'drop'
    """
    choices = get_args(allowed) or tuple(allowed if isinstance(allowed, Iterable) else ())
    if value not in choices:
        raise InputError(
            f"unknown value {value!r}",
            source=name,
            fix="use one of " + ", ".join(repr(c) for c in choices),
        )
    return value


def check_range(
    name: str,
    value: float,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> float:
    """Return ``value`` if it is a finite number within the bounds; otherwise raise InputError.

    Parameters
    ----------
    name
        The option's name.
    value
        The value given.
    low, high
        Bounds (``None``: unbounded); closed unless ``low_open``/``high_open``.
    integer
        The value must be a whole number.

    Examples
    --------
    >>> check_range("alpha", 0.05, low=0, high=1, low_open=True, high_open=True)
    0.05
    >>> check_range("n_boot", 0, low=1, integer=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    immunescape.errors.InputError: n_boot: must be a whole number >= 1, got 0; fix: ...
    """
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high:g}")
    kind = "a whole number" if integer else "a number"
    want = f"must be {kind}" + (" " + " and ".join(bounds) if bounds else "")
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise InputError(f"{want}, got {value!r}", source=name, fix="give a value in range")
    return value
