"""Fixtures of the reader tests: gene symbols, error checks, untouched-input checks."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from immunescape.errors import InputError


@pytest.fixture(scope="session")
def many_symbols() -> list[str]:
    """6,000 current protein-coding symbols from the vendored gene table."""
    from immunescape.genes import gene_table

    table = gene_table()
    coding = table[table["type"].astype(str).str.contains("protein")]["symbol"]
    symbols = [s for s in coding.drop_duplicates().tolist() if s][:6000]
    if len(symbols) < 6000:
        pytest.skip("gene table has fewer than 6,000 protein-coding symbols")
    return symbols


def _fingerprint(path: Path) -> tuple[str, int] | None:
    if not path.exists() or path.is_dir():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns


@contextlib.contextmanager
def _unchanged(path: Path) -> Iterator[None]:
    before = _fingerprint(Path(path))
    yield
    assert _fingerprint(Path(path)) == before, f"{path} was modified"


@pytest.fixture
def unchanged() -> Callable[[Path], contextlib.AbstractContextManager[None]]:
    """Context manager asserting a file's bytes and mtime are the same afterwards."""
    return _unchanged


def _check_message(err: InputError, path: Path | str, *words: str) -> str:
    message = str(err)
    assert "\n" not in message and "\r" not in message, message
    assert str(path) in message, message
    assert "fix:" in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


@pytest.fixture
def raises_input_error(
    unchanged: Callable[[Path], contextlib.AbstractContextManager[None]],
) -> Callable[..., str]:
    """Call ``fn``; check it raises a one-line InputError naming ``path`` with a fix."""

    def check(
        fn: Callable[[], object],
        path: Path | str,
        *words: str,
        kind: type[InputError] = InputError,
    ) -> str:
        with unchanged(Path(path)), pytest.raises(kind) as info:
            fn()
        return _check_message(info.value, path, *words)

    return check


@pytest.fixture
def raises_option_error() -> Callable[..., str]:
    """Call ``fn``; check it raises a one-line InputError naming the option, with a fix."""

    def check(fn: Callable[[], object], option: str, *words: str) -> str:
        with pytest.raises(InputError) as info:
            fn()
        assert info.value.source == option, str(info.value)
        return _check_message(info.value, option, *words)

    return check
