"""Native thread pools around many small optimisations.

SciPy's L-BFGS-B (C since SciPy 1.15) solves each small problem with BLAS calls whose thread
start-up and synchronisation can cost more than the arithmetic, worst when other processes
hold the cores (SciPy issues 22438 and 23191). PyDESeq2 fits two one-parameter dispersion
problems per gene with it. On the 118 Riaz 2017 read-count samples (1,500-3,000 genes, two
cores, ``benchmarks/bench_deseq_threads.py``) one BLAS thread was 1.2x faster on a quiet
machine and 5-12x faster while other jobs ran, with identical p-values.
:func:`one_native_thread` limits the BLAS and OpenMP pools for the duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_native_thread() -> Iterator[None]:
    """Run the block with one BLAS/OpenMP thread (restored afterwards).

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> with one_native_thread():
    ...     all(p["num_threads"] == 1 for p in threadpool_info())
    True
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
