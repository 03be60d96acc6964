"""Command-line interface: a thin layer over the public Python API.

Each command lives in its own module (``score``, ``run``, ``genomics``, ``compare``, ``meta``,
``predict`` (with ``train`` and ``evaluate``), ``demo``, and the ``kb`` and ``signatures``
groups); options shared by several commands are declared once in ``_options``. This module
builds the application and maps errors to exit codes.

Exit codes: 0 success, 2 bad input or usage (one line: which file, what is wrong, how to fix
it), 1 internal error or a broken installation.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import typer

from immunescape._logging import console, logger
from immunescape.cli import _common
from immunescape.cli.compare import compare_cmd
from immunescape.cli.demo import demo_cmd
from immunescape.cli.genomics import genomics_cmd
from immunescape.cli.kb import kb_app
from immunescape.cli.meta import meta_cmd
from immunescape.cli.predict import PUBLISHED_MODELS, evaluate_cmd, predict_cmd, train_cmd
from immunescape.cli.run import run_cmd
from immunescape.cli.score import score_cmd
from immunescape.cli.signatures import signatures_app
from immunescape.errors import ImmunescapeError, InputError, ResourceError

__all__ = ["PUBLISHED_MODELS", "app", "main"]

app = typer.Typer(
    name="immunescape",
    help="Immune-checkpoint-blockade resistance mechanisms from tumour DNA and RNA.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(signatures_app, name="signatures")
app.add_typer(kb_app, name="kb")
app.command("score")(score_cmd)
app.command("run")(run_cmd)
app.command("genomics")(genomics_cmd)
app.command("compare")(compare_cmd)
app.command("meta")(meta_cmd)
app.command("predict")(predict_cmd)
app.command("train")(train_cmd)
app.command("evaluate")(evaluate_cmd)
app.command("demo")(demo_cmd)

OUTPUT_OPTIONS = ("-o", "--output")

#: Library parameter names as the command line spells them, for error messages: the library
#: says ``pass sample_col='ID'`` to a Python caller, the CLI says ``--sample-col ID``.
CLI_SPELLING = {
    "capture_mb": "--capture-mb", "sample_col": "--sample-col", "response_col": "--response-col",
    "recist_col": "--recist-col", "os_time_col": "--time-col", "os_event_col": "--event-col",
    "pfs_time_col": "--time-col", "pfs_event_col": "--event-col", "on_missing": "--on-missing",
    "malformed_hgvs": "--on-malformed-hgvs", "on_malformed_hgvs": "--on-malformed-hgvs",
    "tmb_assay": "--tmb-assay", "ci_method": "--ci-method", "response_map": "--response-map",
    "genome_build": "--genome-build", "log_offset": "--log-offset", "genes_in": "--genes-in",
    "sd_rule": "--sd-rule", "min_coverage": "--min-coverage", "reference": "--reference",
    "unit": "--unit", "only": "--only", "time_unit": "--time-unit", "layer": "--layer",
}  # fmt: skip


def _cli_message(text: str, args: list[str] | None = None) -> str:
    """Spell library parameters in an error message as their command-line options.

    ``compare`` and ``meta`` pass ``--response-col`` on as ``recist_col`` (with
    ``--response-rule recist``): it is named as the option the user gave.

    >>> _cli_message("recist_col='nope': no such column; fix: pass recist_col as one of these",
    ...              ["compare", "--response-col", "x"])
    '--response-col nope: no such column; fix: give --response-col as one of these'
    >>> _cli_message("capture_mb: capture size 0 is not positive")
    '--capture-mb: capture size 0 is not positive'
    >>> _cli_message("x.tsv: values below 0; fix: drop log_offset, or leave log_offset unset")
    'x.tsv: values below 0; fix: drop --log-offset, or leave --log-offset unset'
    """
    command = (args or [""])[0]
    text = text.replace("response_col/recist_col", "--response-col/--recist-col"
                        if command == "run" else "--response-col")  # only run has both
    if "--recist-col" not in (args or []) and any(
            a.split("=")[0] == "--response-col" for a in args or []):
        text = re.sub(r"\brecist_col\b", "response_col", text)
    text = re.sub(r"response_map=\{'([^']*)': '([^']*)'\}", r"--response-map '\1=\2'", text)
    text = text.replace("with response_map (", "with --response-map (")
    # --na-values exists on predict, train and evaluate; elsewhere --response-map '...=NA' does it
    na = "list them in --na-values" if command in ("predict", "train", "evaluate") else ""
    text = text.replace(", list them in na_values,", f", {na}," if na else ",")

    def option(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        flag = CLI_SPELLING[name]
        value = (value or "").strip().strip("'\"")
        return f"{flag} {value}".rstrip() if flag.startswith("--") and " " not in flag else flag

    names = "|".join(sorted(CLI_SPELLING, key=len, reverse=True))
    text = re.sub(rf"^({names}): ", lambda m: f"{CLI_SPELLING[m.group(1)]}: ", text)
    text = re.sub(rf"\bpass ({names}) as\b", lambda m: f"give {CLI_SPELLING[m.group(1)]} as",
                  text)
    text = re.sub(rf"\b({names})=('[^']*'|\"[^\"]*\"|[\w.\-]+|\.\.\.)?", option, text)
    snake = "|".join(sorted((n for n in CLI_SPELLING if "_" in n), key=len, reverse=True))
    text = re.sub(rf"\b(drop|leave) ({snake})\b",
                  lambda m: f"{m.group(1)} {CLI_SPELLING[m.group(2)].split(' ')[0]}", text)
    return re.sub(rf"\b({snake})(?= (?:must|is|needs|should))",
                  lambda m: CLI_SPELLING[m.group(1)].split(" ")[0], text)


def _usage_message(message: str) -> str:
    """One line for a usage error; a value outside a fixed set lists the allowed values.

    >>> _usage_message("Invalid value for '--x': Value error, 'c' is not one of 'a', 'b'.")
    "Invalid value for '--x': 'c' is not one of a or b"
    """
    text = " ".join(message.split()).replace("Value error, ", "")

    def choices(match: re.Match[str]) -> str:
        values = re.findall(r"'([^']*)'", match.group(2))
        listed = ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else values[0]
        return f"{match.group(1)} is not one of {listed}"

    return re.sub(r"('[^']*') is not one of ((?:'[^']*'(?:, )?)+)\.?", choices, text)


def _guard_inputs(args: list[str]) -> None:
    """Register every existing path among the arguments as an input no output may replace.

    Values of ``-o/--output`` are outputs, not inputs; ``--cohort`` specs are split on ':'.
    An output that is itself one of the inputs (e.g. ``train -o expression.tsv``) is refused
    here, before any work is done, and so is an existing output directory that may not be
    replaced (it is checked again when written).
    """
    from immunescape._paths import check_output_dir, protect_inputs

    inputs: list[str] = []
    outputs: list[str] = []
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            continue
        name, eq, value = arg.partition("=")
        if arg in OUTPUT_OPTIONS:
            if i + 1 < len(args):
                outputs.append(args[i + 1])
            skip_next = True
            continue
        if eq and name in OUTPUT_OPTIONS:
            outputs.append(value)
            continue
        for part in {arg, value, *arg.split(":")} - {""}:
            try:
                if Path(part).exists():
                    inputs.append(part)
            except (OSError, ValueError):  # e.g. a name too long for the file system
                continue
    protect_inputs(inputs)
    resolved = set()
    for p in inputs:
        try:
            resolved.add(Path(p).resolve())
        except (OSError, RuntimeError):  # pragma: no cover
            continue
    for out in outputs:
        if not out.strip():
            raise InputError("the output path is empty", source="-o",
                             fix="give -o a directory name, e.g. -o results")
        if Path(out).resolve() in resolved:
            raise InputError("the output is also an input; writing it would replace it",
                             source=out, fix="choose another path for -o")
        # refuse before the work, not after (a new path: its parent must be creatable)
        if args[:1] != ["train"] and (Path(out).is_dir() or not Path(out).exists()):
            check_output_dir(out)


class _Pending(logging.Handler):
    """Hold log records as ``immunescape: warning: ...`` lines until the command succeeded."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"immunescape: warning: {' '.join(record.getMessage().split())}")

    def flush_to_stderr(self) -> None:
        for line in dict.fromkeys(self.lines):  # the same warning once
            typer.echo(line, err=True)
        self.lines.clear()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes (2 input, 1 internal)."""
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("immunescape: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.ERROR)
    # Warnings the user must see (records of the ``console`` logger, e.g. gene ids taken from
    # a fallback column, samples left out) are held and printed after the command succeeds,
    # so that a failing command prints its one error line and nothing else.
    pending = _Pending()
    console.addHandler(pending)
    console.setLevel(logging.WARNING)
    propagate, console.propagate = console.propagate, False
    try:
        args = list(sys.argv[1:] if argv is None else argv)
        _common._ARGS[:] = args
        _guard_inputs(args)
        app(args=args, prog_name="immunescape", standalone_mode=False)
        pending.flush_to_stderr()
    except typer.Exit as exc:
        if not exc.exit_code:
            pending.flush_to_stderr()
        return int(exc.exit_code or 0)
    except typer.Abort:
        typer.echo("immunescape: aborted", err=True)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, ...
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "immunescape"
        typer.echo(
            f"immunescape: error: {_usage_message(message)} (see '{command} --help')", err=True
        )
        return 2
    except ResourceError as exc:  # a broken installation, not the user's input
        typer.echo(f"immunescape: error: {' '.join(str(exc).split())}", err=True)
        return 1
    except ImmunescapeError as exc:
        typer.echo(f"immunescape: error: {_cli_message(' '.join(str(exc).split()), args)}",
                   err=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: exit 1, one line
        if os.environ.get("IMMUNESCAPE_DEBUG"):
            raise
        typer.echo(
            f"immunescape: internal error: {exc.__class__.__name__}: {exc} "
            "(please report it with the command you ran)",
            err=True,
        )
        return 1
    finally:
        console.removeHandler(pending)
        console.propagate = propagate
    return 0

