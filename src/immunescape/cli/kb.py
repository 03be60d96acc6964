"""``immunescape kb``: inspect, validate and extend the resistance knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from immunescape._validate import check_choice
from immunescape.cli._options import KbKind, KbOption

kb_app = typer.Typer(
    help="Inspect, validate and extend the resistance knowledge base.", no_args_is_help=True
)


@kb_app.command("list")
def kb_list(
    kind: Annotated[
        str, typer.Option(help="all, mechanisms, countermeasures or evidence (singular too).")
    ] = "all",
    kb: KbOption = None,
) -> None:
    """List the knowledge base's mechanisms, countermeasures and evidence items."""
    import csv
    import io

    from immunescape.kb import load_kb
    from immunescape.kb.loader import KB_TABLE_COLUMNS, kb_rows

    plural = {"mechanism": "mechanisms", "countermeasure": "countermeasures"}
    chosen = plural.get(kind.strip().lower(), kind.strip().lower())
    check_choice("--kind", chosen, KbKind)
    rows = kb_rows(load_kb([str(p) for p in kb or []]), kind=cast(KbKind, chosen))
    buffer = io.StringIO()  # the csv module, not pandas: kb list starts without numpy
    writer = csv.DictWriter(buffer, KB_TABLE_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    typer.echo(buffer.getvalue().rstrip())


@kb_app.command("show")
def kb_show(
    entry_id: Annotated[str, typer.Argument(help="Mechanism, countermeasure or evidence id.")],
    kb: KbOption = None,
) -> None:
    """Show a mechanism, countermeasure or evidence item with its rules and evidence."""
    from immunescape.kb import load_kb, render_entry

    typer.echo(render_entry(entry_id, kb=load_kb([str(p) for p in kb or []])))


@kb_app.command("validate")
def kb_validate(
    file: Annotated[
        Path | None, typer.Argument(help="A user KB YAML file (default: the shipped KB).")
    ] = None,
    signatures: Annotated[
        list[Path] | None, typer.Option("--signatures", help="Signature files its RNA rules use.")
    ] = None,
) -> None:
    """Validate a knowledge-base file exactly as the shipped knowledge base is validated."""
    from immunescape.kb import validate_kb_file

    problems = validate_kb_file(file, signature_files=[str(p) for p in signatures or []])
    for p in problems:
        typer.echo(f"warning: {p}")
    typer.echo(f"{file or 'shipped knowledge base'}: valid ({len(problems)} warning(s))")
