"""PROGENy pathway activity: a linear model of pathway-responsive (footprint) genes.

PROGENy (Schubert et al. 2018, Nat Commun 9:20, PMID 29295995) estimates the activity of 14
signalling pathways (Androgen, EGFR, Estrogen, Hypoxia, JAK-STAT, MAPK, NFkB, p53, PI3K, TGFb,
TNFa, Trail, VEGF, WNT) from the expression of the genes that respond to perturbing them,
rather than from the pathway members themselves. For each pathway the model keeps the ``top``
genes with the smallest p-value (100 by default) with their fitted z-score weights; the score
of a sample is the weighted sum ``expr^T x W`` over those genes (genes absent from the data
contribute zero), and by default each pathway is then z-scaled across the samples (centred and
divided by the standard deviation with n - 1, R's ``scale()``): the scaled score is
*cohort-relative*.

Two deliberate departures from R, both only where R's result is degenerate: a model gene whose
2017 symbol has since changed (``DARS`` -> ``DARS1``) is also found under its current HGNC
symbol, and a NaN in the data makes only the pathways using that gene NaN (R: all 14).

The model is the Bioconductor package ``progeny`` 1.20.0 (``model_human_full``; Apache License
2.0), vendored as the top 1000 genes per pathway by :file:`scripts/build_progeny.py`; see
``data/progeny_manifest.json``. The R package's own example input and expected output are the
test oracle.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import re
import warnings
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from immunescape._logging import logger
from immunescape._resources import REINSTALL, read_resource
from immunescape.errors import ImmunescapeWarning, InputError, ResourceError
from immunescape.expression import Expression

__all__ = [
    "PATHWAYS",
    "MAX_TOP",
    "progeny_model",
    "progeny_weights",
    "progeny_scores",
    "progeny_manifest",
    "signature_id",
]

#: The 14 PROGENy pathways, in the column order of R's ``progeny()`` output.
PATHWAYS: tuple[str, ...] = (
    "Androgen", "EGFR", "Estrogen", "Hypoxia", "JAK-STAT", "MAPK", "NFkB",
    "p53", "PI3K", "TGFb", "TNFa", "Trail", "VEGF", "WNT",
)  # fmt: skip
#: Largest ``top`` the vendored table supports (it stores the top 1000 genes per pathway).
MAX_TOP = 1000
DEFAULT_TOP = 100

_DATA_PACKAGE = "immunescape.pathways"
_DATA_FILE = "progeny_human.tsv.gz"
_MANIFEST_FILE = "progeny_manifest.json"


# ---------------------------------------------------------------------------- vendored model
def _read_manifest_bytes() -> bytes:
    return resources.files(_DATA_PACKAGE).joinpath("data", _MANIFEST_FILE).read_bytes()


@functools.cache
def progeny_manifest() -> dict[str, Any]:
    """Return the manifest of the vendored PROGENy model (source, version, licence, sha256).

    Returns
    -------
    dict
        The parsed ``progeny_manifest.json``.

    Examples
    --------
    >>> progeny_manifest()["licence"]
    'Apache-2.0'
    """
    return json.loads(_read_manifest_bytes().decode("utf-8"))


@functools.cache
def _stored_model() -> pd.DataFrame:
    """Return the vendored table (top 1000 per pathway), checksum-verified."""
    raw = read_resource(_DATA_PACKAGE, _DATA_FILE)
    table = pd.read_csv(
        io.BytesIO(gzip.decompress(raw)),
        sep="\t",
        dtype={"pathway": str, "gene": str, "weight": np.float64, "p_value": np.float64},
        keep_default_na=False,
        float_precision="round_trip",
    )
    if list(table.columns) != ["pathway", "gene", "weight", "p_value"] or set(
        table["pathway"]
    ) != set(PATHWAYS):
        raise ResourceError(
            f"the shipped file {_DATA_PACKAGE}/data/{_DATA_FILE} has unexpected columns or "
            f"pathways; {REINSTALL}"
        )
    return table


def _check_top(top: Any) -> int:
    if isinstance(top, bool) or not isinstance(top, int | np.integer):
        raise InputError(f"top must be an integer, got {top!r}", source="top")
    if not 1 <= int(top) <= MAX_TOP:
        raise InputError(
            f"top must be between 1 and {MAX_TOP}, got {top}",
            source="top",
            fix=f"the vendored model stores the {MAX_TOP} most significant genes per pathway",
        )
    return int(top)


def _check_organism(organism: str) -> None:
    if not isinstance(organism, str) or organism.lower() != "human":
        raise InputError(
            f"organism {organism!r} is not available",
            source="organism",
            fix="use organism='human' (only the human PROGENy model is vendored)",
        )


@functools.cache
def _model(top: int) -> pd.DataFrame:
    table = _stored_model()
    # R getModel(): dplyr::top_n(top, wt = -p.value) per pathway keeps every row whose
    # minimum rank of ascending p-value is <= top (ties at the boundary are all kept).
    rank = table.groupby("pathway", sort=False)["p_value"].rank(method="min")
    return table.loc[rank <= top].reset_index(drop=True)


def progeny_model(*, top: int = DEFAULT_TOP, organism: str = "human") -> pd.DataFrame:
    """Return the PROGENy model: the ``top`` footprint genes of each pathway with weights.

    Reproduces R's ``progeny::getModel(organism, top)``: per pathway, the genes whose minimum
    rank of p-value is ``<= top`` (``dplyr::top_n(top, wt = -p.value)``, so ties at the
    boundary are all kept; the human model has no such ties for ``top <= 1000``).

    Parameters
    ----------
    top
        Number of most significant genes per pathway (1-1000; R's default is 100).
    organism
        ``"human"`` (the only model vendored).

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``pathway``, ``gene``, ``weight``, ``p_value``, sorted by
        pathway (in :data:`PATHWAYS` order) and p-value.

    Raises
    ------
    InputError
        ``top`` out of range or an organism other than human.

    Examples
    --------
    >>> m = progeny_model(top=100)
    >>> m.groupby("pathway").size().unique().tolist()
    [100]
    >>> m.iloc[0][["pathway", "gene"]].tolist()
    ['Androgen', 'TMPRSS2']
    """
    _check_organism(organism)
    return _model(_check_top(top)).copy()


@functools.cache
def _weights(top: int) -> pd.DataFrame:
    m = _model(top)
    wide = m.pivot(index="gene", columns="pathway", values="weight").fillna(0.0)
    return wide.reindex(columns=list(PATHWAYS)).sort_index()


def progeny_weights(*, top: int = DEFAULT_TOP, organism: str = "human") -> pd.DataFrame:
    """Return the PROGENy weight matrix (genes x 14 pathways, 0 where a gene is not selected).

    The wide form of :func:`progeny_model`, as R's ``getModel()`` returns it.

    Parameters
    ----------
    top
        Number of most significant genes per pathway (1-1000).
    organism
        ``"human"``.

    Returns
    -------
    pandas.DataFrame
        Index: the genes selected in at least one pathway (sorted); columns: :data:`PATHWAYS`.

    Examples
    --------
    >>> w = progeny_weights(top=100)
    >>> w.shape[1], bool((w != 0).sum().eq(100).all())
    (14, True)
    """
    _check_organism(organism)
    return _weights(_check_top(top)).copy()


# ---------------------------------------------------------------------------- scoring
def _scale_columns(raw: np.ndarray) -> np.ndarray:
    """R's ``apply(x, 2, scale)``: centre and divide by the sd (n - 1), NaN-aware.

    As in R, NaN entries are ignored for the mean and sd and stay NaN; a column with zero
    variance becomes NaN (0 / 0). A column whose sd is at the level of float64 round-off of
    its values (a constant column computed with rounding) is treated as constant: R would
    divide the round-off by itself and return values of order 1.
    """
    ok = ~np.isnan(raw)
    n = ok.sum(axis=0)
    filled = np.where(ok, raw, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        centred = np.where(ok, raw - mean, 0.0)
        sd = np.sqrt((centred**2).sum(axis=0) / (n - 1))
        out = (raw - mean) / sd
    scale_of_values = np.where(ok, np.abs(raw), 0.0).max(axis=0, initial=0.0)
    out[:, ~(sd > 64 * np.finfo(np.float64).eps * scale_of_values)] = np.nan
    return out


def _raw_scores(values: np.ndarray, genes: list[str], weights: pd.DataFrame) -> np.ndarray:
    """Return ``values`` (samples x genes) times the weights of ``genes`` (all in ``weights``).

    A NaN makes the score NaN only in the pathways whose footprint contains that gene (R's
    matrix product would make it NaN in all 14, through ``NaN * 0``).
    """
    w = weights.loc[genes].to_numpy()
    missing = np.isnan(values)
    if not missing.any():
        return values @ w
    out = np.where(missing, 0.0, values) @ w
    out[(missing.astype(np.float64) @ (w != 0)) > 0] = np.nan
    return out


def _score_matrix(values: np.ndarray, genes: list[str], top: int, scale: bool) -> np.ndarray:
    """Return samples x 14 pathway scores from ``values`` (samples x ``genes``)."""
    raw = _raw_scores(values, genes, _weights(top))
    if scale:
        if raw.shape[0] < 2:
            warnings.warn(
                "PROGENy scaling needs at least 2 samples: scores are NaN; score the sample "
                "together with a reference cohort or use scale=False",
                ImmunescapeWarning,
                stacklevel=3,
            )
            return np.full_like(raw, np.nan)
        raw = _scale_columns(raw)
    return raw


@functools.cache
def _current_symbols() -> dict[str, str]:
    """Return published model symbol -> current HGNC symbol, for the symbols that changed.

    The model (2017) uses the symbols of its time (``DARS``, ``C8orf4``, ``T`` ...); data
    resolved by :mod:`immunescape.genes` carry current ones (``DARS1``, ``TCIM``, ``TBXT``).
    A mapping is kept only when it is unambiguous: the current symbol is not itself a gene of
    the stored model and no other model symbol maps to it (so no gene is counted twice).
    """
    from immunescape.genes import current_symbol

    published = pd.unique(_stored_model()["gene"])
    known = set(published)
    mapped = {g: current_symbol(g) for g in published}
    changed = {g: c for g, c in mapped.items() if c is not None and c != g and c not in known}
    claims = pd.Series(list(changed.values())).value_counts()
    return {g: c for g, c in changed.items() if claims[c] == 1}


def _match_genes(present: pd.Index, top: int) -> tuple[list[str], list[str]]:
    """Return the model genes found in ``present`` and the data column used for each.

    A model gene is matched by its published symbol, else by its current HGNC symbol (see
    :func:`_current_symbols`). R matches published symbols only; the two differ only when
    the data lack a published symbol but carry its current one.
    """
    have = set(present)
    current = _current_symbols()
    genes: list[str] = []
    columns: list[str] = []
    for gene in _weights(top).index:
        if gene in have:
            genes.append(gene)
            columns.append(gene)
        elif current.get(gene) in have:
            genes.append(gene)
            columns.append(current[gene])
    return genes, columns


def progeny_scores(
    expr: Expression | pd.DataFrame, *, top: int = DEFAULT_TOP, scale: bool = True
) -> pd.DataFrame:
    """Score the 14 PROGENy pathways for every sample.

    Computes ``expr^T x W`` with the ``top`` footprint genes per pathway, genes missing from
    the data contributing zero (as in R's ``progeny()``). A model gene is found by the symbol
    the model uses or, failing that, by its current HGNC symbol (``DARS`` -> ``DARS1``). Then,
    with ``scale=True``, z-scales
    each pathway across the samples (R's ``scale()``: mean 0, standard deviation 1 with n - 1).
    Scaled scores are cohort-relative: they change when samples are added.

    Parameters
    ----------
    expr
        An :class:`~immunescape.expression.Expression` (read as ``log2(TPM + 1)``), or a
        samples x genes DataFrame of numbers used as given (PROGENy expects log-scale,
        normalised expression; this is how R's ``progeny()`` treats its matrix).
    top
        Number of most significant genes per pathway (1-1000; R's default is 100).
    scale
        Z-scale each pathway across samples (R's default). Needs at least 2 samples.

    Returns
    -------
    pandas.DataFrame
        Samples x :data:`PATHWAYS`. A NaN value makes the sample's score NaN in the pathways
        whose footprint contains that gene (R makes it NaN in all 14); scaling then ignores
        it, as R's ``scale()`` does.

    Raises
    ------
    InputError
        Empty or non-numeric data, duplicated gene columns, ``top`` out of range, or
        ``scale=True`` with fewer than 2 samples.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> genes = progeny_weights(top=100).index
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(5, 1, (4, len(genes))), columns=genes,
    ...                   index=["s1", "s2", "s3", "s4"])
    >>> s = progeny_scores(df)
    >>> s.shape, bool(np.allclose(s.std(ddof=1), 1.0))
    ((4, 14), True)
    """
    top = _check_top(top)
    if not isinstance(scale, bool | np.bool_):
        raise InputError(f"scale must be True or False, got {scale!r}", source="scale")
    if isinstance(expr, Expression):
        present = expr.genes
        source = expr.source
    elif isinstance(expr, pd.DataFrame):
        present = pd.Index(expr.columns)
        source = "expression table"
    else:
        raise InputError(
            f"expected an Expression or a samples x genes DataFrame, got {type(expr).__name__}",
            source="expr",
        )
    n_samples = len(expr.samples) if isinstance(expr, Expression) else expr.shape[0]
    if n_samples == 0:
        raise InputError("no samples", source=source)
    if present.has_duplicates:
        dups = present[present.duplicated()].unique()[:5].tolist()
        raise InputError(
            f"duplicated gene columns {dups}", source=source, fix="make gene symbols unique"
        )
    if scale and n_samples < 2:
        raise InputError(
            "scale=True needs at least 2 samples",
            source=source,
            fix="use scale=False, or score the sample together with a reference cohort",
        )
    genes, columns = _match_genes(present, top)
    if not genes:
        raise InputError(
            "none of the PROGENy footprint genes is in the data",
            source=source,
            fix="columns must be HGNC gene symbols (samples in rows)",
        )
    if isinstance(expr, Expression):
        values = expr.columns(columns, "log2tpm1")
        index = expr.samples
    else:
        sub = expr[columns]
        non_numeric = [c for c, dt in sub.dtypes.items() if not pd.api.types.is_numeric_dtype(dt)]
        if non_numeric:
            raise InputError(
                f"non-numeric gene columns {non_numeric[:5]}",
                source=source,
                fix="pass a numeric samples x genes table (sample ids as the index)",
            )
        values = sub.to_numpy(dtype=np.float64)
        index = expr.index
    logger.debug("PROGENy top=%d: %d footprint genes found", top, len(genes))
    scores = _score_matrix(values, genes, top, scale)
    return pd.DataFrame(scores, index=index, columns=list(PATHWAYS))


# ---------------------------------------------------------------------------- registry
def signature_id(pathway: str) -> str:
    """Return the registry id of a PROGENy pathway (``"JAK-STAT"`` -> ``"progeny_jak_stat"``).

    Examples
    --------
    >>> signature_id("JAK-STAT")
    'progeny_jak_stat'
    """
    return "progeny_" + re.sub(r"[^a-z0-9]+", "_", pathway.lower()).strip("_")
