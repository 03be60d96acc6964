"""Cohorts beyond one machine's memory: chunked inputs scored on Dask.

:func:`open_chunked` opens a Zarr store, a backed ``.h5ad`` file or a directory of parquet
files as a :class:`ChunkedExpression` (a row-chunked :mod:`dask.array`);
:func:`score_chunked` scores it block by block on a :mod:`distributed` cluster, in two
streamed passes (cohort statistics, then scores), and returns or writes scores equal to the
in-memory :func:`immunescape.score` (see :mod:`immunescape.scale._engine`).

Runs on ``dask[array,distributed]`` and ``zarr``, which are dependencies of immunescape.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from immunescape.scale import ChunkedExpression, score_chunked
>>> rng = np.random.default_rng(0)
>>> X = rng.gamma(2.0, 20.0, size=(40, 3)).astype("float32")
>>> expr = ChunkedExpression.from_array(X, [f"s{i}" for i in range(40)],
...                                     ["GZMA", "PRF1", "CD8A"], unit="tpm", block_rows=16)
>>> res = score_chunked(expr, signatures=["cyt"], scheduler="synchronous")
>>> res.scores.shape
(40, 1)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from immunescape.scale._io import ChunkedExpression, is_chunked_path, open_chunked, require_dask

__all__ = [
    "ChunkedExpression",
    "open_chunked",
    "is_chunked_path",
    "score_chunked",
    "dask_client",
]


@contextlib.contextmanager
def dask_client(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    processes: bool = True,
) -> Iterator[Any]:
    """Yield a :class:`distributed.Client` on ``scheduler``, else on a new local cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``), e.g. one started by
        ``dask-jobqueue`` or ``dask-kubernetes``; workers must see the input and output paths.
    workers
        Local workers (default: one per core); one thread each.
    memory_limit
        Memory limit per local worker (``"2GB"``); Dask spills and pauses above it.
    processes
        Local workers as processes (default) or threads of this process.
    """
    require_dask()
    from distributed import Client, LocalCluster

    from immunescape.errors import InputError

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"cannot connect to the Dask scheduler ({exc.__class__.__name__})",
                source=scheduler,
                fix="check the address (tcp://HOST:PORT) and that the scheduler is running",
            ) from None
        with client:
            yield client
        return
    try:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, memory_limit=memory_limit or "auto",
            processes=processes, dashboard_address=None,
        )
    except ValueError as exc:
        raise InputError(
            f"cannot start the local Dask cluster ({exc})",
            source="--memory-limit",
            fix="give a size such as 2GB",
        ) from None
    with cluster, Client(cluster) as client:
        yield client


def score_chunked(
    expr: ChunkedExpression,
    *,
    signatures: Any = None,
    min_coverage: float | None = None,
    min_cohort_size: int = 10,
    seed: int = 0,
    scheduler: Any = None,
    parts_dir: str | Path | None = None,
) -> Any:
    """Score signatures on a chunked cohort, as :func:`immunescape.score` does in memory.

    Parameters
    ----------
    expr
        The cohort (:func:`open_chunked` or :meth:`ChunkedExpression.from_array`).
    signatures, min_coverage, min_cohort_size, seed
        As :func:`immunescape.score`. Cohort-relative scores use the whole chunked cohort.
    scheduler
        A :class:`distributed.Client`, a Dask scheduler name (``"threads"``,
        ``"synchronous"``) or None (the active client if any, else Dask's default).
    parts_dir
        Write the scores as one parquet file per block into this existing directory
        instead of returning them.

    Returns
    -------
    ScoreResult
        With ``parts_dir``, ``scores`` is empty (the rows are in the parquet files).
    """
    require_dask()
    import dask
    import pandas as pd

    from immunescape.scale._engine import plan_scores, score_blocks, score_result
    from immunescape.signatures.runner import ScoreResult

    plan = plan_scores(
        expr.genes, expr.shape[0], unit=expr.unit, log_offset=expr.log_offset,
        signatures=signatures, min_coverage=min_coverage, min_cohort_size=min_cohort_size,
        seed=seed,
    )
    client = scheduler if hasattr(scheduler, "gather") else None
    with dask.config.set(scheduler=scheduler) if isinstance(scheduler, str) else (
        contextlib.nullcontext()
    ):
        _, out = score_blocks(expr, plan, client=client, parts_dir=parts_dir)
    result = score_result(plan, out if isinstance(out, pd.DataFrame) else pd.DataFrame())
    result.conversions = _conversions(expr, plan)
    return ScoreResult(result.scores, result.features, result.warnings, result.conversions)


def _conversions(expr: ChunkedExpression, plan: Any) -> list[str]:
    import pandas as pd

    from immunescape.expression import Expression

    dummy = Expression(pd.DataFrame([[1.0]], columns=["X"]), unit=expr.unit,
                       log_offset=expr.log_offset)
    units = set(plan.features.loc[plan.features["status"] == "scored", "unit"])
    notes = {dummy.conversion_note(u) for u in units}
    return sorted(n for n in notes if n)
