"""registry_ids: the registry's ids without building PROGENy (used by the KB at start-up)."""

from __future__ import annotations

import pytest

from immunescape.errors import InputError
from immunescape.signatures.registry import load_registry, registry_ids


def test_registry_ids_equal_the_loaded_registry(tmp_path):
    assert registry_ids() == load_registry().ids
    gmt = tmp_path / "sets.gmt"
    gmt.write_text("MY SET\tdesc\tGZMA\tPRF1\n")
    assert registry_ids([gmt]) == load_registry([gmt]).ids


def test_registry_ids_refuse_a_duplicate_id(tmp_path):
    gmt = tmp_path / "dup.gmt"
    gmt.write_text("cyt\tdesc\tGZMA\tPRF1\n")
    with pytest.raises(InputError, match="already exists"):
        registry_ids([gmt])
    with pytest.raises(InputError, match="already exists"):
        load_registry([gmt])
