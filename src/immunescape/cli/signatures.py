"""``immunescape signatures``: inspect the signature registry."""

from __future__ import annotations

from typing import Annotated

import typer

from immunescape._validate import check_choice
from immunescape.cli._options import SignaturesOption

signatures_app = typer.Typer(help="Inspect the signature registry.", no_args_is_help=True)


@signatures_app.command("list")
def signatures_list(
    signatures: SignaturesOption = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: signature, pathway, gene.")
    ] = None,
) -> None:
    """List the signatures of the registry (id, kind, method, scope, direction, genes, name)."""
    from immunescape.signatures.registry import load_registry

    reg = load_registry([str(p) for p in signatures or []])
    if kind is not None:  # 'pathways' as well as 'pathway'
        kind = kind.strip().lower()
        kinds = sorted({s.kind for s in reg})
        kind = kind[:-1] if kind not in kinds and kind[:-1] in kinds else kind
        check_choice("--kind", kind, kinds)
    typer.echo("id\tkind\tmethod\tscope\tdirection\tn_genes\tname")
    for s in reg:
        if kind and s.kind != kind:
            continue
        n = len(s.all_genes()) - len(s.params.get("housekeeping") or [])
        typer.echo(f"{s.id}\t{s.kind}\t{s.method}\t{s.scope}\t{s.direction}\t{n}\t{s.name}")


@signatures_app.command("show")
def signatures_show(
    signature_id: Annotated[str, typer.Argument(help="Signature id, e.g. gep18.")],
    signatures: SignaturesOption = None,
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
