"""The one shape of every analysis result: named tables, the settings used, the warnings.

Each public analysis (``score``, ``call_mechanisms``, ``compare``, ``meta_analyse``,
``predict``, ...) returns a subclass of :class:`Result`. A subclass keeps its own typed
fields and says which of them are its tables (:attr:`Result.table_names`), so every result
can be turned into a DataFrame with :meth:`Result.to_frame` and written with
:meth:`Result.write` in the same way. Provenance lives in ``settings``; nothing is kept in
``DataFrame.attrs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from immunescape.errors import InputError

__all__ = ["Result"]


class Result:
    """Base of every result: ``tables`` (name -> DataFrame), ``settings`` and ``warnings``.

    Subclasses (usually dataclasses) set :attr:`table_names`, the attributes holding their
    tables in output order (the first is the main one), and may override :attr:`settings`
    and :attr:`warnings`.

    Examples
    --------
    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Demo(Result):
    ...     table_names = ("scores",)
    ...     scores: pd.DataFrame
    ...     settings: dict = field(default_factory=dict)
    >>> r = Demo(pd.DataFrame({"sample_id": ["a"], "cyt": [1.5]}), {"unit": "tpm"})
    >>> list(r.tables), r.to_frame().shape, r.settings, r.warnings
    (['scores'], (1, 2), {'unit': 'tpm'}, [])
    """

    table_names: ClassVar[tuple[str, ...]] = ()

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The result's tables by name, in output order (absent or ``None`` ones left out)."""
        out: dict[str, pd.DataFrame] = {}
        for name in self.table_names:
            value = getattr(self, name, None)
            if isinstance(value, pd.DataFrame):
                out[name] = value
        return out

    def __getattr__(self, name: str) -> Any:
        # ``settings`` and ``warnings`` default to empty when a subclass does not define them.
        if name == "settings":
            return {}
        if name == "warnings":
            return []
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def to_frame(self, name: str | None = None) -> pd.DataFrame:
        """Return one table (the main one by default) as a flat DataFrame."""
        tables = self.tables
        if not tables:
            raise InputError(f"{type(self).__name__} holds no table", source="to_frame")
        key = next(iter(tables)) if name is None else name
        if key not in tables:
            raise InputError(
                f"no table {key!r}", source="to_frame", fix="use one of " + ", ".join(tables)
            )
        return tables[key]

    def write(
        self,
        outdir: str | Path,
        *,
        run: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write every table as ``<name>.tsv`` and ``run.json`` (settings, warnings) atomically.

        Uses :func:`immunescape._output.write_outputs`, so an existing directory is replaced
        only when it holds a previous immunescape run and none of the inputs.
        """
        from immunescape._output import write_outputs

        doc = {"settings": dict(self.settings), "warnings": list(self.warnings), **dict(run or {})}
        return write_outputs(
            outdir, tables={f"{k}.tsv": v for k, v in self.tables.items()}, run=doc
        )
