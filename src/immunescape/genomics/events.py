"""Gene-level functional events (the ``genomic_events`` table).

Events, per (sample, gene), for the genes of the knowledge file (or those asked for):

``truncating``
    nonsense, frameshift, canonical splice site (``Splice_Site``; not ``Splice_Region``),
    start lost (``Translation_Start_Site``) and stop lost (``Nonstop_Mutation``).
``hotspot_activating``
    a missense (or, where the knowledge file allows, in-frame) change at an activating
    hotspot of an oncogene. The reference amino acid of the HGVSp must match the hotspot's
    (single residues and range ends), so another transcript's numbering is not called. When a
    missense row has no HGVSp, the codon is taken from a coding substitution in the HGVSc and
    the detail says so.
``missense_vus`` / ``inframe_vus``
    any other missense / in-frame change: a variant of unknown significance, never called
    loss of function.
``deep_deletion``, ``amplification``, ``loh``
    from gene-level copy number (GISTIC -2 or total copy number 0; GISTIC 2 or total copy
    number >= ``amp_min_copies``; minor copy number 0, an explicit LOH flag or, by default,
    a GISTIC -1 shallow deletion, i.e. loss of one copy) and from HLA LOH calls.

``biallelic`` (true / false / unknown) is about loss of function: true with two hits
(two distinct truncating mutations, a truncating mutation plus LOH/shallow deletion, or a
deep deletion); false with one hit and evidence that the other allele is retained and
carries no listed mutation (a truncating mutation with copy number given for that gene and
no loss; an LOH in a sample whose mutations were given, with no mutation in the gene);
unknown otherwise, and always for
missense, in-frame, hotspot and amplification events. Phasing is not known: two truncating
mutations are assumed to hit both alleles.

``functional_call`` reads the event against the gene's role: ``loss_of_function`` for
truncating or deep-deletion events (and LOH when biallelic) of tumour-suppressor and mutator
genes; ``activating`` for hotspots and amplifications of oncogenes; ``unknown`` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from immunescape.genomics._reading import is_true
from immunescape.genomics.copynumber import GeneCNA
from immunescape.genomics.knowledge import GeneKnowledge, load_gene_knowledge
from immunescape.genomics.mutations import INFRAME, MISSENSE, TRUNCATING, MutationTable
from immunescape.tables import EVENTS

__all__ = ["call_events", "EVENT_COLUMNS", "EVENTS"]

EVENT_COLUMNS = [
    "sample_id",
    "gene",
    "event",
    "detail",
    "biallelic",
    "functional_call",
    "role",
    "mechanisms",
]
_LOF_EVENTS = ("truncating", "deep_deletion", "loh")
_MUTATION_EVENTS = ("truncating", "hotspot_activating", "missense_vus", "inframe_vus")
_CODON = re.compile(r"^c\.(\d+)[ACGTacgt]>[ACGTacgt]$")


def _hotspot_table(kb: GeneKnowledge) -> pd.DataFrame:
    rows = []
    for gene, entry in kb.genes.items():
        for h in entry.hotspots:
            r1, r2 = h.range_refs
            rows.append(
                {
                    "gene": gene,
                    "hs_start": h.start,
                    "hs_end": h.end,
                    "hs_ref_start": r1,
                    "hs_ref_end": r2,
                    "hs_missense": "missense" in h.classes,
                    "hs_inframe": "inframe" in h.classes,
                    "hs_label": h.residues,
                }
            )
    return pd.DataFrame(
        rows,
        columns=["gene", "hs_start", "hs_end", "hs_ref_start", "hs_ref_end", "hs_missense",
                 "hs_inframe", "hs_label"],
    )  # fmt: skip


def _codon_from_hgvsc(hgvsc: pd.Series) -> pd.Series:
    num = hgvsc.astype("string").str.extract(_CODON, expand=False)
    pos = pd.to_numeric(num, errors="coerce")
    return (pos - 1) // 3 + 1


def _mutation_events(mutations: MutationTable, genes: set[str], kb: GeneKnowledge) -> pd.DataFrame:
    dedup, _ = mutations.deduplicated()
    d = dedup.data.loc[dedup.data["gene"].isin(genes)].copy()
    if d.empty:
        return pd.DataFrame(columns=["sample_id", "gene", "event", "detail"])
    cls = d["variant_class"]
    trunc = cls.isin(TRUNCATING)
    mis = cls.isin(MISSENSE)
    inf = cls.isin(INFRAME)
    pos_start = d["prot_start"].astype(float)
    pos_end = d["prot_end"].astype(float)
    from_codon = pd.Series(False, index=d.index)
    if "hgvsc" in d.columns:
        codon = _codon_from_hgvsc(d["hgvsc"]).astype(float)
        use = mis & pos_start.isna() & codon.notna()
        pos_start = pos_start.where(~use, codon)
        pos_end = pos_end.where(~use, codon)
        from_codon = use
    hot = pd.Series(False, index=d.index)
    hs = _hotspot_table(kb)
    cand = d.loc[(mis | inf) & pos_start.notna(), ["gene", "ref_aa"]].copy()
    if not cand.empty and not hs.empty:
        cand["row"] = cand.index
        cand["p1"] = pos_start[cand.index]
        cand["p2"] = pos_end[cand.index].fillna(cand["p1"])
        cand["is_mis"] = mis[cand.index]
        m = cand.merge(hs, on="gene")
        overlap = (m["p1"] <= m["hs_end"]) & (m["p2"] >= m["hs_start"])
        allowed = np.where(m["is_mis"], m["hs_missense"], m["hs_inframe"])
        ref_known = m["ref_aa"].notna()
        ref_ok = np.where(
            m["p1"] == m["hs_start"],
            m["ref_aa"] == m["hs_ref_start"],
            np.where(m["p1"] == m["hs_end"], m["ref_aa"] == m["hs_ref_end"], True),
        )
        ok = overlap & allowed & (~ref_known | ref_ok)
        hot.loc[m.loc[ok, "row"].unique()] = True
    event = np.select(
        [trunc, hot, mis, inf],
        ["truncating", "hotspot_activating", "missense_vus", "inframe_vus"],
        default="",
    )
    label = d["hgvsp_short"].astype(object)
    if "hgvsc" in d.columns:
        label = label.where(label.notna(), d["hgvsc"].astype(object))
    label = label.where(label.notna(), "protein change not given")
    codon_note = np.where(
        from_codon, " (codon " + pos_start.fillna(0).astype(int).astype(str) + " from HGVSc)", ""
    )
    detail = label.astype(str) + codon_note + "; " + cls.astype(str)
    out = pd.DataFrame(
        {"sample_id": d["sample_id"], "gene": d["gene"], "event": event, "detail": detail}
    )
    return out.loc[out["event"] != ""]


def _cna_events(
    cna: GeneCNA, genes: set[str], *, amp_min_copies: float, shallow_deletion_as_loh: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = cna.data.loc[cna.data["gene"].isin(genes)].copy()
    if c.empty:
        empty = pd.DataFrame(columns=["sample_id", "gene", "event", "detail"])
        return empty, pd.DataFrame(columns=["sample_id", "gene", "retained"])
    g = c["gistic"]
    tcn = c["total_cn"].astype(float)
    mcn = c["minor_cn"].astype(float)

    def _true(cond: pd.Series) -> np.ndarray:
        return is_true(cond)

    g_deep = _true(g == -2)
    g_amp = _true(g == 2)
    g_shallow = _true(g == -1)
    deep = g_deep | (tcn.to_numpy() <= 0)
    amp = (g_amp | (g.isna().to_numpy() & (tcn.to_numpy() >= amp_min_copies))) & ~deep
    loh_cn = (mcn.to_numpy() <= 0) & (tcn.to_numpy() > 0)
    loh_flag = _true(c["loh"])
    shallow = g_shallow & shallow_deletion_as_loh
    loh = (loh_cn | loh_flag | shallow) & ~deep
    parts = []
    tcn_txt = tcn.map(lambda v: "" if np.isnan(v) else f"{v:g}")
    deep_detail = np.where(g_deep, "GISTIC -2", "total copy number 0")
    parts.append(
        c.loc[deep, ["sample_id", "gene"]].assign(event="deep_deletion", detail=deep_detail[deep])
    )
    amp_detail = np.where(g_amp, "GISTIC 2", "total copy number " + tcn_txt)
    parts.append(
        c.loc[amp, ["sample_id", "gene"]].assign(event="amplification", detail=amp_detail[amp])
    )
    loh_detail = np.where(
        loh_cn,
        "minor copy number 0 (total " + tcn_txt + ")",
        np.where(loh_flag, "LOH (given)", "shallow deletion (GISTIC -1): one copy lost"),
    )
    parts.append(c.loc[loh, ["sample_id", "gene"]].assign(event="loh", detail=loh_detail[loh]))
    events = pd.concat(parts, ignore_index=True)
    has_info = (g.notna() | tcn.notna() | c["loh"].notna()).to_numpy(dtype=bool)
    retained = c[["sample_id", "gene"]].assign(retained=has_info & ~deep & ~loh)
    return events, retained


def _hla_events(hla_loh: pd.DataFrame, genes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    h = hla_loh.copy()
    h["gene"] = "HLA-" + h["locus"].astype(str)
    h = h.loc[h["gene"].isin(genes)]
    lost = h.loc[is_true(h["lost"])]

    def describe(allele: object, copy_number: object, p_value: object) -> str:
        info = ", ".join(
            [f"copy number {copy_number:.2f}"] * (not pd.isna(copy_number))
            + [f"p={p_value:.2g}"] * (not pd.isna(p_value))
        )
        return f"{allele} lost ({info or 'given'})"

    detail = [describe(*row) for row in lost[["allele", "copy_number", "p_value"]].itertuples(
        index=False, name=None)]
    events = pd.DataFrame(
        {"sample_id": lost["sample_id"], "gene": lost["gene"], "event": "loh", "detail": detail}
    )
    known = h.loc[h["lost"].notna()]
    any_lost = known.groupby(["sample_id", "gene"])["lost"].any().reset_index()
    retained = any_lost.assign(retained=~any_lost["lost"].astype(bool)).drop(columns="lost")
    return events, retained


def call_events(
    mutations: MutationTable | None = None,
    *,
    cna: GeneCNA | None = None,
    hla_loh: pd.DataFrame | None = None,
    genes: Iterable[str] | None = None,
    knowledge: GeneKnowledge | None = None,
    amp_min_copies: float = 5.0,
    shallow_deletion_as_loh: bool = True,
) -> pd.DataFrame:
    """Call gene-level functional events (the ``genomic_events`` table).

    Parameters
    ----------
    mutations
        Somatic mutations (:func:`~immunescape.genomics.read_maf`); duplicates are collapsed.
    cna
        Gene-level copy number (:func:`~immunescape.genomics.read_cna` or
        :func:`~immunescape.genomics.gene_calls_from_segments`).
    hla_loh
        Allele-specific HLA LOH calls (:func:`~immunescape.genomics.read_hla_loh`).
    genes
        Genes to report (default: every gene of the knowledge file). Genes outside the file
        get role ``unknown`` and no hotspot calls.
    knowledge
        Gene knowledge (default: the packaged ``kb/data/genes.yaml``).
    amp_min_copies
        Total copy number from which a gene is amplified when no GISTIC call is given.
    shallow_deletion_as_loh
        Count a GISTIC -1 shallow deletion as loss of one allele (an LOH event).

    Returns
    -------
    pandas.DataFrame
        Columns ``sample_id``, ``gene``, ``event``, ``detail``, ``biallelic``
        (``"true"``/``"false"``/``"unknown"``), ``functional_call``, ``role``, ``mechanisms``
        (``;``-joined ids), one row per event, sorted by sample, gene and event.

    Examples
    --------
    >>> import pandas as pd
    >>> mt = MutationTable.from_frame(pd.DataFrame({
    ...     "Tumor_Sample_Barcode": ["S1", "S1"], "Hugo_Symbol": ["JAK1", "JAK2"],
    ...     "Variant_Classification": ["Nonsense_Mutation", "Missense_Mutation"],
    ...     "HGVSp_Short": ["p.Q503*", "p.P870S"]}), resolve_genes=False)
    >>> cna = GeneCNA.from_frame(pd.DataFrame({"sample_id": ["S1"], "gene": ["JAK1"],
    ...                                        "loh": [True]}), resolve_genes=False)
    >>> ev = call_events(mt, cna=cna)
    >>> ev[["gene", "event", "biallelic", "functional_call"]].values.tolist()
    [['JAK1', 'truncating', 'true', 'loss_of_function'], ['JAK1', 'loh', 'true', \
'loss_of_function'], ['JAK2', 'missense_vus', 'unknown', 'unknown']]
    """
    kb = knowledge if knowledge is not None else load_gene_knowledge()
    gene_set = set(genes) if genes is not None else set(kb.symbols)
    parts: list[pd.DataFrame] = []
    retained_parts: list[pd.DataFrame] = []
    order: list[str] = []
    if mutations is not None:
        parts.append(_mutation_events(mutations, gene_set, kb))
        order += mutations.samples
    if cna is not None:
        ev, ret = _cna_events(
            cna, gene_set, amp_min_copies=amp_min_copies,
            shallow_deletion_as_loh=shallow_deletion_as_loh,
        )  # fmt: skip
        parts.append(ev)
        retained_parts.append(ret)
        order += cna.samples
    if hla_loh is not None:
        ev, ret = _hla_events(hla_loh, gene_set)
        parts.append(ev)
        retained_parts.append(ret)
        order += list(pd.unique(hla_loh["sample_id"]))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    ev = pd.concat(parts, ignore_index=True)
    ev["sample_id"] = ev["sample_id"].astype(str)
    # ---- biallelic status per (sample, gene)
    key = ["sample_id", "gene"]
    # truncating mutations count one hit each; a deep deletion both alleles; loss of
    # heterozygosity one allele however many sources report it (a GISTIC -1 and a LOHHLA call
    # of the same HLA gene are the same lost allele, not two hits)
    flags = ev.assign(
        t=(ev["event"] == "truncating").astype(int),
        d=(ev["event"] == "deep_deletion").astype(int),
        lo=(ev["event"] == "loh").astype(int),
    ).groupby(key)[["t", "d", "lo"]]
    agg = flags.agg({"t": "sum", "d": "max", "lo": "max"})
    hits = (agg["t"] + 2 * agg["d"] + agg["lo"]).rename("hits")
    ev = ev.join(hits, on=key)
    if retained_parts:
        ret = pd.concat(retained_parts, ignore_index=True).groupby(key)["retained"].all()
        ev = ev.join(ret, on=key)
        ev["retained"] = is_true(ev["retained"])
    else:
        ev["retained"] = False
    mut_samples = set(mutations.samples) if mutations is not None else set()
    n_mut = ev.assign(m=ev["event"].isin(_MUTATION_EVENTS).astype(int)).groupby(key)["m"].sum()
    ev = ev.join(n_mut.rename("n_mut"), on=key)
    is_lof_event = ev["event"].isin(_LOF_EVENTS)
    single = ev["hits"] == 1
    # one hit and evidence the other allele is intact (and carries no other listed mutation)
    false_trunc = single & (ev["event"] == "truncating") & ev["retained"] & (ev["n_mut"] == 1)
    false_loh = (
        single & (ev["event"] == "loh") & ev["sample_id"].isin(mut_samples) & (ev["n_mut"] == 0)
    )
    ev["biallelic"] = np.where(
        is_lof_event & (ev["hits"] >= 2),
        "true",
        np.where(is_lof_event & (false_trunc | false_loh), "false", "unknown"),
    )
    # ---- role, functional call, mechanisms
    roles = {g: e.role for g, e in kb.genes.items()}
    ev["role"] = ev["gene"].map(roles).fillna("unknown")
    lof_role = ev["role"].isin(["tumour_suppressor", "mutator"])
    lof = lof_role & (
        ev["event"].isin(["truncating", "deep_deletion"])
        | ((ev["event"] == "loh") & (ev["biallelic"] == "true"))
    )
    act = (ev["role"] == "oncogene") & ev["event"].isin(["hotspot_activating", "amplification"])
    ev["functional_call"] = np.where(
        lof, "loss_of_function", np.where(act, "activating", "unknown")
    )
    mech = {g: ";".join(kb.mechanisms_of(g)) for g in pd.unique(ev["gene"])}
    ev["mechanisms"] = ev["gene"].map(mech).fillna("")
    # ---- order
    sample_rank = {s: i for i, s in enumerate(dict.fromkeys(order))}
    ev["_s"] = ev["sample_id"].map(sample_rank)
    ev["_e"] = ev["event"].map({e: i for i, e in enumerate(EVENTS)})
    ev = ev.sort_values(["_s", "gene", "_e", "detail"], kind="stable")
    return ev[EVENT_COLUMNS].reset_index(drop=True)
