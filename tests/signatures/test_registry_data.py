"""The signature registry data files: schema, required ids, and the published facts they hold.

Reference values typed below come from the primary publications (and the authors' code where
named); they are independent of the YAML files they check. When the project's shared design
notes (``../shared/docs/signatures.md``) are present, the registry is also cross-checked against
them; when the offline gene resolver is importable, every registry gene must be a current symbol.
"""

from __future__ import annotations

import gzip
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from immunescape.signatures.schema import RegistryFile, Signature

REPO = Path(__file__).resolve().parents[2]
SHARED_SIGNATURES_MD = REPO.parent / "shared" / "docs" / "signatures.md"
DOCS_TABLE = REPO / "docs" / "signatures.md"


# ----------------------------------------------------------------------------- loading
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicated mapping keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        dups = {k for k in keys if keys.count(k) > 1}
        if dups:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicated keys {sorted(map(str, dups))}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


def _data_files() -> list[tuple[str, str]]:
    data = resources.files("immunescape.signatures") / "data"
    return sorted(
        (p.name, p.read_text(encoding="utf-8")) for p in data.iterdir() if p.name.endswith(".yaml")
    )


FILES = _data_files()
PARSED: dict[str, RegistryFile] = {
    name: RegistryFile.model_validate(yaml.load(text, Loader=_UniqueKeyLoader))
    for name, text in FILES
}
SIGS: dict[str, Signature] = {s.id: s for rf in PARSED.values() for s in rf.signatures}

COHORT_METHODS = {"pc1", "mean_z", "mean_rank", "jerby_oe", "ssgsea"}
PER_SAMPLE_METHODS = {"weighted_mean", "geometric_mean", "gene_pairs", "ips", "single_gene",
                      "singscore"}


def _scored_genes(sig: Signature) -> list[str]:
    """Distinct genes a signature scores (housekeeping genes only normalise: excluded)."""
    hk = set(sig.params.get("housekeeping") or ())
    return [g for g in sig.all_genes() if g not in hk]


def _resolver():
    from immunescape.genes import resolve_identifiers  # part of the package: must import

    return resolve_identifiers


# ----------------------------------------------------------------------------- structure
def test_there_are_data_files():
    assert len(FILES) >= 10


@pytest.mark.parametrize("name", [n for n, _ in FILES])
def test_each_file_validates_and_is_versioned(name):
    text = dict(FILES)[name]
    rf = RegistryFile.model_validate(yaml.load(text, Loader=_UniqueKeyLoader))
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", rf.version), rf.version
    assert rf.description
    assert rf.signatures


def test_ids_are_unique_across_files():
    ids = [s.id for rf in PARSED.values() for s in rf.signatures]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    assert not dups


REQUIRED = [
    "cyt", "ifng6", "ifng10", "expanded_immune18", "gep18", "impres", "msi_pairs", "ips",
    "roh_is", "davoli_is", "tls9", "chemokine12", "cd8_teff", "apm", "immune_checkpoint",
    "pan_ftbrs", "emt1", "emt2", "emt3", "wnt_target", "jerby_resistance",
]
REQUIRED_GENES = [
    "CD274", "PDCD1LG2", "HAVCR2", "LGALS9", "LAG3", "VSIR", "IDO1", "NT5E", "VEGFA", "FOXP3",
    "MITF", "AXL", "EZH2", "B2M", "PTEN", "HLA-A", "HLA-B", "HLA-C",
]


@pytest.mark.parametrize("sid", REQUIRED + [f"gene_{g}" for g in REQUIRED_GENES])
def test_required_id_present(sid):
    assert sid in SIGS


def test_no_progeny_entries_here():
    # PROGENy is generated from the R package's model by immunescape.pathways.
    assert not [s.id for s in SIGS.values() if s.method == "progeny"]


@pytest.mark.parametrize("sid", sorted(SIGS))
def test_entry_is_complete_and_consistent(sid):
    s = SIGS[sid]
    assert s.citation and re.search(r"(19|20)\d\d", s.citation), "citation needs a year"
    if s.kind == "signature":  # single genes cite the evidence the knowledge base relies on
        assert s.pmid or s.doi, "cite a PMID or DOI"
    if s.pmid:
        assert s.pmid.isdigit()
    assert s.source, "say where the list was verified"
    assert 0 < s.min_coverage <= 1
    if s.method in COHORT_METHODS:
        assert s.scope == "cohort_relative"
    if s.method in PER_SAMPLE_METHODS:
        assert s.scope == "per_sample"
    if s.method == "single_gene":
        assert s.kind == "gene" and s.id == f"gene_{s.genes[0]}" and s.min_coverage == 1.0
    else:
        assert s.kind == "signature"
    for g in s.all_genes():
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-]*", g), g


@pytest.mark.parametrize("sid", sorted(s for s in SIGS if SIGS[s].aliases))
def test_aliases_point_from_published_to_scored_symbols(sid):
    s = SIGS[sid]
    genes = set(s.all_genes())
    for published, current in s.aliases.items():
        assert published != current
        assert current in genes, f"{published} -> {current}: {current} is not scored"
        assert published not in genes, f"{published} is outdated but still scored"


# ----------------------------------------------------------------------------- published facts
# Cristescu et al. 2018, Science (PMID 30309915), supplementary table of GEP weights.
GEP_WEIGHTS = {
    "CCL5": 0.008346, "CD27": 0.072293, "CD274": 0.042853, "CD276": -0.0239, "CD8A": 0.031021,
    "CMKLR1": 0.151253, "CXCL9": 0.074135, "CXCR6": 0.004313, "HLA-DQA1": 0.020091,
    "HLA-DRB1": 0.058806, "HLA-E": 0.07175, "IDO1": 0.060679, "LAG3": 0.123895, "NKG7": 0.075524,
    "PDCD1LG2": 0.003734, "PSMB10": 0.032999, "STAT1": 0.250229, "TIGIT": 0.084767,
}
GEP_HOUSEKEEPING = {"STK11IP", "ZBTB34", "TBC1D10B", "OAZ1", "POLR2A", "G6PD", "ABCF1",
                    "NRDE2", "UBB", "TBP", "SDHA"}  # NRDE2 published as C14orf102

# Auslander et al. 2018, Nat Med (PMID 30127394): gene1 > gene2 as in getIMPRES.m.
IMPRES_PAIRS = [
    ("PDCD1", "TNFSF4"), ("CD27", "PDCD1"), ("CTLA4", "TNFSF4"), ("CD40", "CD28"),
    ("CD86", "TNFSF4"), ("CD28", "CD86"), ("CD80", "TNFSF9"), ("CD274", "VSIR"),
    ("CD86", "HAVCR2"), ("CD40", "PDCD1"), ("CD86", "CD200"), ("CD40", "CD80"),
    ("CD28", "CD276"), ("CD40", "CD274"), ("TNFRSF14", "CD86"),
]
# Fu et al. 2019, BMC Genomics (as used by easier); NOCT published as CCRN4L.
MSI_PAIRS = [
    ("HNRNPL", "CDC16"), ("MTA2", "VGF"), ("CALR", "SEC22B"), ("RASL11A", "CAB39L"),
    ("LYG1", "DHRS12"), ("STRN3", "TMEM192"), ("HPSE", "BCAS3"), ("PRPF39", "ATF6"),
    ("NOCT", "GRM8"), ("AMFR", "DUSP18"),
]


def test_cyt_is_rooney_geometric_mean():
    s = SIGS["cyt"]
    assert (s.method, s.genes, s.params.get("pseudocount")) == (
        "geometric_mean", ["GZMA", "PRF1"], 0.01)
    assert (s.scope, s.direction, s.min_coverage, s.pmid) == (
        "per_sample", "response", 1.0, "25594174")


def test_gep18_weights_and_housekeeping_match_cristescu():
    s = SIGS["gep18"]
    assert s.method == "weighted_mean"
    assert s.weights == GEP_WEIGHTS
    assert sorted(s.genes) == sorted(GEP_WEIGHTS)
    assert set(s.params["housekeeping"]) == GEP_HOUSEKEEPING
    assert len(s.params["housekeeping"]) == 11
    assert s.aliases.get("C14orf102") == "NRDE2"


def test_unweighted_ayers_sets():
    for sid in ("ifng6", "ifng10", "expanded_immune18"):
        s = SIGS[sid]
        assert s.method == "weighted_mean" and s.weights is None and not s.params
    assert set(SIGS["ifng6"].genes) == {"IFNG", "STAT1", "IDO1", "CXCL9", "CXCL10", "HLA-DRA"}
    assert len(SIGS["ifng10"].genes) == 10
    assert len(SIGS["expanded_immune18"].genes) == 18


def test_impres_pairs_and_orientation():
    s = SIGS["impres"]
    assert [tuple(p) for p in s.pairs] == IMPRES_PAIRS
    assert s.min_coverage == 1.0 and s.params.get("rescale") is False


def test_msi_pairs():
    s = SIGS["msi_pairs"]
    assert [tuple(p) for p in s.pairs] == MSI_PAIRS
    assert s.aliases == {"CCRN4L": "NOCT"}


# Charoentong et al. 2017 (PMID 28052254), IPS.R: groups indexed by position.
IPS_LAYOUT = (
    [("MHC", 1.0, g) for g in ["B2M", "TAP1", "TAP2", "HLA-A", "HLA-B", "HLA-C", "HLA-DPA1",
                               "HLA-DPB1", "HLA-E", "HLA-F"]]
    + [("CP", w, g) for g, w in [("PDCD1", -1.0), ("CTLA4", -1.0), ("LAG3", -1.0),
                                 ("TIGIT", -1.0), ("HAVCR2", -1.0), ("CD274", -1.0),
                                 ("PDCD1LG2", -1.0), ("CD27", 1.0), ("ICOS", 1.0),
                                 ("IDO1", -1.0)]]
)
IPS_CELL_GROUPS = [("EC", 1.0, "Act CD4", 24), ("EC", 1.0, "Act CD8", 26),
                   ("EC", 1.0, "Tem CD4", 27), ("EC", 1.0, "Tem CD8", 25),
                   ("SC", -1.0, "MDSC", 20), ("SC", -1.0, "Treg", 20)]


@pytest.mark.parametrize("sid", [s for s in SIGS if SIGS[s].method == "ips"])
def test_ips_has_26_groups_in_the_original_order(sid):
    groups = SIGS[sid].groups
    assert len(groups) == 26
    assert [(g.category, g.weight, g.genes) for g in groups[:20]] == [
        (c, w, [gene]) for c, w, gene in IPS_LAYOUT]
    assert [(g.category, g.weight, g.name, len(g.genes)) for g in groups[20:]] == IPS_CELL_GROUPS
    memberships = [gene for g in groups for gene in g.genes]
    assert len(memberships) == 162 and len(set(memberships)) == 160
    for g in groups:
        assert len(set(g.genes)) == len(g.genes)


def test_ips_components_share_the_groups():
    base = SIGS["ips"].groups
    for sid, output in [("ips_az", "az"), ("ips_mhc", "MHC"), ("ips_cp", "CP"),
                        ("ips_ec", "EC"), ("ips_sc", "SC")]:
        assert SIGS[sid].groups == base
        assert SIGS[sid].params["output"] == output
    assert SIGS["ips"].params["output"] == "ips"


def test_mariathasan_sets_are_sign_aligned_pc1():
    for sid in ("cd8_teff", "apm", "immune_checkpoint", "pan_ftbrs", "emt1", "emt2", "emt3",
                "wnt_target"):
        assert SIGS[sid].method == "pc1" and SIGS[sid].scope == "cohort_relative"
    assert len(SIGS["pan_ftbrs"].genes) == 19 and SIGS["pan_ftbrs"].direction == "resistance"
    assert SIGS["pan_ftbrs"].aliases == {"CTGF": "CCN2", "FAM101B": "RFLNB"}
    assert SIGS["apm"].genes == ["B2M", "HLA-A", "HLA-B", "HLA-C", "TAP1", "TAP2"]


def test_other_core_scores():
    assert len(SIGS["roh_is"].genes) == 41 and SIGS["roh_is"].method == "geometric_mean"
    assert SIGS["davoli_is"].method == "mean_rank"
    assert SIGS["davoli_is"].genes == ["CD247", "CD2", "CD3E", "GZMH", "NKG7", "PRF1", "GZMK"]
    assert SIGS["tls9"].method == "geometric_mean" and "EIF1AY" in SIGS["tls9"].genes
    assert len(SIGS["chemokine12"].genes) == 12 and SIGS["chemokine12"].method == "pc1"


def test_jerby_resistance_settings_and_honest_coverage():
    s = SIGS["jerby_resistance"]
    assert (s.method, s.scope, s.direction) == ("jerby_oe", "cohort_relative", "resistance")
    assert (s.params["n_bins"], s.params["n_random"]) == (50, 1000)
    unmapped = s.params["unmapped"]
    merged = s.params["merged"]["up"]
    # Every published symbol is accounted for: scored (possibly renamed), merged or unmapped.
    assert len(s.genes) + len(unmapped["up"]) + len(merged) == s.params["published_up"]
    assert len(s.genes_down) + len(unmapped["down"]) == s.params["published_down"]
    assert not set(s.genes) & set(s.genes_down)
    for g in unmapped["up"] + unmapped["down"] + list(merged):
        assert g not in s.genes and g not in s.genes_down
    assert not [g for g in s.genes + s.genes_down if re.match(r"(LOC|FLJ|MIR)\d", g)]


# MCPcounter R package, Signatures/genes.txt (github ebecht/MCPcounter), published symbols.
MCP_PUBLISHED = {
    "mcp_t_cells": ["CD28", "CD3D", "CD3G", "CD5", "CD6", "CHRM3-AS2", "CTLA4", "FLT3LG", "ICOS",
                    "MAL", "MGC40069", "PBX4", "SIRPG", "THEMIS", "TNFRSF25", "TRAT1"],
    "mcp_cd8_t_cells": ["CD8B"],
    "mcp_cytotoxic_lymphocytes": ["CD8A", "EOMES", "FGFBP2", "GNLY", "KLRC3", "KLRC4", "KLRD1"],
    "mcp_b_lineage": ["BANK1", "CD19", "CD22", "CD79A", "CR2", "FCRL2", "IGKC", "MS4A1", "PAX5"],
    "mcp_nk_cells": ["CD160", "KIR2DL1", "KIR2DL3", "KIR2DL4", "KIR3DL1", "KIR3DS1", "NCR1",
                     "PTGDR", "SH2D1B"],
    "mcp_monocytic_lineage": ["ADAP2", "CSF1R", "FPR3", "KYNU", "PLA2G7", "RASSF4", "TFEC"],
    "mcp_myeloid_dendritic_cells": ["CD1A", "CD1B", "CD1E", "CLEC10A", "CLIC2", "WFDC21P"],
    "mcp_neutrophils": ["CA4", "CEACAM3", "CXCR1", "CXCR2", "CYP4F3", "FCGR3B", "HAL", "KCNJ15",
                        "MEGF9", "SLC25A37", "STEAP4", "TECPR2", "TLE3", "TNFRSF10C", "VNN3"],
    "mcp_endothelial_cells": ["ACVRL1", "APLN", "BCL6B", "BMP6", "BMX", "CDH5", "CLEC14A",
                              "CXorf36", "EDN1", "ELTD1", "EMCN", "ESAM", "ESM1", "FAM124B",
                              "HECW2", "HHIP", "KDR", "MMRN1", "MMRN2", "MYCT1", "PALMD", "PEAR1",
                              "PGF", "PLXNA2", "PTPRB", "ROBO4", "SDPR", "SHANK3", "SHE", "TEK",
                              "TIE1", "VEPH1", "VWF"],
    "mcp_fibroblasts": ["COL1A1", "COL3A1", "COL6A1", "COL6A2", "DCN", "GREM1", "PAMR1", "TAGLN"],
}
MCP_WITHDRAWN = {"MGC40069"}  # Entrez 348035: discontinued record, no current symbol


@pytest.mark.parametrize("sid", sorted(MCP_PUBLISHED))
def test_mcp_counter_markers_match_the_package_table(sid):
    s = SIGS[sid]
    expected = [s.aliases.get(g, g) for g in MCP_PUBLISHED[sid] if g not in MCP_WITHDRAWN]
    assert s.genes == expected
    assert (s.method, s.scope) == ("weighted_mean", "per_sample")


def test_mcdermott_sets():
    assert SIGS["mcdermott_angio"].genes == ["VEGFA", "KDR", "ESM1", "PECAM1", "ANGPTL4", "CD34"]
    assert SIGS["mcdermott_teff"].genes == ["CD8A", "EOMES", "PRF1", "IFNG", "CD274"]
    assert SIGS["mcdermott_myeloid"].genes == ["IL6", "CXCL1", "CXCL2", "CXCL3", "CXCL8", "PTGS2"]


# ----------------------------------------------------------------------------- current symbols
def test_every_registry_gene_is_a_current_symbol():
    resolve = _resolver()
    genes = sorted({g for s in SIGS.values() for g in s.all_genes()})
    table = resolve(genes).table
    bad = table[(table["status"] != "symbol") | (table["symbol"] != table["input"])]
    assert bad.empty, bad.to_string()


def test_aliases_resolve_to_the_symbol_used():
    resolve = _resolver()
    for s in SIGS.values():
        for published, current in s.aliases.items():
            # NCBI placeholder names LOC<id> are resolved through their Gene id.
            query = published[3:] if re.fullmatch(r"LOC\d+", published) else published
            row = resolve([query]).table.iloc[0]
            ok = row["symbol"] == current or (
                row["status"] == "ambiguous" and current in row["candidates"]
            )
            assert ok, f"{s.id}: {published} -> {current}, resolver says {row.to_dict()}"


def test_unmapped_jerby_symbols_really_have_no_current_gene():
    resolve = _resolver()
    unmapped = SIGS["jerby_resistance"].params["unmapped"]
    table = resolve(unmapped["up"] + unmapped["down"]).table
    assert (table["status"] == "unresolved").all(), table.to_string()
    assert resolve(sorted(MCP_WITHDRAWN)).table["status"].eq("unresolved").all()


# ----------------------------------------------------------------------------- user docs table
def _docs_rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOCS_TABLE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `([^`]+)` \|", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in line.strip().strip("|").split("|")]
    return rows


def test_docs_table_lists_every_signature_exactly():
    rows = _docs_rows()
    assert set(rows) == set(SIGS)
    for sid, cells in rows.items():
        s = SIGS[sid]
        _, _, method, unit, direction, scope, min_cov, n_genes, citation = cells
        assert (method, unit, direction, scope) == (s.method, s.input_unit, s.direction, s.scope)
        assert float(min_cov) == s.min_coverage
        assert int(n_genes.split()[0]) == len(_scored_genes(s)), sid
        if s.pmid:
            assert s.pmid in citation


# ----------------------------------------------------------------------------- design notes
def _md() -> str:
    if not SHARED_SIGNATURES_MD.is_file():
        pytest.skip(f"{SHARED_SIGNATURES_MD} is absent")
    return re.sub(r"\s+", " ", SHARED_SIGNATURES_MD.read_text(encoding="utf-8"))


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start) + len(start)
    return text[i : text.index(end, i)]


def _list(text: str) -> list[str]:
    return [g.strip().rstrip(".") for g in text.split(",") if g.strip()]


def test_cross_check_weights_pairs_against_design_notes():
    md = _md()
    weights = dict(
        (g, float(w))
        for g, w in re.findall(r"([A-Z0-9-]+) (-?0\.\d+)", _between(md, "Weights:", "Housekeeping"))
    )
    assert weights == SIGS["gep18"].weights
    hk = _list(_between(md, "Housekeeping:", ". The published").replace(" (C14orf102)", ""))
    assert set(hk) == set(SIGS["gep18"].params["housekeeping"])
    pair = r"([A-Z0-9]+)>([A-Z0-9]+)"
    impres = re.findall(pair, _between(md, "Pairs (gene1 > gene2):", "Orient"))
    assert [tuple(p) for p in SIGS["impres"].pairs] == impres
    msi = _between(md, "10 pairs):", "**Immunophenoscore").replace("NOCT(CCRN4L)", "NOCT")
    assert [tuple(p) for p in SIGS["msi_pairs"].pairs] == re.findall(pair, msi)


def test_cross_check_gene_lists_against_design_notes():
    md = _md()
    expected = {
        "ifng6": _between(md, "PMID 28650338): ", "; mean of"),
        "ifng10": _between(md, "10-gene IFN-gamma set in the same paper: ", ". **Expanded"),
        "expanded_immune18": _between(md, "log2(TPM + 1): ", ". Naming trap"),
        "roh_is": _between(md, "TPM + 0.01): ", ". **Davoli"),
        "davoli_is": _between(md, "so cohort-relative): ", ". **Tertiary"),
        "tls9": _between(md, "(Cabrita et al. 2020, Nature): ", " (EIF1AY"),
        "chemokine12": _between(md, "log2(TPM + 1) of ", ", sign aligned"),
        "pan_ftbrs": _between(md, "(pan-F-TBRS, 19 genes): ", ". Direction"),
        "cd8_teff": _between(md, "- CD8 T effector: ", ". - Antigen"),
        "apm": _between(md, "(APM): ", ". - Immune checkpoint"),
        "immune_checkpoint": _between(md, "- Immune checkpoint: ", ". - EMT1"),
        "emt1": _between(md, "EMT1: ", ". EMT2"),
        "emt2": _between(md, "EMT2: ", ". EMT3"),
        "emt3": _between(md, "EMT3: ", ". - WNT"),
        "wnt_target": _between(md, "- WNT target: ", ". **Jerby"),
    }
    for sid, text in expected.items():
        genes = [re.sub(r" \(.*\)$", "", g) for g in _list(text.replace("and ", ""))]
        assert SIGS[sid].genes == genes, sid


def test_cross_check_ips_cell_groups_against_design_notes():
    md = _md()
    groups = {g.name: g.genes for g in SIGS["ips"].groups}
    for name, after in [("Act CD4", "Act CD4 ("), ("Act CD8", "Act CD8 ("),
                        ("Tem CD4", "Tem CD4 ("), ("Tem CD8", "Tem CD8 ("),
                        ("MDSC", "MDSC ("), ("Treg", "Treg (")]:
        assert groups[name] == _list(_between(md, after, ")")), name


def test_cross_check_jerby_lists_against_design_notes():
    md = _md()
    s = SIGS["jerby_resistance"]
    published_up = _list(_between(md, "Up: ", " Down:"))
    published_down = _list(_between(md, "Down: ", " (Many pre-2018"))
    assert (len(published_up), len(published_down)) == (
        s.params["published_up"], s.params["published_down"])
    dropped = set(s.params["unmapped"]["up"]) | set(s.params["unmapped"]["down"]) | set(
        s.params["merged"]["up"])
    assert s.genes == [s.aliases.get(g, g) for g in published_up if g not in dropped]
    assert s.genes_down == [s.aliases.get(g, g) for g in published_down if g not in dropped]


# ----------------------------------------------------------------------------- real cohorts
CORE = ["cyt", "ifng6", "gep18", "impres", "ips", "roh_is", "davoli_is", "tls9", "chemokine12",
        "pan_ftbrs", "cd8_teff", "apm", "mcdermott_teff", "jerby_resistance"]


@pytest.mark.realdata
@pytest.mark.parametrize("cohort", ["Riaz2017_melanoma_PD1", "Hugo2016_melanoma_PD1"])
def test_core_scores_are_covered_on_real_cohorts(shared_data, cohort):
    resolve = _resolver()
    path = shared_data / "predictior_icb" / f"{cohort}_expr_log2tpm.tsv.gz"
    with gzip.open(path, "rt") as fh:
        next(fh)
        ids = [line.split("\t", 1)[0] for line in fh]
    present = {sym for sym in resolve(ids).symbols if sym}
    for sid in CORE:
        s = SIGS[sid]
        if s.method == "gene_pairs":
            frac = sum(a in present and b in present for a, b in s.pairs) / len(s.pairs)
        else:
            genes = _scored_genes(s)
            frac = sum(g in present for g in genes) / len(genes)
        assert frac >= s.min_coverage, f"{sid}: coverage {frac:.2f} < {s.min_coverage}"


def test_gmt_gene_names_are_read_as_current_hgnc_symbols():
    """HGNC renamed C10orf54 to VSIR (2017); PDL1 is an alias of CD274; a lower-case symbol
    is the gene in another case. The expression reader renames these, so a gene set must
    too, or the genes go missing silently."""
    from immunescape.signatures.registry import read_gmt

    sig = read_gmt("OLD\tdesc\tC10orf54\tPDL1\tCD274\tgzma\tNOTAGENE\n")[0]
    assert sig.genes == ["VSIR", "CD274", "GZMA", "NOTAGENE"]


def test_yaml_signature_gene_names_are_read_as_current_hgnc_symbols(tmp_path):
    """The same renaming for a user YAML: genes, weights and gene pairs (HGNC: C10orf54 is
    VSIR since 2017, PDL1 an alias of CD274)."""
    from immunescape.signatures.registry import read_signature_file

    path = tmp_path / "mine.yaml"
    path.write_text(
        "version: 1.0.0\ndescription: mine\nsignatures:\n"
        "  - id: my_mean\n    name: My weighted set\n    method: weighted_mean\n"
        "    unit: log2tpm1\n    direction: response\n    scope: per_sample\n"
        "    min_coverage: 0.5\n    genes: [C10orf54, GZMA]\n"
        "    weights: {C10orf54: 0.5, GZMA: 1.0}\n    citation: me\n"
        "  - id: my_pairs\n    name: My pairs\n    method: gene_pairs\n    direction: response\n"
        "    scope: per_sample\n    min_coverage: 1.0\n    pairs: [[PDL1, C10orf54]]\n"
        "    citation: me\n"
    )
    mean, pairs = read_signature_file(path)
    assert mean.genes == ["VSIR", "GZMA"] and mean.weights == {"VSIR": 0.5, "GZMA": 1.0}
    assert pairs.pairs == [("CD274", "VSIR")]
