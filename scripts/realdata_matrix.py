"""Run every command on every real dataset in ../shared/data and print a status table.

Each cell is one CLI invocation (run in-process through ``immunescape.cli.main``):

- ``ok`` — exit 0;
- ``refused: <message>`` — exit 2 with one line (right when the data cannot answer, e.g. a
  cohort with one response class; wrong when valid data is refused);
- ``ERROR: <message>`` — exit 1 (an internal error: always a defect).

Usage::

    python scripts/realdata_matrix.py [--data ../shared/data] [--only REGEX] [--skip-train]
        [--tsv FILE]

Exits 1 when any cell is an ERROR, so it can gate a release. The CI test suite runs a
representative subset of the same cases (``tests/test_realdata_matrix.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PREDICTIOR_WT = [
    "Riaz2017_melanoma_PD1", "Hugo2016_melanoma_PD1", "VanAllen2015_melanoma_CTLA4",
    "Nathanson2017_melanoma_CTLA4", "Miao2018_RCC_PD1", "Jung2019_NSCLC_PD1_males",
    "Snyder2017_UC_PDL1_males", "Zhao2019_GBM_PD1", "Padron2022_PDAC_PD1",
]  # fmt: skip
PREDICTIOR_PANEL = [
    "JerbyArnon2018_melanoma_PD1_panel566", "Hwang2020_NSCLC_PD1_panel383",
    "Roh2017_melanoma_CTLA4_panel721", "VanDenEnde2021_esophageal_PD1_panel1364",
]  # fmt: skip
IMPRES = [
    "Auslander2018_MGH_IMPRES", "Chen2016_Wargo_IMPRES_NanoString", "Hugo2016_IMPRES_FPKM",
    "Prat2017_GSE93157_IMPRES_NanoString", "Riaz2017_IMPRES_TIMCHAN_counts",
    "TCGA_SKCM_ipilimumab_IMPRES", "VanAllen2015_IMPRES",
]  # fmt: skip
LORIS = ["Chowell_train", "Kato_panCancer", "MSK1", "MSK2", "MSK_nonICB", "Shim_NSCLC",
         "Vanguri_NSCLC"]  # fmt: skip
RNA_MODELS = ["impres", "gep", "cyt", "ifng6", "cd274", "builtin"]


@dataclass
class Case:
    """One CLI invocation of the matrix."""

    dataset: str
    command: str
    argv: list[str] = field(default_factory=list)


def cases(data: Path, *, train: bool = True) -> list[Case]:
    """Every (dataset, command) pair of the matrix, with its argument list (no ``-o``)."""
    out: list[Case] = []
    pio = data / "predictior_icb"
    for name in PREDICTIOR_WT + PREDICTIOR_PANEL:
        expr, clin = str(pio / f"{name}_expr_log2tpm.tsv.gz"), str(pio / f"{name}_clinical.tsv")
        base = ["--expr", expr, "--clinical", clin]
        out.append(Case(name, "score", ["score", expr]))
        out.append(Case(name, "run", ["run", *base]))
        out.append(Case(name, "compare", ["compare", *base]))
        for end in ("os", "pfs"):
            out.append(Case(name, f"compare {end}", [
                "compare", *base, "--response-col", "response", "--response-rule", "binary",
                "--time-col", f"survival_time_{end}", "--event-col", f"event_occurred_{end}"]))
        for model in RNA_MODELS:
            out.append(Case(name, f"predict {model}", ["predict", "--model", model, *base]))
    if train:
        def specs(names: list[str]) -> list[str]:
            return [a for n in names for a in
                    ("--cohort", f"{pio / n}_expr_log2tpm.tsv.gz:{pio / n}_clinical.tsv")]

        # the curated feature set needs whole-transcriptome cohorts; a panel lacks its genes
        out.append(Case("predictior (9 whole-transcriptome)", "train",
                        ["train", *specs(PREDICTIOR_WT)]))
        out.append(Case("predictior (13 cohorts)", "evaluate",
                        ["evaluate", *specs(PREDICTIOR_WT + PREDICTIOR_PANEL)]))
    imp = data / "impres_auslander2018_matlab_cohorts"
    for name in IMPRES:
        expr, clin = str(imp / f"{name}_expr.tsv.gz"), str(imp / f"{name}_clinical.tsv")
        out.append(Case(name, "score", ["score", expr]))
        out.append(Case(name, "run", ["run", "--expr", expr, "--clinical", clin]))
        out.append(Case(name, "compare", ["compare", "--expr", expr, "--clinical", clin]))
        if name == "Riaz2017_IMPRES_TIMCHAN_counts":  # pre- and on-treatment samples
            out.append(Case(name, "compare one-per-patient pre", [
                "compare", "--expr", expr, "--clinical", clin, "--one-per-patient", "pre"]))
        out.append(Case(name, "predict impres",
                        ["predict", "--model", "impres", "--expr", expr, "--clinical", clin]))
    riaz = data / "riaz2017_bms038"
    maf = str(riaz / "pre_therapy_nonsynonmous_mutations.csv")
    r_expr = str(pio / "Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz")
    r_clin = str(pio / "Riaz2017_melanoma_PD1_clinical.tsv")
    out.append(Case("riaz2017_bms038 mutations", "genomics",
                    ["genomics", "--maf", maf, "--capture-mb", "30"]))
    out.append(Case("riaz2017_bms038 mutations", "run",
                    ["run", "--expr", r_expr, "--maf", maf, "--capture-mb", "30",
                     "--clinical", r_clin]))
    out.append(Case("riaz2017_bms038 mutations", "compare",
                    ["compare", "--maf", maf, "--capture-mb", "30", "--clinical",
                     str(riaz / "bms038_clinical_data.csv"), "--sample-col", "PatientID"]))
    out.append(Case("riaz2017_bms038 mutations", "predict tmb",
                    ["predict", "--model", "tmb", "--maf", maf, "--capture-mb", "30"]))
    hugo = str(data / "hugo2016" / "patient_info_with_mutations.txt")
    h_expr = str(pio / "Hugo2016_melanoma_PD1_expr_log2tpm.tsv.gz")
    out.append(Case("hugo2016 patient table", "run", ["run", "--expr", h_expr, "--clinical", hugo]))
    out.append(Case("hugo2016 patient table", "compare",
                    ["compare", "--expr", h_expr, "--clinical", hugo]))
    lor = data / "loris_chowell_msk_tmb"
    for name in LORIS:
        sheet = str(lor / f"AllData__{name}.csv")
        for model in ("loris_pancancer", "loris_nsclc", "tmb"):
            out.append(Case(f"LORIS {name}", f"predict {model}",
                            ["predict", "--model", model, "--clinical", sheet]))
    imv = data / "imvigor210_phenotype_dev"
    i_expr = str(imv / "imvigor210_dev_expr_zscore_panel.tsv.gz")
    i_clin = str(imv / "imvigor210_dev_phenotype.tsv")
    out.append(Case("imvigor210_phenotype_dev", "score", ["score", i_expr, "--unit", "zscore"]))
    out.append(Case("imvigor210_phenotype_dev", "run",
                    ["run", "--expr", i_expr, "--unit", "zscore", "--clinical", i_clin]))
    return out


def run_case(case: Case, workdir: Path) -> tuple[str, float]:
    """Run one case in-process; return its status text and seconds."""
    from immunescape.cli import main

    out = workdir / "out"
    err = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*case.argv, "-o", str(out)])
    seconds = time.perf_counter() - t0
    if out.is_dir():
        shutil.rmtree(out, ignore_errors=True)
    else:
        out.unlink(missing_ok=True)  # train writes a model file
    lines = [ln for ln in err.getvalue().splitlines() if "error" in ln.lower()]
    msg = (lines[-1] if lines else err.getvalue().strip()[-300:]).replace("immunescape: ", "")
    if code == 0:
        return "ok", seconds
    if code == 2:
        return f"refused: {msg}", seconds
    return f"ERROR (exit {code}): {msg}", seconds


def main(argv: list[str] | None = None) -> int:
    """Run the matrix and print a Markdown table; exit 1 if any cell is an internal error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--only", default=None, help="Regex on 'dataset command'.")
    parser.add_argument("--skip-train", action="store_true", help="Leave out train/evaluate.")
    parser.add_argument("--tsv", type=Path, default=None, help="Also write the table as TSV.")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"realdata_matrix: {args.data} is not a directory", file=sys.stderr)
        return 2
    todo = cases(args.data, train=not args.skip_train)
    if args.only:
        todo = [c for c in todo if re.search(args.only, f"{c.dataset} {c.command}")]
    rows = []
    print("| dataset | command | result | seconds |\n|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory(prefix="immunescape-matrix-") as tmp:
        for case in todo:
            status, seconds = run_case(case, Path(tmp))
            rows.append((case.dataset, case.command, status, seconds))
            print(f"| {case.dataset} | {case.command} | {status} | {seconds:.1f} |", flush=True)
    n_err = sum(r[2].startswith("ERROR") for r in rows)
    n_ref = sum(r[2].startswith("refused") for r in rows)
    print(f"\n{len(rows)} cases: {len(rows) - n_err - n_ref} ok, {n_ref} refused, {n_err} errors")
    if args.tsv:
        args.tsv.write_text("dataset\tcommand\tresult\tseconds\n" + "".join(
            f"{d}\t{c}\t{s}\t{t:.1f}\n" for d, c, s, t in rows))
    return 1 if n_err else 0


if __name__ == "__main__":
    sys.exit(main())
