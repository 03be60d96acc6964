"""Command-line interface: a thin layer over the public Python API.

Exit codes: 0 success, 2 bad input or usage (one line: which file, what is wrong, how to fix
it), 1 internal error.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from immunescape._logging import logger
from immunescape.errors import ImmunescapeError, InputError

app = typer.Typer(
    name="immunescape",
    help="Immune-checkpoint-blockade resistance mechanisms from tumour DNA and RNA.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
signatures_app = typer.Typer(help="Inspect the signature registry.", no_args_is_help=True)
app.add_typer(signatures_app, name="signatures")

UNIT_HELP = (
    "Expression unit: counts, tpm, fpkm, log2tpm, log2counts or normalized "
    "(default: detected from the data and reported)."
)


def _argv() -> list[str]:
    return ["immunescape", *sys.argv[1:]]


def _score_step(expr: Any, *, signature_files: list[Path], only: str | None,
                min_coverage: float | None, reference: Any, seed: int) -> Any:
    from immunescape.signatures.registry import load_registry
    from immunescape.signatures.runner import score

    registry = load_registry([str(p) for p in signature_files])
    if only:
        registry = registry.select([s.strip() for s in only.split(",") if s.strip()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # collected in result.warnings -> run.json
        return score(expr, signatures=registry, min_coverage=min_coverage,
                     reference=reference, seed=seed), registry


@app.command("score")
def score_cmd(
    expr: Annotated[
        Path, typer.Argument(help="Expression matrix: TSV/CSV (.gz), parquet or h5ad.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")],
    unit: Annotated[str | None, typer.Option(help=UNIT_HELP)] = None,
    genes_in: Annotated[
        str | None, typer.Option("--genes-in", help="'rows' or 'columns' (default: detected).")
    ] = None,
    log_offset: Annotated[
        float | None, typer.Option(help="Pseudo-count of log units (default: detected).")
    ] = None,
    signatures: Annotated[
        list[Path] | None,
        typer.Option("--signatures", help="Extra signatures: a YAML or GMT file (repeatable)."),
    ] = None,
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
) -> None:
    """Score every registry signature and PROGENy pathway on an expression matrix.

    Writes scores.tsv, features.tsv, input_report.json and run.json into OUTPUT.
    """
    from immunescape._output import write_outputs
    from immunescape.io import read_expression

    if genes_in not in (None, "rows", "columns"):
        raise InputError(f"--genes-in must be 'rows' or 'columns', not {genes_in!r}")
    if min_coverage is not None and not 0 < min_coverage <= 1:
        raise InputError(f"--min-coverage must be in (0, 1], not {min_coverage}")
    expression, report = read_expression(
        expr, unit=unit, genes_in=genes_in, log_offset=log_offset  # type: ignore[arg-type]
    )
    ref_expr = None
    ref_report = None
    if reference is not None:
        ref_expr, ref_report = read_expression(reference, log_offset=None)
    result, registry = _score_step(
        expression, signature_files=list(signatures or []), only=only,
        min_coverage=min_coverage, reference=ref_expr, seed=seed,
    )
    features = result.features.set_index("id")
    write_outputs(
        output,
        tables={"scores.tsv": result.scores, "features.tsv": features},
        documents={"input_report.json": report.to_dict()}
        | ({"reference_report.json": ref_report.to_dict()} if ref_report else {}),
        run={
            "command": _argv(),
            "parameters": {
                "unit": unit, "genes_in": genes_in, "log_offset": log_offset,
                "signature_files": [str(p) for p in signatures or []], "only": only,
                "reference": str(reference) if reference else None,
                "min_coverage": min_coverage, "seed": seed,
            },
            "input": {"expression": str(expr), "unit": expression.unit,
                      "log_offset": expression.log_offset, "notes": expression.notes,
                      "n_samples": expression.shape[0], "n_genes": expression.shape[1]},
            "conversions": result.conversions,
            "warnings": list(getattr(report, "warnings", [])) + result.warnings,
        },
    )
    n_ok = int((result.features["status"] == "scored").sum())
    typer.echo(
        f"scored {n_ok}/{len(result.features)} features on {expression.shape[0]} samples "
        f"-> {output}"
    )


@signatures_app.command("list")
def signatures_list(
    signatures: Annotated[
        list[Path] | None, typer.Option("--signatures", help="Extra YAML or GMT files.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: signature, pathway, gene.")
    ] = None,
) -> None:
    """List the signatures of the registry (id, kind, method, scope, direction, genes, name)."""
    from immunescape.signatures.registry import load_registry

    reg = load_registry([str(p) for p in signatures or []])
    typer.echo("id\tkind\tmethod\tscope\tdirection\tn_genes\tname")
    for s in reg:
        if kind and s.kind != kind:
            continue
        n = len(s.all_genes()) - len(s.params.get("housekeeping") or [])
        typer.echo(f"{s.id}\t{s.kind}\t{s.method}\t{s.scope}\t{s.direction}\t{n}\t{s.name}")


@signatures_app.command("show")
def signatures_show(
    signature_id: Annotated[str, typer.Argument(help="Signature id, e.g. gep18.")],
    signatures: Annotated[
        list[Path] | None, typer.Option("--signatures", help="Extra YAML or GMT files.")
    ] = None,
) -> None:
    """Show one signature: genes, weights, method, unit, direction, scope, citation."""
    import yaml

    from immunescape.signatures.registry import load_registry

    sig = load_registry([str(p) for p in signatures or []]).get(signature_id)
    data = sig.model_dump(exclude_none=True, exclude_defaults=False)
    data["input_unit"] = sig.input_unit
    if data.get("pairs"):
        data["pairs"] = [f"{a} > {b}" for a, b in data["pairs"]]
    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip())


@app.command("demo")
def demo_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output directory.")] = Path(
        "demo-out"
    ),
    n_samples: Annotated[int, typer.Option(help="Number of simulated patients.")] = 120,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 0,
) -> None:
    """Simulate a demo cohort and run the pipeline on it end to end.

    Writes the simulated inputs (inputs/expression.tsv, inputs/clinical.tsv) and the
    outputs of 'immunescape score' into OUTPUT.
    """
    import tempfile

    from immunescape._output import write_outputs
    from immunescape.datasets import simulate_cohort, write_cohort
    from immunescape.io import read_expression

    if n_samples < 2:
        raise InputError(f"--n-samples must be at least 2, not {n_samples}")
    cohort = simulate_cohort(n_samples, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_cohort(cohort, Path(tmp) / "inputs")
        expr_path = Path(tmp) / "inputs" / "expression.tsv"
        expression, report = read_expression(expr_path, unit="tpm")
        result, _ = _score_step(expression, signature_files=[], only=None, min_coverage=None,
                                reference=None, seed=seed)
        inputs = {f"inputs/{Path(p).name}": Path(p).read_text() for p in _as_paths(paths, tmp)}
    write_outputs(
        output,
        tables={"scores.tsv": result.scores, "features.tsv": result.features.set_index("id")},
        documents={"input_report.json": report.to_dict()},
        texts=inputs,
        run={
            "command": _argv(),
            "parameters": {"n_samples": n_samples, "seed": seed},
            "simulation": getattr(cohort, "params", {}),
            "conversions": result.conversions,
            "warnings": result.warnings,
        },
    )
    n_ok = int((result.features["status"] == "scored").sum())
    typer.echo(f"demo: {n_samples} simulated patients, {n_ok} features scored -> {output}")


def _as_paths(paths: Any, tmp: str) -> list[Path]:
    if isinstance(paths, dict):
        return [Path(p) for p in paths.values()]
    if isinstance(paths, list | tuple):
        return [Path(p) for p in paths]
    return sorted((Path(tmp) / "inputs").glob("*"))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes (2 input, 1 internal)."""
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("immunescape: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.ERROR)
    try:
        app(args=argv, prog_name="immunescape", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        typer.echo("immunescape: aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 2
    except InputError as exc:
        typer.echo(f"immunescape: error: {exc}", err=True)
        return 2
    except ImmunescapeError as exc:
        typer.echo(f"immunescape: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 1, one line
        typer.echo(
            f"immunescape: internal error: {exc.__class__.__name__}: {exc} "
            "(please report it with the command you ran)",
            err=True,
        )
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
