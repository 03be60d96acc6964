"""Resolution rates on the gene columns of real ICB cohorts (../shared/data; skipped if absent).

Measured with org.Hs.eg.db 3.16 (rates in the assertions are floors a little under them):

- Riaz 2017 (PredictioR): 19,961 ids, 97.41 % resolved; the 19,355 named ids 99.96 %
  (8 ambiguous, none unknown); the 606 Ensembl ids PredictioR left unnamed 16.0 % (97), the
  rest being Ensembl genes NCBI does not cross-reference (mostly lncRNAs).
- Full-transcriptome PredictioR cohorts with GENCODE clone names (Miao, Snyder, Van Allen,
  Zhao): 94.7-94.9 % of all ids, 99.36 % of ids that are not clone names (RP11-..., AC0...).
"""

from __future__ import annotations

import pandas as pd
import pytest

from immunescape.genes import resolve_identifiers

pytestmark = pytest.mark.realdata

# GENCODE/Havana clone-based names and ENSG ids: NCBI Gene does not carry clone names
CLONE_OR_ENSEMBL = r"^(?:ENSG|RP\d+-|CT[ABCD]-|XX[a-z]+-|[A-Z]{2}\d{6}\.\d+)"

# checkpoint and cytotoxicity genes every transcriptome cohort must resolve
KEY_GENES = ["CD274", "PDCD1", "CTLA4", "GZMA", "PRF1", "IFNG", "CXCL9", "HLA-A", "B2M", "VSIR"]


def _gene_column(path) -> pd.Series:
    return pd.read_csv(path, sep="\t", usecols=[0]).iloc[:, 0]


def test_riaz2017_resolution_rate(shared_data):
    genes = _gene_column(
        shared_data / "predictior_icb" / "Riaz2017_melanoma_PD1_expr_log2tpm.tsv.gz"
    )
    res = resolve_identifiers(genes.tolist())
    table = res.table
    assert len(res) == 19_961
    assert res.rate >= 0.97, res.counts()

    named = table[~table["input"].str.startswith("ENSG")]
    named_rate = named["symbol"].notna().mean()
    assert named_rate >= 0.999, named_rate
    assert (named["status"] != "unresolved").all(), named.loc[
        named["status"] == "unresolved", "input"
    ].tolist()

    ensembl = table[table["input"].str.startswith("ENSG")]
    assert len(ensembl) == 606
    ensembl_rate = ensembl["symbol"].notna().mean()
    assert ensembl_rate >= 0.15, ensembl_rate
    assert set(ensembl.loc[ensembl["symbol"].notna(), "status"]) == {"ensembl"}

    # the signature genes renamed by HGNC are present under their current symbols
    mapping = res.mapping
    for symbol in ["VSIR", "CCN2", "NRDE2", "NOCT", "CAVIN2", "IARS1", "DARS1", "RACK1"]:
        assert mapping.get(symbol) == symbol
    # mitochondrial genes are found under HGNC's MT- symbols
    assert mapping["MT-CO1"] == "MT-CO1"


@pytest.mark.parametrize(
    ("cohort", "floor_all", "floor_named"),
    [
        ("Hugo2016_melanoma_PD1", 0.97, 0.999),
        ("Nathanson2017_melanoma_CTLA4", 0.98, 0.999),
        ("Padron2022_PDAC_PD1", 0.999, 0.999),
        ("Miao2018_RCC_PD1", 0.94, 0.99),
        ("Snyder2017_UC_PDL1_males", 0.94, 0.99),
        ("VanAllen2015_melanoma_CTLA4", 0.94, 0.99),
        ("Zhao2019_GBM_PD1", 0.94, 0.99),
    ],
)
def test_transcriptome_cohorts(shared_data, cohort, floor_all, floor_named):
    genes = _gene_column(shared_data / "predictior_icb" / f"{cohort}_expr_log2tpm.tsv.gz")
    res = resolve_identifiers(genes.tolist())
    assert res.rate >= floor_all, (cohort, res.rate, res.counts())
    named = res.table[~res.table["input"].str.match(CLONE_OR_ENSEMBL)]
    assert named["symbol"].notna().mean() >= floor_named, (cohort, res.counts())
    resolved = set(res.table["symbol"].dropna())
    assert set(KEY_GENES) <= resolved, set(KEY_GENES) - resolved


@pytest.mark.parametrize(
    "name",
    [
        "Auslander2018_MGH_IMPRES",
        "Hugo2016_IMPRES_FPKM",
        "Riaz2017_IMPRES_TIMCHAN_counts",
        "TCGA_SKCM_ipilimumab_IMPRES",
        "VanAllen2015_IMPRES",
    ],
)
def test_older_symbol_matrices(shared_data, name):
    """Matrices annotated with older symbols: outdated ones resolve through aliases."""
    folder = shared_data / "impres_auslander2018_matlab_cohorts"
    genes = _gene_column(folder / f"{name}_expr.tsv.gz")
    res = resolve_identifiers(genes.tolist())
    assert res.rate >= 0.997, (name, res.rate, res.counts())
    assert res.counts()["alias"] >= 400
    # IMPRES needs VSIR (C10orf54 in these matrices)
    assert "VSIR" in set(res.table["symbol"].dropna())
