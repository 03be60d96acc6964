"""Error messages name the option the user gave, spelled as on the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main

GENES = ["GZMA", "PRF1", "CD274", "IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA", "CD8A"]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    ids = [f"P{i}" for i in range(12)]
    expr = tmp_path / "expr.tsv"
    pd.DataFrame(np.round(np.exp(rng.normal(3, 1, (len(GENES), 12))), 3), index=GENES,
                 columns=ids).to_csv(expr, sep="\t", index_label="gene")
    clin = tmp_path / "clin.tsv"
    pd.DataFrame({"sample_id": ids, "best_response": ["CR", "PD"] * 6}).to_csv(
        clin, sep="\t", index=False)
    return expr, clin


@pytest.mark.parametrize(("command", "given"), [
    ("compare", "--response-col"), ("meta", "--response-col"), ("run", "--recist-col")])
def test_a_missing_response_column_names_the_option_given(command, given, tmp_path, capsys):
    expr, clin = _files(tmp_path)
    data = (["--cohort", f"{expr}:{clin}"] if command == "meta"
            else ["--expr", str(expr), "--clinical", str(clin)])
    code = main([command, *data, given, "nope", "-o", str(tmp_path / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1, err
    assert f"{given} nope: no such column" in err[0] and f"give {given} as" in err[0]
    other = {"--response-col": "--recist-col", "--recist-col": "--response-col"}[given]
    assert other not in err[0] and "recist_col" not in err[0] and "response_col " not in err[0]


@pytest.mark.parametrize(("args", "words"), [
    (["--only", "cyt,foo"], "--only: unknown signature id 'foo' (known ids include "),
    (["--only", "gep,ifng"], "did you mean gep18"),
    (["--log-offset", "-1"], "--log-offset: must be a number >= 0"),
    (["--log-offset", "1000"], "fix: drop --log-offset, or"),  # the data are linear
    (["--log-offset", "1", "LOG"], "or leave --log-offset unset"),  # log2(x + 0.001) < 0
])  # fmt: skip
def test_score_options_are_named_as_typed(args, words, tmp_path, capsys):
    expr, _ = _files(tmp_path)
    if args[-1] == "LOG":
        args = args[:-1]
        m = pd.read_csv(expr, sep="\t", index_col=0)
        np.log2(m / 100 + 0.001).to_csv(expr, sep="\t")
    code = main(["score", str(expr), *args, "-o", str(tmp_path / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1, err
    assert words in err[0] and "log_offset" not in err[0] and " only:" not in err[0], err[0]
    assert "signatures list" in err[0] or "--only" not in args


@pytest.mark.parametrize(("command", "extra"), [
    ("compare", ["--response-col", "best_response"]), ("run", ["--recist-col", "best_response"]),
    ("predict", ["--model", "cyt"])])
def test_an_unknown_response_value_gets_a_fix_with_this_commands_options(command, extra,
                                                                        tmp_path, capsys):
    expr, clin = _files(tmp_path)
    frame = pd.read_csv(clin, sep="\t")
    frame.loc[0, "best_response"] = "weird"
    frame.to_csv(clin, sep="\t", index=False)
    code = main([command, "--expr", str(expr), "--clinical", str(clin), *extra,
                 "-o", str(tmp_path / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1, err
    assert "unknown response values" in err[0] and "--response-map 'weird=NR'" in err[0]
    assert "na_values" not in err[0] and "response_col" not in err[0]
    assert ("--na-values" in err[0]) == (command == "predict")  # the only one of the three
    assert ("--recist-col" in err[0]) == (command == "run")  # with it
