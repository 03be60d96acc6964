"""The command-line interface: outputs, help, and one-line errors with exit code 2."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape.cli import main

GENES = ["GZMA", "PRF1", "CD274", "IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA",
         "CD8A", "B2M", "ACTB", "GAPDH", "PTEN", "VEGFA"]


def _matrix(n: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = np.round(np.exp(rng.normal(3, 1.5, size=(len(GENES), n))), 3)
    return pd.DataFrame(X, index=GENES, columns=[f"P{i:02d}" for i in range(n)])


def _write(tmp_path: Path, df: pd.DataFrame, name: str = "expr.tsv") -> Path:
    p = tmp_path / name
    df.to_csv(p, sep="\t", index_label="gene")
    return p


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_score_writes_the_contracted_outputs(tmp_path, capsys):
    expr = _write(tmp_path, _matrix())
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, "score", str(expr), "--unit", "tpm", "-o", str(out))
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "features.tsv", "input_report.json", "run.json", "scores.tsv"]
    scores = pd.read_csv(out / "scores.tsv", sep="\t")
    assert scores.columns[0] == "sample_id" and len(scores) == 12
    feats = pd.read_csv(out / "features.tsv", sep="\t")
    assert list(feats.columns[:9]) == ["id", "name", "kind", "method", "direction", "scope",
                                       "genes_total", "genes_found", "citation"]
    assert set(feats["id"]) == set(scores.columns[1:])
    # cytolytic activity is the geometric mean of GZMA and PRF1 (+0.01), per sample
    m = _matrix()
    expected = np.sqrt((m.loc["GZMA"] + 0.01) * (m.loc["PRF1"] + 0.01))
    np.testing.assert_allclose(scores.set_index("sample_id")["cyt"], expected, rtol=1e-5)
    run = json.loads((out / "run.json").read_text())
    assert run["software"]["name"] == "immunescape"
    assert {"gene_table", "signature_registry", "progeny"} <= set(run["resources"])
    assert run["command"][:2] == ["immunescape", "score"]
    assert any("gep18" in w for w in run["warnings"])  # low coverage is reported


def test_outputs_are_byte_identical_across_runs(tmp_path, capsys):
    expr = _write(tmp_path, _matrix())
    for name in ("a", "b"):
        assert _run(capsys, "score", str(expr), "-o", str(tmp_path / name))[0] == 0
    for f in ("scores.tsv", "features.tsv", "input_report.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


def test_help_for_every_command(capsys):
    for args in (["--help"], ["score", "--help"], ["signatures", "--help"],
                 ["signatures", "list", "--help"], ["signatures", "show", "--help"],
                 ["demo", "--help"]):
        code, out, _ = _run(capsys, *args)
        assert code == 0 and "Usage" in out


#: Options renamed to the one name per concept: (command, new, old spelling, a valid value).
RENAMED = [
    ("compare", "--ci-method", "--ci", "bootstrap"),
    ("run", "--tmb-assay", "--assay", "panel"),
    ("genomics", "--tmb-assay", "--assay", "panel"),
    ("predict", "--tmb-assay", "--assay", "panel"),
    ("run", "--on-malformed-hgvs", "--malformed-hgvs", "blank"),
    ("genomics", "--on-malformed-hgvs", "--malformed-hgvs", "blank"),
]


@pytest.mark.parametrize(("command", "new", "old", "value"), RENAMED)
def test_renamed_options_keep_their_old_spelling_hidden(command, new, old, value, monkeypatch,
                                                        capsys):
    import typer.main

    import immunescape.cli as cli
    from immunescape.cli._options import pick

    code, out, _ = _run(capsys, command, "--help")
    assert code == 0
    flags = set(" ".join(out.split()).replace(",", " ").split())
    assert new in flags and old not in flags
    # both spellings are parsed, and the command takes the old one's value when given
    click_cmd = typer.main.get_command(cli.app).commands[command]
    param = {opt: p.name for p in click_cmd.params for opt in p.opts}
    required = {"compare": ["--clinical", "c"], "predict": ["--model", "cyt"]}.get(command, [])
    for flag in (new, old):
        ctx = click_cmd.make_context(command, [flag, value, "-o", "x", *required])
        given = ctx.params[param[new]], ctx.params[param[old]]
        assert pick(*given) == value


@pytest.mark.parametrize("value", ["drop", "drop_genes", "error"])
def test_on_missing_values(value):
    from immunescape.cli._options import on_missing_value

    assert on_missing_value(value) == ("error" if value == "error" else "drop")


def test_on_missing_refuses_other_values(tmp_path, capsys):
    expr = _write(tmp_path, _matrix())
    code, _, err = _run(capsys, "predict", "--model", "cyt", "--expr", str(expr),
                        "--on-missing", "skip", "-o", str(tmp_path / "o"))
    assert code == 2 and "--on-missing" in err and "'error', 'drop'" in err


def test_signatures_list_and_show(capsys):
    code, out, _ = _run(capsys, "signatures", "list")
    assert code == 0
    ids = [line.split("\t")[0] for line in out.splitlines()[1:]]
    for required in ("cyt", "ifng6", "gep18", "impres", "ips", "progeny_tgfb", "gene_CD274"):
        assert required in ids
    code, out, _ = _run(capsys, "signatures", "show", "impres")
    assert code == 0 and "PDCD1 > TNFSF4" in out and "30127394" in out


# ----------------------------------------------------------------------------- bad input
def _bad_cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    good = _write(tmp_path, _matrix(), "good.tsv")
    cases: dict[str, tuple[list[str], str]] = {}
    cases["missing file"] = ([str(tmp_path / "nope.tsv")], "nope.tsv")
    unreadable = tmp_path / "garbage.tsv.gz"
    unreadable.write_bytes(b"\x1f\x8bnot really gzip")
    cases["unreadable"] = ([str(unreadable)], "garbage.tsv.gz")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    cases["empty"] = ([str(empty)], "empty.tsv")
    header_only = tmp_path / "header.tsv"
    header_only.write_text("gene\tP1\tP2\n")
    cases["header only"] = ([str(header_only)], "header.tsv")
    junk = _matrix()
    junk.index = [f"NOTAGENE{i}" for i in range(len(junk))]
    cases["no gene"] = ([str(_write(tmp_path, junk, "junk.tsv"))], "junk.tsv")
    dup = _matrix()
    dup.columns = ["P00"] * 2 + list(dup.columns[2:])
    cases["duplicated samples"] = ([str(_write(tmp_path, dup, "dup.tsv"))], "dup.tsv")
    text = _matrix().astype(object)
    text.iloc[3, 4] = "high"
    cases["non-numeric"] = ([str(_write(tmp_path, text, "text.tsv"))], "text.tsv")
    nan = _matrix()
    nan.iloc[2, 2] = np.inf
    cases["inf"] = ([str(_write(tmp_path, nan, "inf.tsv"))], "inf.tsv")
    neg = _matrix().round()
    neg.iloc[1, 1] = -3
    cases["negative counts"] = ([str(_write(tmp_path, neg, "neg.tsv")), "--unit", "counts"],
                                "neg.tsv")
    cases["log unit contradicted"] = ([str(good), "--unit", "log2tpm"], "good.tsv")
    cases["counts contradicted"] = ([str(good), "--unit", "counts"], "good.tsv")
    cases["unknown signature"] = ([str(good), "--only", "cyt,not_a_signature"],
                                  "not_a_signature")
    cases["bad unit name"] = ([str(good), "--unit", "furlongs"], "furlongs")
    return cases


def test_bad_inputs_exit_2_with_one_line_and_no_output(tmp_path, capsys):
    cases = _bad_cases(tmp_path)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    for label, (args, must_mention) in cases.items():
        out = tmp_path / f"out_{label.replace(' ', '_')}"
        code, _, err = _run(capsys, "score", *args, "-o", str(out))
        assert code == 2, f"{label}: exit {code}, stderr {err!r}"
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, f"{label}: {err!r}"
        assert "Traceback" not in err
        assert must_mention in lines[0], f"{label}: {lines[0]!r}"
        assert not out.exists(), f"{label}: partial output left"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert not leftovers
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before}
    assert after == before  # inputs untouched


def test_gzip_and_columns_orientation(tmp_path, capsys):
    m = _matrix().T  # samples in rows
    p = tmp_path / "expr.csv.gz"
    with gzip.open(p, "wt") as fh:
        m.to_csv(fh, index_label="sample")
    out = tmp_path / "o"
    code, _, err = _run(capsys, "score", str(p), "--unit", "tpm", "-o", str(out))
    assert code == 0, err
    report = json.loads((out / "input_report.json").read_text())
    assert report["n_samples"] == 12


def test_refuses_to_overwrite_a_foreign_directory(tmp_path, capsys):
    expr = _write(tmp_path, _matrix())
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    code, _, err = _run(capsys, "score", str(expr), "-o", str(foreign))
    assert code == 2 and "mine" in err
    assert (foreign / "thesis.docx").read_text() == "precious"


@pytest.mark.parametrize("n", [30])
def test_demo_runs_end_to_end(tmp_path, capsys, n):
    out = tmp_path / "demo"
    code, stdout, err = _run(capsys, "demo", "-o", str(out), "--n-samples", str(n))
    assert code == 0, err
    scores = pd.read_csv(out / "scores.tsv", sep="\t", index_col=0)
    assert len(scores) == n
    feats = pd.read_csv(out / "features.tsv", sep="\t", index_col=0)
    # on the simulated cohort every built-in feature has its genes
    assert (feats["status"] == "scored").mean() > 0.95
    assert (out / "inputs" / "expression.tsv").is_file()
    for name in ("mechanisms.tsv", "phenotypes.tsv", "recommendations.tsv", "report.html"):
        assert (out / name).is_file(), name
    mech = pd.read_csv(out / "mechanisms.tsv", sep="\t")
    assert list(mech.columns[:8]) == ["sample_id", "mechanism_id", "status", "strength",
                                      "dna_evidence", "rna_evidence", "clinical_evidence",
                                      "reason"]
    assert set(mech["status"]) <= {"present", "absent", "indeterminate", "not_assessable"}
    assert "not treatment advice" in (out / "report.html").read_text()


# ----------------------------------------------------------------------------- genomics / kb
MAF_ROWS = [
    ("B2M", "P1", "Frame_Shift_Del", "p.L13fs"),
    ("JAK1", "P2", "Nonsense_Mutation", "p.Q503*"),
    ("JAK2", "P3", "Missense_Mutation", "p.P870S"),
    ("CTNNB1", "P3", "Missense_Mutation", "p.S45F"),
    ("TTN", "P1", "Silent", "p.A100A"),
]


def _maf(tmp_path: Path, rows=MAF_ROWS, drop: str | None = None) -> Path:
    df = pd.DataFrame(rows, columns=["Hugo_Symbol", "Tumor_Sample_Barcode",
                                     "Variant_Classification", "HGVSp_Short"])
    if drop:
        df = df.drop(columns=[drop])
    p = tmp_path / ("muts.maf" if not drop else "broken.maf")
    df.to_csv(p, sep="\t", index=False)
    return p


def test_genomics_command(tmp_path, capsys):
    out = tmp_path / "g"
    code, _, err = _run(capsys, "genomics", "--maf", str(_maf(tmp_path)), "--capture-mb", "38",
                        "--tmb-assay", "exome", "-o", str(out))
    assert code == 0, err
    ev = pd.read_csv(out / "genomic_events.tsv", sep="\t")
    calls = {(r.gene, r.event) for r in ev.itertuples()}
    assert ("B2M", "truncating") in calls and ("JAK1", "truncating") in calls
    assert ("CTNNB1", "hotspot_activating") in calls
    assert ("JAK2", "missense_vus") in calls
    assert not ((ev.gene == "JAK2") & (ev.functional_call == "loss_of_function")).any()
    tmb = pd.read_csv(out / "tmb.tsv", sep="\t", index_col=0)
    # nonsynonymous only: the silent TTN variant is not counted
    assert tmb.loc["P1", "n_mutations_counted"] == 1
    assert tmb.loc["P3", "tmb_per_mb"] == pytest.approx(2 / 38)
    assert set(tmb["rule"]) == {"nonsynonymous; exome"}  # --tmb-assay reaches tmb.tsv


def test_genomics_bad_input(tmp_path, capsys):
    cases = {
        "missing column": (["--maf", str(_maf(tmp_path, drop="Variant_Classification")),
                            "--capture-mb", "38"], "broken.maf"),
        "no capture": (["--maf", str(_maf(tmp_path))], "capture"),
        "negative capture": (["--maf", str(_maf(tmp_path)), "--capture-mb", "-1"], "capture"),
    }
    for label, (args, mention) in cases.items():
        out = tmp_path / f"o_{label.replace(' ', '_')}"
        code, _, err = _run(capsys, "genomics", *args, "-o", str(out))
        assert code == 2, (label, err)
        assert len(err.strip().splitlines()) == 1 and mention in err, (label, err)
        assert not out.exists()


def test_kb_commands(tmp_path, capsys):
    code, out, _ = _run(capsys, "kb", "list", "--kind", "mechanisms")
    assert code == 0 and "ifng_pathway_loss" in out
    code, out, _ = _run(capsys, "kb", "show", "anti_tim3")
    assert code == 0 and "not treatment advice" in out
    code, out, _ = _run(capsys, "kb", "validate")
    assert code == 0 and "valid" in out
    broken = tmp_path / "bad_kb.yaml"
    broken.write_text("schema_version: 1\nmechanisms:\n  - id: x\n    name: only a name\n")
    code, _, err = _run(capsys, "kb", "validate", str(broken))
    assert code == 2 and "bad_kb.yaml" in err and len(err.strip().splitlines()) == 1


def test_run_rejects_clinical_ids_matching_nothing(tmp_path, capsys):
    expr = _write(tmp_path, _matrix())
    clin = tmp_path / "clin.tsv"
    pd.DataFrame({"sample_id": ["X1", "X2"], "response": ["R", "NR"]}).to_csv(
        clin, sep="\t", index=False)
    out = tmp_path / "r"
    code, _, err = _run(capsys, "run", "--expr", str(expr), "--clinical", str(clin),
                        "-o", str(out))
    assert code == 2 and "clin.tsv" in err and "sample" in err
    assert not out.exists()


def test_run_with_expression_and_maf(tmp_path, capsys):
    m = _matrix(n=4)
    m.columns = ["P1", "P2", "P3", "P4"]
    expr = _write(tmp_path, m)
    out = tmp_path / "r"
    code, _, err = _run(capsys, "run", "--expr", str(expr), "--maf", str(_maf(tmp_path)),
                        "--capture-mb", "38", "--dna-samples", "all", "-o", str(out))
    assert code == 0, err
    mech = pd.read_csv(out / "mechanisms.tsv", sep="\t").set_index(["sample_id", "mechanism_id"])
    # with no copy number, a single B2M truncation is a one-hit (moderate) DNA call
    assert mech.loc[("P1", "antigen_presentation_loss"), "status"] == "present"
    assert "B2M" in mech.loc[("P1", "antigen_presentation_loss"), "dna_evidence"]
    # four samples: cohort percentiles are not assessable, and run.json says why
    run = json.loads((out / "run.json").read_text())
    assert any("reference" in w for w in run["warnings"])
    assert (out / "report.html").is_file()


def test_run_warns_when_the_cancer_type_has_no_shipped_reference(tmp_path, capsys):
    expr = _write(tmp_path, _matrix())
    code, _, err = _run(capsys, "run", "--expr", str(expr), "--cancer-type", "foo",
                        "-o", str(tmp_path / "foo"))
    assert code == 0, err
    assert "warning: --cancer-type 'foo' matches no shipped reference group" in err
    run = json.loads((tmp_path / "foo" / "run.json").read_text())
    assert any("'foo' matches no shipped" in w for w in run["warnings"])
    code, _, err = _run(capsys, "run", "--expr", str(expr), "--cancer-type",
                        "Kidney renal clear cell carcinoma", "-o", str(tmp_path / "kirc"))
    assert code == 0 and "cancer-type" not in err


# ----------------------------------------------------------------------------- predict
@pytest.fixture(scope="module")
def sim_cohorts(tmp_path_factory):
    from immunescape.datasets import simulate_cohort, write_cohort

    root = tmp_path_factory.mktemp("cohorts")
    specs = []
    for seed in (1, 2):
        d = root / f"sim{seed}"
        write_cohort(simulate_cohort(40, seed=seed), d)
        specs.append(f"{d / 'expression.tsv'}:{d / 'clinical.tsv'}")
    return specs


def test_predict_published_and_builtin(sim_cohorts, tmp_path, capsys):
    expr = sim_cohorts[0].split(":")[0]
    for model in ("impres", "builtin"):
        out = tmp_path / model
        code, _, err = _run(capsys, "predict", "--model", model, "--expr", expr, "-o", str(out))
        assert code == 0, err
        pred = pd.read_csv(out / "predictions.tsv", sep="\t")
        assert list(pred.columns)[:5] == ["sample_id", "model", "score", "probability",
                                          "predicted"]
        assert len(pred) == 40
    imp = pd.read_csv(tmp_path / "impres" / "predictions.tsv", sep="\t")
    assert imp["probability"].isna().all()  # no published calibration for IMPRES
    assert ((imp["score"] >= 8) == (imp["predicted"] == "R")).all()  # Auslander cut-off


def test_train_then_predict_and_evaluate(sim_cohorts, tmp_path, capsys):
    model = tmp_path / "m.json"
    code, _, err = _run(capsys, "train", *sum((["--cohort", s] for s in sim_cohorts), []),
                        "--features", "cyt,ifng6,pan_ftbrs", "-o", str(model))
    assert code == 0, err
    doc = json.loads(model.read_text())
    assert doc["features"] == ["cyt", "ifng6", "pan_ftbrs"]
    assert set(doc["coefficients"]) == {"cyt", "ifng6", "pan_ftbrs"}
    # on simulated cohorts response rises with T-cell inflammation (the simulator's logistic
    # model) and falls with TGF-beta stroma: the fitted signs must say so
    assert doc["coefficients"]["cyt"] + doc["coefficients"]["ifng6"] > 0
    out = tmp_path / "ev"
    code, _, err = _run(capsys, "evaluate", *sum((["--cohort", s] for s in sim_cohorts), []),
                        "--model", str(model), "-o", str(out))
    assert code == 0, err
    ev = pd.read_csv(out / "evaluation.tsv", sep="\t")
    from immunescape.predict._external import EVALUATION_COLUMNS

    assert list(ev.columns) == list(EVALUATION_COLUMNS)  # the layout of both designs
    assert set(ev["predictor"]) >= {"model", "impres", "cyt"}
    assert ((ev["auc_ci_low"] <= ev["auc"]) & (ev["auc"] <= ev["auc_ci_high"])).all()


def test_predict_bad_model_files(tmp_path, capsys, sim_cohorts):
    expr = sim_cohorts[0].split(":")[0]
    not_model = tmp_path / "notmodel.json"
    not_model.write_text('{"hello": "world"}')
    pickle_like = tmp_path / "model.json"
    pickle_like.write_bytes(b"\x80\x04\x95pickle")
    for f in (not_model, pickle_like, tmp_path / "absent.json"):
        code, _, err = _run(capsys, "predict", "--model", str(f), "--expr", expr,
                            "-o", str(tmp_path / "o"))
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert f.name in err
    one_class = tmp_path / "clin.tsv"
    ids = pd.read_csv(expr, sep="\t", nrows=0).columns[1:]
    pd.DataFrame({"sample_id": ids, "response": "R"}).to_csv(one_class, sep="\t", index=False)
    code, _, err = _run(capsys, "train", "--cohort", f"{expr}:{one_class}", "-o",
                        str(tmp_path / "x.json"))
    assert code == 2 and "both outcomes" in err, err


def test_compare_command_and_one_group_refusal(sim_cohorts, tmp_path, capsys):
    expr, clin = sim_cohorts[0].split(":")
    out = tmp_path / "cmp"
    code, _, err = _run(capsys, "compare", "--expr", expr, "--unit", "tpm", "--clinical", clin,
                        "-o", str(out))
    assert code == 0, err
    a = pd.read_csv(out / "associations.tsv", sep="\t")
    assert list(a.columns[:9]) == ["feature", "n_r", "n_nr", "auc", "auc_ci_low",
                                   "auc_ci_high", "p_value", "q_value", "direction"]
    assert (out / "survival.tsv").is_file() and not (out / "figures").exists()
    assert "plotly" in (out / "report.html").read_text()  # the report's interactive figures
    out_fig = tmp_path / "cmp_fig"
    code, _, err = _run(capsys, "compare", "--expr", expr, "--unit", "tpm", "--clinical", clin,
                        "--figures", "png,svg", "-o", str(out_fig))
    assert code == 0, err
    names = {p.name for p in (out_fig / "figures").iterdir()}
    assert {"auc_forest.png", "auc_forest.svg"} <= names
    code, _, err = _run(capsys, "compare", "--expr", expr, "--unit", "tpm", "--clinical", clin,
                        "--figures", "gif", "-o", str(tmp_path / "cmp_gif"))
    assert code == 2 and "--figures" in err
    only_r = tmp_path / "only_r.tsv"
    c = pd.read_csv(clin, sep="\t").assign(response="R", recist="PR")
    c.to_csv(only_r, sep="\t", index=False)
    out2 = tmp_path / "cmp2"
    code, _, err = _run(capsys, "compare", "--expr", expr, "--unit", "tpm", "--clinical",
                        str(only_r), "-o", str(out2))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert not out2.exists()


def test_predict_tide_receives_the_read_matrix(tmp_path, capsys, monkeypatch):
    """``predict --model tide`` hands TIDE the expression it read, log2(TPM+1) centred per gene."""
    import importlib.machinery
    import sys
    import types

    seen = {}

    def fake_tide(centred, *, cancer, pretreat, vthres):
        seen["frame"] = centred
        return pd.DataFrame({"TIDE": centred.mean(axis=0)})

    pkg = types.ModuleType("tidepy")
    pkg.__spec__ = importlib.machinery.ModuleSpec("tidepy", None)
    pred = types.ModuleType("tidepy.pred")
    pred.TIDE = fake_tide
    monkeypatch.setitem(sys.modules, "tidepy", pkg)
    monkeypatch.setitem(sys.modules, "tidepy.pred", pred)
    m = _matrix()
    expr = _write(tmp_path, m)
    code, _, err = _run(capsys, "predict", "--expr", str(expr), "--unit", "tpm",
                        "--model", "tide", "-o", str(tmp_path / "out"))
    assert code == 0, err
    # independent reference: log2(TPM + 1) of the file, each gene centred across samples
    log = np.log2(m.astype(float) + 1.0)
    expected = log.sub(log.mean(axis=1), axis=0)
    got = seen["frame"].loc[expected.index, expected.columns]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-4)


def test_time_unit_option_reads_survival_of_an_unnamed_unit(tmp_path, capsys):
    expr = _write(tmp_path, _matrix())
    samples = list(_matrix().columns)
    clin = tmp_path / "clin.tsv"
    pd.DataFrame({"sample_id": samples, "recist": ["CR", "PD"] * (len(samples) // 2),
                  "Overall.Survival": np.arange(1, len(samples) + 1) * 100.0,
                  "Vital.Status": ["Dead", "Alive"] * (len(samples) // 2)}).to_csv(
        clin, sep="\t", index=False)
    code, _, err = _run(capsys, "compare", "--clinical", str(clin), "--expr", str(expr),
                        "--time-col", "Overall.Survival", "--event-col", "Vital.Status",
                        "-o", str(tmp_path / "no_unit"))
    assert code == 2 and "fix: give the unit: --time-unit days" in err
    code, _, err = _run(capsys, "compare", "--clinical", str(clin), "--expr", str(expr),
                        "--time-unit", "days", "-o", str(tmp_path / "days"))
    assert code == 0, err
    run = json.loads((tmp_path / "days" / "run.json").read_text())
    os_info = run["inputs"]["clinical"]["os"]
    assert os_info["time_col"] == "Overall.Survival" and os_info["time_unit"] == "days"


def test_list_kinds_are_read_singular_or_plural(capsys):
    def listed(*args: str) -> list[str]:
        code = main(list(args))
        out = capsys.readouterr().out.splitlines()
        assert code == 0
        return out

    mechanisms = listed("kb", "list", "--kind", "mechanisms")
    assert len(mechanisms) > 10 and all(r.split("\t")[1] == "mechanism" for r in mechanisms[1:])
    assert listed("kb", "list", "--kind", "Mechanism") == mechanisms
    pathways = listed("signatures", "list", "--kind", "pathway")
    assert len(pathways) > 10 and all(r.split("\t")[1] == "pathway" for r in pathways[1:])
    assert listed("signatures", "list", "--kind", "pathways") == pathways
