"""``immunescape demo``: a simulated cohort with planted mechanisms, run end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from immunescape._validate import check_range
from immunescape.cli._common import pipeline_outputs, present_calls, progress, replace_paths
from immunescape.cli._options import OutputDirOption


def demo_cmd(
    output: OutputDirOption = Path("demo-out"),
    n_samples: Annotated[int, typer.Option(help="Number of simulated patients.")] = 120,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 0,
) -> None:
    """Simulate a demo cohort with planted mechanisms and run the whole pipeline on it.

    Writes the simulated inputs (inputs/: expression, clinical, mutations, copy number,
    HLA and the planted truth) and every output of 'immunescape run' into OUTPUT.
    """
    import tempfile

    from immunescape.cli._common import write_outputs
    from immunescape.datasets import simulate_cohort, write_cohort
    from immunescape.pipeline import run_pipeline

    check_range("--n-samples", n_samples, low=2, integer=True)
    cohort = simulate_cohort(n_samples, seed=seed)
    with tempfile.TemporaryDirectory() as tmp, progress() as step:
        step("simulating the cohort")
        d = Path(tmp) / "inputs"
        write_cohort(cohort, d)
        files = {p.name: p for p in d.iterdir()}
        capture = (getattr(cohort, "params", {}) or {}).get("capture_mb")
        result = run_pipeline(
            expr=files["expression.tsv"], unit="tpm", clinical=files["clinical.tsv"],
            maf=files.get("maf.tsv"), cna=files.get("cna.tsv"), hla=files.get("hla.tsv"),
            hla_loh=files.get("hla_loh.tsv"),
            capture_mb=capture if files.get("maf.tsv") else None,
            tmb_assay="exome" if files.get("maf.tsv") else None, dna_samples="all",
            seed=seed, progress=step,
        )
        step("writing the report")
        # name the inputs by their place in the output, not the temporary directory
        result.run = replace_paths(result.run, str(d), "inputs")
        result.documents = replace_paths(result.documents, str(d), "inputs")
        run_doc, texts = pipeline_outputs(
            result, title="immunescape demo (simulated cohort)",
            extra_run={"simulation": getattr(cohort, "params", {})},
        )
        texts.update({f"inputs/{name}": p.read_text() for name, p in sorted(files.items())})
        write_outputs(output, tables=result.tables, documents=result.documents, texts=texts,
                      run=run_doc)
    typer.echo(
        f"demo: {n_samples} simulated patients, "
        f"{present_calls(result.tables['mechanisms.tsv'])} -> {output} "
        f"(open {output}/report.html)"
    )
