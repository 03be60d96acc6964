"""Helpers the command modules share: the command line for run.json, progress, parsing."""

from __future__ import annotations

import sys
from typing import Any

from immunescape.errors import InputError

#: The arguments :func:`immunescape.cli.main` was called with (set by ``main``).
_ARGS: list[str] = []


def argv() -> list[str]:
    """Return the command line as run, for run.json."""
    return ["immunescape", *_ARGS]


def split_list(text: str | None) -> list[str]:
    """Comma-separated values, stripped, empty ones left out."""
    return [v.strip() for v in (text or "").split(",") if v.strip()]


def na_values(text: str | None) -> list[str] | None:
    """``--na-values 'PD*,Only scanned baseline'`` as a list (None if empty)."""
    return split_list(text) or None


def response_map(value: str | None) -> dict[str, str] | None:
    """Parse ``--response-map 'PD*=PD,long-survival=NR'`` into a mapping (None if empty)."""
    pairs = [p.split("=", 1) for p in (value or "").split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise InputError(f"--response-map {value!r} is not VALUE=TARGET[,...]",
                         fix="e.g. --response-map 'PD*=PD,long-survival=NR'")
    return {k.strip(): v.strip() for k, v in pairs} or None


def progress() -> Any:
    """Show a rich status line on a terminal; stay silent otherwise (CI, pipes)."""
    import contextlib

    if not sys.stderr.isatty():
        return contextlib.nullcontext(lambda _name: None)
    from rich.console import Console

    console = Console(stderr=True)

    @contextlib.contextmanager
    def ctx() -> Any:
        with console.status("starting") as status:
            yield lambda name: status.update(f"immunescape: {name} ...")

    return ctx()


def genomic_files(**kwargs: Any) -> dict[str, Any]:
    """Read --vcf/--cbioportal into the mutation/CNA/segment/clinical tables the commands take."""
    from immunescape.genomics.inputs import prepare_genomic_inputs

    return prepare_genomic_inputs(**kwargs)


def pipeline_outputs(
    result: Any, *, title: str, extra_run: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """run.json and report.html of a :class:`~immunescape.pipeline.PipelineResult`."""
    from immunescape._provenance import resource_versions
    from immunescape.report import render_report

    run_doc = {"command": argv(), **result.run, **extra_run, "resources": resource_versions()}
    tables = dict(result.tables)
    report_tables = {k.removesuffix(".tsv"): v for k, v in tables.items()}
    if result.clinical is not None:
        report_tables["clinical"] = result.clinical.reset_index().rename(
            columns={result.clinical.index.name or "index": "sample_id"}
        )
    html = render_report(report_tables, run=run_doc, title=title)
    return run_doc, {"report.html": html}


def replace_paths(obj: Any, old: str, new: str) -> Any:
    """Replace ``old`` by ``new`` in every string of a JSON-like document."""
    if isinstance(obj, dict):
        return {k: replace_paths(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [replace_paths(v, old, new) for v in obj]
    if isinstance(obj, str):
        return obj.replace(old, new)
    return obj


def write_outputs(outdir: Any, **kwargs: Any) -> Any:
    """:func:`immunescape._output.write_outputs` with the shipped resources' versions added.

    A run document that already lists them (made for the report) is not asked again.
    """
    from immunescape._output import write_outputs as write
    from immunescape._provenance import resource_versions

    resources = kwargs.get("run", {}).get("resources") or resource_versions()
    return write(outdir, resources=resources, **kwargs)


def present_calls(mechanisms: Any) -> str:
    """``"N mechanism calls present"``, split by effect when sensitivity features are among them.

    Sensitivity features (adaptive PD-L1, IDO1 in an inflamed tumour) are no resistance.

    >>> import pandas as pd
    >>> present_calls(pd.DataFrame({"status": ["present", "present", "absent"],
    ...                             "effect": ["resistance", "sensitivity", "resistance"]}))
    '2 mechanism calls present (1 resistance, 1 sensitivity)'
    """
    present = mechanisms["status"] == "present"
    effects = (mechanisms.loc[present, "effect"].value_counts().to_dict()
               if "effect" in mechanisms else {})
    split = "" if not effects.get("sensitivity") else " (" + ", ".join(
        f"{int(effects.get(e, 0))} {e}" for e in ("resistance", "sensitivity", "mixed")
        if e != "mixed" or effects.get(e)) + ")"
    return f"{int(present.sum())} mechanism calls present{split}"

