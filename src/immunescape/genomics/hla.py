"""HLA class I: genotypes, allele-specific LOH and the features linked to ICB outcome.

Features (one row per sample, :func:`hla_features`):

- homozygosity per locus (A, B, C), the number of homozygous loci and whether any locus is
  homozygous: Chowell et al. 2018 (Science, PMID 29217585) found maximal heterozygosity at
  HLA-A, -B and -C associated with longer survival after checkpoint blockade. Alleles are
  compared at two-field (four-digit) resolution; one-field typings decide only when the
  allele groups differ.
- B44 and B62 supertype carriage (Chowell 2018: B44 favourable, B62 unfavourable), with the
  allele -> supertype assignments of Sidney et al. 2008 (BMC Immunol, PMID 18211710) vendored
  in ``genomics/data/hla_supertypes_sidney2008.tsv``. An allele the paper does not classify
  gives "unknown", not "no".
- LOH of any HLA class I allele from LOHHLA-style calls (McGranahan et al. 2017, Cell,
  PMID 29107330): an allele is lost when its copy number is < 0.5 and the allelic-imbalance
  p value is < 0.01.

HLA evolutionary divergence (HED; Chowell et al. 2019) needs the protein sequences of every
allele (IPD-IMGT/HLA), which are not available offline here: it is not computed.

Allele names and genotype tables live in ``_hla_alleles``, typing tools' files in
``_hla_typers`` and LOH calls in ``_hla_loh``; everything public is importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._hla_alleles import _LOCI, HLAGenotypes, normalise_allele
from immunescape.genomics._hla_loh import (
    LOH_MAX_COPY_NUMBER,
    LOH_MAX_P_VALUE,
    hla_loh_from_frame,
    read_hla_loh,
)
from immunescape.genomics._hla_typers import is_optitype, optitype_frame, read_typer_output
from immunescape.genomics._reading import (
    PathLike,
    is_true,
    read_shipped_table,
    read_table,
    split_sample_path,
    with_sample_col,
)

__all__ = [
    "HLAGenotypes",
    "read_hla",
    "read_hla_loh",
    "hla_loh_from_frame",
    "hla_features",
    "normalise_allele",
    "supertypes",
    "LOH_MAX_COPY_NUMBER",
    "LOH_MAX_P_VALUE",
]


def read_hla(
    path: PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    sample_col: str | None = None,
    sample_id: str | None = None,
) -> HLAGenotypes:
    r"""Read HLA class I genotypes: a table, or an HLA typing tool's own output.

    Typing tools' files are recognised by their content: POLYSOLVER ``winners.hla.txt``
    (``HLA-A<TAB>hla_a_24_02_01_01<TAB>...``), HLA-HD ``*_final.result.txt``
    (``A<TAB>HLA-A*02:01:01<TAB>HLA-A*24:02:01``; ``-`` = homozygous, ``Not typed`` skipped;
    more than two candidates: the first two distinct two-field alleles), arcasHLA
    ``*.genotype.json`` (``{"A": ["A*01:01:01", ...]}``; class II loci ignored) and OptiType
    ``*_result.tsv`` (columns ``A1``..``C2``, ``Reads``, ``Objective``). These hold one
    sample, named by ``sample_id`` or by the file name (``Pt1.genotype.json`` -> ``Pt1``;
    for a generic name such as ``winners.hla.txt``, by the folder holding it; on the command
    line ``--hla SAMPLE=FILE``).

    Accepted layouts: *wide*, one row per sample with a sample column and two columns per
    locus named like ``HLA-A_1``/``HLA-A_2``, ``A1``/``A2`` or ``hla_a_1``; *long*, one row
    per allele with ``sample_id`` and ``allele``; or *one cell*, a sample column and one
    column (any name) holding all alleles of a sample separated by commas, semicolons or
    spaces (``Pt1<TAB>A*02:01,A*24:02,B*07:02,...``), or one such column per locus named
    ``HLA-A``, ``HLA-B``, ``HLA-C`` (a header written twice, ``HLA-A HLA-A``, is read as the
    locus' alleles 1 and 2). Allele names as written by HLA typing tools
    are accepted (``HLA-A*02:01:01``, ``A*0201``, POLYSOLVER ``hla_a_02_01_01``). Give a
    homozygous locus as the same allele twice.

    Parameters
    ----------
    path
        The file.
    columns
        ``{"sample_id": ..., "allele": ...}`` for a long table with other column names.
    sample_col
        The sample-id column (the same as ``columns={"sample_id": ...}``; it wins).
    sample_id
        Sample of a single-sample typing tool output.

    Returns
    -------
    HLAGenotypes
        The genotypes.

    Raises
    ------
    InputError
        Unknown alleles, alleles in the wrong locus column, more than two alleles per locus.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "hla.tsv"
    >>> _ = f.write_text("sample_id\tallele\nS1\tHLA-B*15:01:01\nS1\thla_b_44_03\n")
    >>> read_hla(f).data["allele"].tolist()
    ['B*15:01', 'B*44:03']
    """
    given, path = split_sample_path(path)
    sample_id = sample_id or given
    typed = read_typer_output(path, sample_id=sample_id)
    if typed is not None:
        return typed
    df, warnings = read_table(path, what="HLA genotype table")
    df, note = _repeated_locus_headers(df, str(path))
    if note:
        warnings.append(note)
    if sample_id is not None or is_optitype(df):
        df = optitype_frame(df, path, sample_id)
    try:
        g = HLAGenotypes.from_frame(
            df, columns=with_sample_col(columns, sample_col), source=str(path)
        )
    except InputError as exc:
        if columns or sample_col or "for sample_id" not in exc.problem:
            raise
        raise InputError(  # the fix the command line can apply
            exc.problem.split(";")[0], source=str(path),
            fix="rename the file's sample column to sample_id, or for a file of one sample "
            "give --hla SAMPLE=FILE",
        ) from None
    g.notes.extend(warnings)
    return g

def _repeated_locus_headers(df: pd.DataFrame, source: str) -> tuple[pd.DataFrame, str | None]:
    """Read a locus header written twice (``HLA-A HLA-A``) as its alleles 1 and 2.

    The table reader renames a repeated header ``HLA-A`` to ``HLA-A.1``; a header written
    three times or more is refused (a locus has two alleles).
    """
    renamed: dict[str, str] = {}
    for c in map(str, df.columns):
        if not re.fullmatch(r"(hla[-_ ]?)?[abc]", c, flags=re.IGNORECASE) or f"{c}.1" not in df:
            continue
        if f"{c}.2" in df:
            raise InputError(
                f"column {c!r} occurs more than twice (a locus has two alleles)",
                source=source,
                fix=f"give two columns per locus, e.g. {c}_1 and {c}_2",
            )
        renamed.update({c: f"{c}_1", f"{c}.1": f"{c}_2"})
    if not renamed:
        return df, None
    loci = ", ".join(k for k in renamed if not k.endswith(".1"))
    return df.rename(columns=renamed), (
        f"repeated column header(s) {loci} read as allele 1 and allele 2 of each locus")


@cache
def supertypes() -> pd.DataFrame:
    """Return the Sidney et al. 2008 HLA-B supertype table (vendored data file).

    Returns
    -------
    pandas.DataFrame
        Indexed by two-field allele (``B*44:02``), columns ``supertype`` (``B07``, ``B08``,
        ``B27``, ``B44``, ``B58``, ``B62`` or ``unassigned``) and ``cross_checked``.

    Examples
    --------
    >>> supertypes().loc[["B*44:02", "B*15:01"], "supertype"].tolist()
    ['B44', 'B62']
    """
    return read_shipped_table("hla_supertypes_sidney2008.tsv").set_index("allele")


def _locus_homozygous(alleles: list[str], resolutions: list[int]) -> object:
    if len(alleles) != 2:
        return pd.NA
    if min(resolutions) >= 2:
        return alleles[0] == alleles[1]
    g1 = [a.split(":")[0] for a in alleles]
    return False if g1[0] != g1[1] else pd.NA


def hla_features(
    genotypes: HLAGenotypes | None = None,
    *,
    loh: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """HLA class I features per sample (the ``hla`` table).

    Parameters
    ----------
    genotypes
        HLA class I genotypes (:func:`read_hla`).
    loh
        Allele-specific LOH calls (:func:`read_hla_loh`).

    Returns
    -------
    pandas.DataFrame
        One row per sample: ``sample_id``, ``hla_a_homozygous``, ``hla_b_homozygous``,
        ``hla_c_homozygous`` (boolean, NA when a locus is not typed with two alleles),
        ``n_homozygous_loci`` (Int64, NA unless all three loci are known),
        ``any_homozygous`` (Chowell 2018's "homozygous at >= 1 locus"), ``b44_supertype``,
        ``b62_supertype`` (carrier of at least one allele of the supertype; NA when an allele
        is not classified by Sidney 2008), ``hla_loh`` (any class I allele lost; NA without
        LOH data) and ``hla_loh_alleles``.

    Examples
    --------
    >>> import pandas as pd
    >>> g = HLAGenotypes.from_frame(pd.DataFrame({"sample_id": ["S1"] * 6, "allele": [
    ...     "A*02:01", "A*02:01", "B*44:02", "B*15:01", "C*07:01", "C*05:01"]}))
    >>> row = hla_features(g).iloc[0]
    >>> bool(row.hla_a_homozygous), int(row.n_homozygous_loci), bool(row.b44_supertype)
    (True, 1, True)
    """
    if genotypes is None and loh is None:
        raise InputError(
            "no HLA input: give genotypes and/or LOH calls",
            source="hla_features",
            fix="pass genotypes=read_hla(...) and/or loh=read_hla_loh(...)",
        )
    samples: list[str] = []
    if genotypes is not None:
        samples += genotypes.samples
    if loh is not None:
        samples += [s for s in pd.unique(loh["sample_id"]) if s not in set(samples)]
    rows: dict[str, dict[str, object]] = {s: {"sample_id": s} for s in samples}
    table = supertypes()
    b44 = set(table.index[table["supertype"] == "B44"])
    b62 = set(table.index[table["supertype"] == "B62"])
    known = set(table.index)
    if genotypes is not None:
        for (sample, locus), grp in genotypes.data.groupby(["sample_id", "locus"], sort=False):
            rows[sample][f"hla_{locus.lower()}_homozygous"] = _locus_homozygous(
                grp["allele"].tolist(), grp["resolution"].tolist()
            )
            if locus == "B":
                alleles = [a.rstrip("NLSCAQ") for a in grp["allele"]]
                for name, members in (("b44_supertype", b44), ("b62_supertype", b62)):
                    if any(a in members for a in alleles):
                        rows[sample][name] = True
                    elif len(alleles) == 2 and all(a in known for a in alleles):
                        rows[sample][name] = False
                    else:
                        rows[sample][name] = pd.NA
    out = pd.DataFrame(list(rows.values()))
    for locus in _LOCI:
        col = f"hla_{locus.lower()}_homozygous"
        if col not in out:
            out[col] = pd.NA
        out[col] = out[col].astype("boolean")
    for col in ("b44_supertype", "b62_supertype"):
        if col not in out:
            out[col] = pd.NA
        out[col] = out[col].astype("boolean")
    hom = out[[f"hla_{x.lower()}_homozygous" for x in _LOCI]]
    complete = hom.notna().all(axis=1)
    n = hom.fillna(False).astype(int).sum(axis=1)
    out["n_homozygous_loci"] = pd.array(np.where(complete, n, 0), dtype="Int64")
    out.loc[~complete, "n_homozygous_loci"] = pd.NA
    anyh = hom.fillna(False).any(axis=1)
    out["any_homozygous"] = pd.array(
        [True if a else (False if c else pd.NA) for a, c in zip(anyh, complete, strict=True)],
        dtype="boolean",
    )
    if loh is not None:
        lost = loh.loc[is_true(loh["lost"])]
        lost_by = lost.groupby("sample_id")["allele"].agg(lambda s: ";".join(sorted(set(s))))
        called = loh.loc[loh["lost"].notna()].groupby("sample_id").size()
        out["hla_loh"] = pd.array(
            [True if s in lost_by.index else (False if s in called.index else pd.NA)
             for s in out["sample_id"]],
            dtype="boolean",
        )  # fmt: skip
        out["hla_loh_alleles"] = out["sample_id"].map(lost_by).fillna("")
    else:
        out["hla_loh"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["hla_loh_alleles"] = ""
    cols = [
        "sample_id",
        "hla_a_homozygous",
        "hla_b_homozygous",
        "hla_c_homozygous",
        "n_homozygous_loci",
        "any_homozygous",
        "b44_supertype",
        "b62_supertype",
        "hla_loh",
        "hla_loh_alleles",
    ]
    return out[cols]
