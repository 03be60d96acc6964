"""``immunescape score``: signature and pathway scores of an expression matrix."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from immunescape._validate import check_range
from immunescape._vocab import Unit
from immunescape.cli._common import argv, split_list
from immunescape.cli._options import (
    GenesInOption,
    LayerOption,
    OutputDirOption,
    SignaturesOption,
    UnitOption,
)
from immunescape.errors import InputError


def score_cmd(
    expr: Annotated[
        Path, typer.Argument(help="Expression matrix: TSV/CSV (.gz), parquet or h5ad.")
    ],
    output: OutputDirOption,
    unit: UnitOption = None,
    layer: LayerOption = None,
    genes_in: GenesInOption = None,
    log_offset: Annotated[
        float | None, typer.Option(help="Pseudo-count of log units (default: detected).")
    ] = None,
    signatures: SignaturesOption = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated signature ids to score (default: all).")
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(help="Reference cohort matrix for cohort-relative scores (e.g. one patient)."),
    ] = None,
    min_coverage: Annotated[
        float | None, typer.Option(help="Override every signature's minimum gene coverage (0-1).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for random background gene sets.")] = 0,
    workers: Annotated[
        int | None,
        typer.Option(help="Chunked inputs: local Dask workers (default: one per core)."),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option("--memory-limit", help="Chunked inputs: memory limit per local worker, "
                     "e.g. 2GB."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Chunked inputs: address of a running Dask scheduler "
                     "(tcp://HOST:PORT) instead of a local cluster."),
    ] = None,
    block_rows: Annotated[
        int | None,
        typer.Option("--block-rows", help="Chunked inputs: samples per block "
                     "(default: about 64 MB per block)."),
    ] = None,
) -> None:
    """Score every registry signature and PROGENy pathway on an expression matrix.

    Writes scores.tsv, features.tsv, input_report.json and run.json into OUTPUT.

    Chunked inputs too large for memory (a .zarr store or a directory of .parquet files;
    an .h5ad file with any Dask option) are scored on Dask and the scores written as
    scores.parquet/ (one file per block).
    """
    from immunescape.cli._common import write_outputs
    from immunescape.pipeline import run_pipeline
    from immunescape.scale._io import is_chunked_path

    if min_coverage is not None:
        check_range("--min-coverage", min_coverage, low=0, high=1, low_open=True)
    dask_options = (workers, memory_limit, scheduler, block_rows)
    if any(o is not None for o in dask_options) or is_chunked_path(expr):
        if genes_in == "rows":
            raise InputError("chunked inputs hold samples in rows and genes in columns",
                             source=str(expr), fix="drop --genes-in rows (or transpose)")
        return _score_chunked(
            expr, output, unit=unit, log_offset=log_offset, signatures=signatures, only=only,
            reference=reference, min_coverage=min_coverage, seed=seed, workers=workers,
            memory_limit=memory_limit, scheduler=scheduler, block_rows=block_rows, layer=layer,
        )
    result = run_pipeline(
        expr=expr, unit=unit, genes_in=genes_in, log_offset=log_offset, reference=reference,
        layer=layer,
        signature_files=list(signatures or []), seed=seed, min_coverage=min_coverage,
        only=split_list(only) or None, until="score",
    )
    features = result.tables["features.tsv"]
    write_outputs(
        output,
        tables={"scores.tsv": result.tables["scores.tsv"], "features.tsv": features},
        documents=result.documents,
        run={
            "command": argv(),
            "parameters": {
                "unit": unit,
                "layer": layer,
                "genes_in": genes_in,
                "log_offset": log_offset,
                "signature_files": [str(p) for p in signatures or []],
                "only": only,
                "reference": str(reference) if reference else None,
                "min_coverage": min_coverage,
                "seed": seed,
            },
            "input": result.run["inputs"]["expression"],
            "conversions": result.run["inputs"]["expression"]["conversions"],
            "warnings": result.run["warnings"],
        },
    )
    n_ok = int((features["status"] == "scored").sum())
    typer.echo(
        f"scored {n_ok}/{len(features)} features on {result.expression.shape[0]} samples "
        f"-> {output}"
    )


def _score_chunked(
    expr: Path, output: Path, *, unit: Unit | None, log_offset: float | None,
    signatures: list[Path] | None, only: str | None, reference: Path | None,
    min_coverage: float | None, seed: int, workers: int | None, memory_limit: str | None,
    scheduler: str | None, block_rows: int | None, layer: str | None = None,
) -> None:
    """``immunescape score`` on a chunked input, on Dask (see :mod:`immunescape.scale`)."""
    from immunescape.cli._common import write_outputs
    from immunescape.scale import dask_client, open_chunked, score_chunked
    from immunescape.signatures.registry import load_registry
    from immunescape.tables import write_tsv

    if reference is not None:
        raise InputError("--reference is not available with chunked inputs",
                         fix="cohort-relative scores use the whole chunked cohort")
    if workers is not None:
        check_range("--workers", workers, low=1, integer=True)
    if block_rows is not None:
        check_range("--block-rows", block_rows, low=1, integer=True)
    if scheduler is not None and (workers is not None or memory_limit is not None):
        raise InputError("--workers and --memory-limit set up a local cluster; "
                         "with --scheduler the cluster's own workers are used")
    chunked = open_chunked(expr, unit=unit, log_offset=log_offset, block_rows=block_rows,
                           layer=layer)
    registry = load_registry([str(p) for p in signatures or []])
    if only:
        registry = registry.select(split_list(only))
    holder: dict[str, Any] = {}

    def write_scores(directory: Path) -> None:
        parts = directory / "scores.parquet"
        parts.mkdir()
        with dask_client(scheduler=scheduler, workers=workers,
                         memory_limit=memory_limit) as client, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            holder["result"] = score_chunked(
                chunked, signatures=registry, min_coverage=min_coverage, seed=seed,
                scheduler=client, parts_dir=parts,
            )
            holder["workers"] = len(client.scheduler_info().get("workers", {}))

    run_doc: dict[str, Any] = {
        "command": argv(),
        "parameters": {
            "unit": unit, "layer": layer, "log_offset": log_offset, "only": only, "seed": seed,
            "signature_files": [str(p) for p in signatures or []],
            "min_coverage": min_coverage, "workers": workers, "memory_limit": memory_limit,
            "scheduler": scheduler, "block_rows": block_rows,
        },
        "engine": "dask",
        "input": {
            "expression": str(expr), "unit": chunked.unit, "log_offset": chunked.log_offset,
            "notes": chunked.notes, "n_samples": chunked.shape[0],
            "n_genes": chunked.shape[1], "blocks": len(chunked.row_blocks),
        },
        "output": {"scores": "scores.parquet/part-*.parquet (one per block; index sample_id)"},
    }

    def write_tables(directory: Path) -> None:  # after the scores: completes run.json too
        result = holder["result"]
        write_tsv(result.features.set_index("id"), directory / "features.tsv")
        run_doc["dask"] = {"workers": holder["workers"]}
        run_doc["conversions"] = result.conversions
        run_doc["warnings"] = input_warnings + result.warnings

    # the workers write the scores into the output's temporary directory (on a real
    # cluster, a file system every worker sees)
    report = chunked.report.to_dict() if chunked.report is not None else {}
    input_warnings = list(report.get("warnings", []))
    write_outputs(output, tables={}, documents={"input_report.json": report} if report else None,
                  writers=[write_scores, write_tables], run=run_doc)
    result = holder["result"]
    n_ok = int((result.features["status"] == "scored").sum())
    typer.echo(f"scored {n_ok}/{len(result.features)} features on {chunked.shape[0]} samples "
               f"in {len(chunked.row_blocks)} blocks -> {output}/scores.parquet")
