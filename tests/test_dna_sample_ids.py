"""A DNA input whose sample ids match none of the run's samples is refused, not added."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunescape._sample_ids import check_input_samples, example_pair
from immunescape.cli import main
from immunescape.errors import InputError

GENES = ["GZMA", "PRF1", "CD274", "IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA",
         "CD8A", "B2M", "ACTB", "GAPDH", "PTEN", "VEGFA"]
SAMPLES = [f"Pt{i}" for i in range(1, 7)]


def _inputs(tmp_path: Path, loh_ids: list[str]) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(0)
    expr = tmp_path / "expr.tsv"
    pd.DataFrame(np.round(np.exp(rng.normal(3, 1.5, (len(GENES), len(SAMPLES)))), 3),
                 index=GENES, columns=SAMPLES).to_csv(expr, sep="\t", index_label="gene")
    maf = tmp_path / "muts.maf"
    pd.DataFrame({"Tumor_Sample_Barcode": SAMPLES, "Hugo_Symbol": "B2M",
                  "Variant_Classification": "Frame_Shift_Del", "HGVSp_Short": "p.L13fs"}
                 ).to_csv(maf, sep="\t", index=False)
    loh = tmp_path / "loh.tsv"
    rows = [f"{s}\t{a}\t{cn}\t0.001" for s in loh_ids
            for a, cn in (("A*02:01", 0.2), ("A*24:02", 1.4))]
    loh.write_text("sample_id\tallele\tcopy_number\tp_value\n" + "\n".join(rows) + "\n")
    return expr, maf, loh


def _run(tmp_path: Path, capsys, loh_ids: list[str]) -> tuple[int, str, Path]:
    expr, maf, loh = _inputs(tmp_path, loh_ids)
    out = tmp_path / "out"
    code = main(["run", "--expr", str(expr), "--maf", str(maf), "--capture-mb", "35",
                 "--tmb-assay", "exome", "--hla-loh", str(loh), "-o", str(out)])
    return code, capsys.readouterr().err, out


def test_hla_loh_ids_matching_no_sample_are_refused(tmp_path, capsys):
    code, err, out = _run(tmp_path, capsys, [f"{s}_pre" for s in SAMPLES])
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "--hla-loh" in lines[0] and "loh.tsv" in lines[0]
    assert "'Pt1_pre' vs 'Pt1'" in lines[0] and "fix:" in lines[0]
    assert not out.exists()


def test_hla_loh_ids_matching_some_samples_are_used_with_a_warning(tmp_path, capsys):
    code, err, out = _run(tmp_path, capsys, ["Pt1", "Pt2", "Pt9"])
    assert code == 0, err
    warning = [ln for ln in err.splitlines() if "--hla-loh" in ln]
    assert len(warning) == 1 and "1 of 3" in warning[0] and "'Pt9'" in warning[0]
    mech = pd.read_csv(out / "mechanisms.tsv", sep="\t")
    assert set(mech["sample_id"].astype(str)) == set(SAMPLES) | {"Pt9"}


def test_matching_hla_loh_reaches_the_samples_silently(tmp_path, capsys):
    code, err, out = _run(tmp_path, capsys, SAMPLES)
    assert code == 0 and "warning" not in err, err
    hla = pd.read_csv(out / "hla.tsv", sep="\t").set_index("sample_id")
    assert hla.loc["Pt1", "hla_loh"]  # A*02:01 at copy number 0.2, p 0.001: lost


def test_without_expression_an_input_disjoint_from_the_others_is_refused(tmp_path, capsys):
    _, maf, loh = _inputs(tmp_path, ["S1", "S2"])
    code = main(["run", "--maf", str(maf), "--capture-mb", "35", "--hla-loh", str(loh),
                 "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "--hla-loh" in err and "other DNA inputs" in err


@pytest.mark.parametrize(("ids", "others", "pair"), [
    (["Pt101_on", "Pt101_pre"], ["Pt1", "Pt101", "Pt10"], ("Pt101_on", "Pt101")),
    (["pt7"], ["Pt7", "Pt1"], ("pt7", "Pt7")),
    (["S1"], ["Pt1"], ("S1", "Pt1")),
    # separators differ: the same letters and digits are the closest pair
    (["TCGA.AB.2802", "TCGA.AB.2805"], ["TCGA-AB-2801", "TCGA-AB-2805"],
     ("TCGA.AB.2805", "TCGA-AB-2805")),
    # no id contains another: the most similar pair, not the first of each side
    (["patient_07", "patient_09"], ["Alpha", "Pat-7"], ("patient_07", "Pat-7")),
])
def test_the_example_pair_shows_look_alike_ids(ids, others, pair):
    assert example_pair(ids, others) == pair


def test_no_overlap_raises_and_full_overlap_is_silent():
    with pytest.raises(InputError, match="--cna c.tsv: none of its 2 sample ids"):
        check_input_samples(["a", "b"], ["c"], option="--cna", source="c.tsv",
                            others_name="expression matrix")
    assert check_input_samples(["a"], ["a", "b"], option="--cna", source="c.tsv",
                               others_name="expression matrix") is None


def _genomics(tmp_path: Path, capsys, loh_ids: list[str], command: str = "genomics"):
    expr, maf, loh = _inputs(tmp_path, loh_ids)
    out = tmp_path / f"out_{command}"
    code = main([command, "--expr", str(expr), "--maf", str(maf), "--capture-mb", "35",
                 "--tmb-assay", "exome", "--hla-loh", str(loh), "-o", str(out)])
    return code, capsys.readouterr().err, out


def test_genomics_with_expression_refuses_a_dna_input_as_run_does(tmp_path, capsys):
    # the MAF matches every expression sample, the LOH file none: run refuses it, and so
    # must genomics --expr (it once checked the union of the DNA inputs and only warned)
    ids = [f"{s}_pre" for s in SAMPLES]
    code, err, out = _genomics(tmp_path, capsys, ids)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and not out.exists(), err
    assert "--hla-loh" in lines[0] and "'Pt1_pre' vs 'Pt1'" in lines[0]
    run_code, run_err, _ = _genomics(tmp_path, capsys, ids, command="run")
    assert run_code == 2 and run_err == err  # the same line


def test_genomics_with_expression_warns_about_a_partial_dna_input(tmp_path, capsys):
    code, err, out = _genomics(tmp_path, capsys, ["Pt1", "Pt2", "Pt9"])
    assert code == 0, err
    warning = [ln for ln in err.splitlines() if "--hla-loh" in ln]
    assert len(warning) == 1 and "1 of 3" in warning[0] and "'Pt9'" in warning[0]
    import json

    run = json.loads((out / "run.json").read_text())
    assert any("--hla-loh" in w and "'Pt9'" in w for w in run["warnings"])
    code, err, _ = _genomics(tmp_path, capsys, SAMPLES, command="genomics")
    assert code == 0 and "warning" not in err, err


def test_clinical_ids_matching_no_sample_are_shown_beside_their_look_alike(tmp_path, capsys):
    expr, _, _ = _inputs(tmp_path, [])
    clin = tmp_path / "clin.tsv"
    clin.write_text("sample_id\tbest_response\n" + "".join(
        f"{s}_x\t{r}\n" for s, r in zip(SAMPLES[::-1], ["CR", "PD"] * 3, strict=True)))
    code = main(["run", "--expr", str(expr), "--clinical", str(clin), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "(e.g. clinical 'Pt1_x' vs 'Pt1')" in err, err
