"""Which identifiers are genes: orientation, the identifier column, duplicate symbols.

The rules are described in :mod:`immunescape.io._expression`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from immunescape._vocab import GenesIn
from immunescape.errors import InputError
from immunescape.io._grid import Grid
from immunescape.io._report import InputReport

__all__ = [
    "GenesIn", "collapse", "drop_row_numbers", "orientation", "refuse_transcripts", "resolve_genes",
]

_DETECT_SAMPLE = 2000

#: Transcript identifiers: Ensembl (ENST...) and RefSeq (NM_/NR_/XM_/XR_), alone or leading a
#: GENCODE FASTA header (``ENST...|ENSG...|...|name|length|biotype|``).
_TRANSCRIPT_ID = re.compile(r"\s*(ENST\d|[NX][MR]_\d)", re.IGNORECASE)


def refuse_transcripts(ids: Sequence[Any], source: str) -> None:
    """Refuse identifiers most of which name transcripts, not genes.

    A transcript-level quantification (Salmon ``quant.sf``, kallisto ``abundance.tsv``, RSEM
    ``isoforms.results``) holds several rows per gene whose values must be summed, which
    collapsing duplicate genes (one row kept) does not do; a GENCODE header's length field
    would even be read as an Entrez id. So it is refused, naming the gene-level outputs.

    Examples
    --------
    >>> refuse_transcripts(["CD274", "ENSG00000120217.14"], "x.tsv")  # genes: nothing raised
    >>> try:
    ...     refuse_transcripts(["ENST00000381577.4|ENSG00000120217.14|CD274|3634|"], "q.sf")
    ... except InputError as exc:
    ...     print(str(exc).split(" (")[0])
    q.sf: 1 of 1 identifiers are transcripts
    """
    given = [str(v) for v in ids if v is not None and str(v).strip()]
    found = [v for v in given if _TRANSCRIPT_ID.match(v)]
    if given and len(found) * 2 > len(given):
        raise InputError(
            f"{len(found)} of {len(given)} identifiers are transcripts ({found[0]!r}), not genes",
            source=source,
            fix="give gene-level values: Salmon's quant.genes.sf (salmon quant -g), RSEM's "
            "genes.results, or transcripts summed per gene (tximport)",
        )


def _resolve(ids: Sequence[Any]) -> pd.DataFrame:
    """Resolve identifiers with the gene resolver; a table with input/symbol/status/..."""
    from immunescape.genes import resolve_identifiers

    # missing identifiers become "" (the resolver reads it as missing: unresolved)
    clean = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in ids]
    table = resolve_identifiers(clean).table
    if "case_insensitive" not in table.columns:
        table = table.assign(case_insensitive=False)
    return table.reset_index(drop=True)


def _strict_hits(table: pd.DataFrame) -> int:
    ok = table["symbol"].notna() & ~table["case_insensitive"].astype(bool)
    return int(ok.sum())


def _sampled(ids: list[Any]) -> list[Any]:
    if len(ids) <= _DETECT_SAMPLE:
        return ids
    picks = np.linspace(0, len(ids) - 1, _DETECT_SAMPLE).round().astype(int)
    return [ids[i] for i in picks]


def _axis_rate(candidates: dict[str, list[Any]]) -> tuple[float, str, int, int]:
    """Best strict resolution rate over the candidate columns of one axis."""
    best = (0.0, next(iter(candidates)), 0, 0)
    for name, ids in candidates.items():
        sample = _sampled(ids)
        if not sample:
            continue
        hits = _strict_hits(_resolve(sample))
        rate = hits / len(sample)
        if rate > best[0]:
            best = (rate, name, hits, len(sample))
        elif best[3] == 0:
            best = (rate, name, hits, len(sample))
    return best


def row_numbers(ids: Sequence[Any]) -> bool:
    """Tell whether a column holds row numbers rather than identifiers.

    Row numbers are integers counting up from 0 (a pandas index written by ``to_csv``, also
    after rows were filtered out: 0 is no Entrez id) or exactly 1, 2, ..., n (R row names,
    spreadsheet numbering), at least 3 values.

    Examples
    --------
    >>> row_numbers(["0", "1", "2", "5"]), row_numbers(["1", "2", "3"])
    (True, True)
    >>> row_numbers(["1", "2", "9"]), row_numbers(["7157", "29126", "3458"])
    (False, False)
    """
    texts = ["" if v is None else str(v).strip() for v in ids]
    if len(texts) < 3 or not all(t.isascii() and t.isdigit() for t in texts):
        return False
    numbers = np.array([int(t) for t in texts])
    if numbers[0] == 0:
        return bool((np.diff(numbers) > 0).all())
    return bool(np.array_equal(numbers, np.arange(1, len(numbers) + 1)))


def drop_row_numbers(
    candidates: dict[str, list[Any]], source: str
) -> tuple[dict[str, list[Any]], list[str]]:
    """Remove candidate identifier columns that hold row numbers; return the rest and them.

    Raises
    ------
    InputError
        If every candidate column holds row numbers (no gene identifiers at all).
    """
    numbered = [name for name, ids in candidates.items() if row_numbers(ids)]
    if not numbered:
        return candidates, []
    kept = {name: ids for name, ids in candidates.items() if name not in numbered}
    if not kept:
        raise InputError(
            f"the identifiers in {numbered[0]!r} are row numbers "
            f"({', '.join(str(v) for v in candidates[numbered[0]][:3])}, ...), not gene ids",
            source=source,
            fix="write the gene identifiers as the first column (pandas: "
            "df.set_index('gene').to_csv(...), or to_csv(index=False) with a gene column)",
        )
    return kept, numbered


def _id_columns(candidates: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Candidate identifier columns of one axis, row-number columns left out."""
    kept = {name: ids for name, ids in candidates.items() if not row_numbers(ids)}
    return kept or {next(iter(candidates)): []}


def orientation(grid: Grid, genes_in: GenesIn | None, source: str) -> tuple[GenesIn, str]:
    rows = _id_columns({grid.row_label: grid.row_ids, **grid.row_annot})
    cols = _id_columns({"<column names>": grid.col_ids, **grid.col_annot})
    r_rate, r_name, r_hits, r_n = _axis_rate(rows)
    c_rate, c_name, c_hits, c_n = _axis_rate(cols)
    evidence = (
        f"row identifiers ({r_name!r}): {r_hits} of {r_n} checked are genes ({r_rate:.1%}); "
        f"column identifiers ({c_name}): {c_hits} of {c_n} ({c_rate:.1%})"
    )
    if genes_in is not None:
        _check_given(genes_in, (r_rate, r_hits, r_n), (c_rate, c_hits, c_n), source)
        return genes_in, f"given as genes_in={genes_in!r}; {evidence}"
    if r_rate == 0 and c_rate == 0:
        return "rows", evidence  # the no-gene error is raised after resolution, with details
    chosen: GenesIn = "rows" if r_rate >= c_rate else "columns"
    return chosen, f"detected: {evidence}; genes in {chosen}"


#: A declared orientation is refused when at most this share of its identifiers are genes
#: while at least half of the other axis's are.
_GIVEN_AXIS_MAX_RATE = 0.2


def _check_given(
    genes_in: GenesIn,
    rows: tuple[float, int, int],
    cols: tuple[float, int, int],
    source: str,
) -> None:
    """Refuse a declared orientation whose axis holds almost no genes while the other does."""
    given, other = (rows, cols) if genes_in == "rows" else (cols, rows)
    if given[0] > _GIVEN_AXIS_MAX_RATE or other[0] < 0.5:
        return
    right: GenesIn = "columns" if genes_in == "rows" else "rows"
    where = {"rows": "row identifiers (first column)", "columns": "column names (header)"}
    raise InputError(
        f"genes_in={genes_in!r} given but only {given[1]} of {given[2]} {where[genes_in]} are "
        f"genes, while {other[1]} of {other[2]} {where[right]} checked are: the genes are in "
        f"the {right}",
        source=source,
        fix=f"give genes_in={right!r}, or leave it unset to detect it",
    )


@dataclass
class _Genes:
    table: pd.DataFrame  # per gene: input, symbol, status, candidates, case_insensitive, via
    id_column: str
    fallbacks: list[str]
    n_by_fallback: int


def resolve_genes(candidates: dict[str, list[Any]], source: str) -> _Genes:
    tables = {name: _resolve(ids) for name, ids in candidates.items()}
    names = list(candidates)
    order = sorted(tables, key=lambda n: (-_strict_hits(tables[n]), names.index(n)))
    first = names[0]
    if _strict_hits(tables[first]) >= 0.5 * len(tables[first]):
        order = [first] + [n for n in order if n != first]
    primary = order[0]
    columns = ("symbol", "status", "candidates", "case_insensitive")
    arrays = {c: tables[primary][c].to_numpy(dtype=object).copy() for c in columns}
    via = np.full(len(arrays["symbol"]), primary, dtype=object)
    fallbacks = [n for n in order[1:] if tables[n]["symbol"].notna().any()]
    n_fallback = 0
    for name in fallbacks:
        other = {c: tables[name][c].to_numpy(dtype=object) for c in columns}
        todo = pd.isna(arrays["symbol"]) & ~pd.isna(other["symbol"])
        if not todo.any():
            continue
        for c in columns:
            arrays[c][todo] = other[c][todo]
        via[todo] = name
        n_fallback += int(todo.sum())
    table = pd.DataFrame(
        {
            # the identifier shown is the one in the primary identifier column
            "input": [str(v) if v is not None else "" for v in candidates[primary]],
            "symbol": arrays["symbol"],
            "status": arrays["status"],
            "candidates": arrays["candidates"],
            "case_insensitive": arrays["case_insensitive"].astype(bool),
            "via": via,
        }
    )
    table.loc[table["symbol"].isna(), "symbol"] = None
    return _Genes(table, primary, list(fallbacks), n_fallback)


def collapse(X: Any, table: pd.DataFrame, report: InputReport) -> np.ndarray:
    """Return the column positions kept, one per current symbol (rule in the module docs).

    ``X`` is the samples x identifiers matrix (numpy, or a dask array: only the columns of
    identifiers sharing a symbol are read, for their mean expression).
    """
    resolved = np.flatnonzero(table["symbol"].notna().to_numpy())
    symbols = table["symbol"].to_numpy()[resolved].astype(str)
    is_symbol = table["status"].to_numpy()[resolved] == "symbol"
    folded = table["case_insensitive"].to_numpy(dtype=bool)[resolved]
    # exact current symbol, then current symbol in another case, then any other rule
    rank = np.where(is_symbol & ~folded, 0, np.where(is_symbol, 1, 2))
    dup_mask = pd.Series(symbols).duplicated(keep=False).to_numpy()
    means = np.zeros(len(resolved))
    if dup_mask.any():
        cols = resolved[dup_mask]
        # np.asarray: X may be a lazy (dask) array, of which only these columns are read
        means[dup_mask] = np.asarray(X[:, cols].mean(axis=0, dtype=np.float64))
    codes, _ = pd.factorize(symbols)
    order = np.lexsort((resolved, -means, rank, codes))
    first = np.ones(len(order), dtype=bool)
    first[1:] = codes[order][1:] != codes[order][:-1]
    kept = resolved[order[first]]
    inputs = table["input"].to_numpy()
    if dup_mask.any():
        groups: dict[str, list[int]] = {}
        for k in order:  # sorted: kept first within each symbol
            if dup_mask[k]:
                groups.setdefault(symbols[k], []).append(k)
        for symbol, members in groups.items():
            kept_rank = rank[members[0]]
            dropped_ranks = {int(rank[m]) for m in members[1:]}
            match = "exact symbol match" if kept_rank == 0 else "symbol match in another case"
            if dropped_ranks == {kept_rank}:
                rule = "highest mean expression"
            elif kept_rank not in dropped_ranks:
                rule = match
            else:
                rule = f"{match}, then highest mean expression"
            report.collapsed[symbol] = {
                "kept": str(inputs[resolved[members[0]]]),
                "dropped": [str(inputs[resolved[m]]) for m in members[1:]],
                "rule": rule,
            }
        n_dropped = sum(len(v["dropped"]) for v in report.collapsed.values())
        report.warnings.append(
            f"rows mapping to a gene already present, dropped: {n_dropped} (for "
            f"{len(report.collapsed)} genes; listed under 'collapsed')"
        )
    return np.sort(kept)
