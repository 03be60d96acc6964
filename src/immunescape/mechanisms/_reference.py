"""The shipped reference distributions and the phenotype model (versioned, checksummed data).

Two small JSON files live in ``immunescape/mechanisms/data/``, each with a ``.sha256`` file
next to it. They are read through :func:`immunescape._resources.read_resource`, which verifies
the checksum on every read: an edited, truncated or missing file raises
:class:`~immunescape.errors.ResourceError` (exit code 1, "reinstall") rather than being used.

``reference_v3.json`` (built by ``scripts/build_phenotype_reference.py`` from the
whole-transcriptome PredictioR cohorts in ``../shared/data/predictior_icb``; only summary
statistics are stored, never patient values):

* ``groups``: ``pan_cancer`` and every cancer type with at least ``min_group`` tumours, each
  with ``n`` tumours and the cohorts it pools;
* ``genes``: per group, gene -> ``[mean, sd]`` of ``log2(TPM + 1)`` (TPM over the whole
  transcriptome) for the genes of the phenotype features;
* ``signatures``: per group, score id -> 100 quantiles at probabilities ``(k + 0.5) / 100``
  (k = 0..99) of every *per-sample* registry score (cohort-relative scores such as PC1 or
  PROGENy cannot have a fixed reference and are not stored).

Units: every value is on the package's own scale, i.e. what :func:`immunescape.signatures.score`
returns for whole-transcriptome TPM (the reference cohorts' ``log2(TPM + 0.001)`` is converted
to ``log2(TPM + 1)`` by the expression reader exactly as a user's file is). A user's matrix
is comparable when it holds TPM (or log2 TPM) over the whole transcriptome; TPM renormalised
over a panel, counts per million of a panel or centred values are not, and the callers fall
back to within-cohort comparisons for them (and say so).

Whether the shipped reference applies to a matrix is decided in one place,
:func:`shipped_reference_applies`: whole-transcriptome (at least
:data:`WHOLE_TRANSCRIPTOME_GENES` genes), in a TPM unit (:data:`TPM_UNITS`: counts per
million keep the gene-length bias, so long genes would read high), and every sample passing the
housekeeping check (:func:`housekeeping_failures`): a sample in which uniformly expressed
housekeeping genes read (almost) zero was quantified on another scale or with broken gene
identifiers, and its percentiles against a fixed reference would be artefacts.

``phenotype_model_v2.json`` (built by ``scripts/build_phenotype_model.py`` from the IMvigor210
development subset): multinomial logistic regression coefficients per feature set, with the
nested cross-validated performance measured when it was built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from immunescape._resources import REINSTALL, read_resource, resource_sha256
from immunescape.errors import ResourceError
from immunescape.expression import TPM_UNITS, WHOLE_TRANSCRIPTOME_GENES

__all__ = [
    "REFERENCE_FILE",
    "MODEL_FILE",
    "load_shipped",
    "shipped_reference",
    "reference_group",
    "match_cancer_type",
    "reference_score_table",
    "N_QUANTILES",
    "WHOLE_TRANSCRIPTOME_GENES",
    "TPM_UNITS",
    "HOUSEKEEPING_GENES",
    "housekeeping_failures",
    "shipped_reference_applies",
]

_PACKAGE = "immunescape.mechanisms"
REFERENCE_FILE = "reference_v3.json"
MODEL_FILE = "phenotype_model_v2.json"
#: Quantiles stored per signature: probabilities (k + 0.5) / N_QUANTILES.
N_QUANTILES = 100
#: The eleven most uniformly and strongly expressed human housekeeping genes across tissues
#: (Eisenberg & Levanon 2013, Trends Genet 29:569-574, PMID 23810203). In every
#: whole-transcriptome tumour of the reference cohorts each reads at least 3.6 TPM.
HOUSEKEEPING_GENES: tuple[str, ...] = ("C1orf43", "CHMP2A", "EMC7", "GPI", "PSMB2", "PSMB4",
                                       "RAB7A", "REEP5", "SNRPD3", "VCP", "VPS29")
_NOT_TPM = {
    # counts per million keep the gene-length bias TPM removes: in Riaz 2017 (46 tumours with
    # read counts and TPM) long stromal genes read up to 2.5 reference SDs higher as CPM
    "counts": "read counts scale to counts per million (gene lengths unknown)",
    "log2counts": "read counts scale to counts per million (gene lengths unknown)",
    "normalized": "normalised linear values (e.g. NanoString, microarray) have their own scale",
}
#: A sample fails the check when at least this many housekeeping genes read below
#: ``HOUSEKEEPING_MIN_TPM`` ...
HOUSEKEEPING_MAX_LOW = 3
HOUSEKEEPING_MIN_TPM = 1.0
#: ... and the check needs at least this many of them in the matrix.
HOUSEKEEPING_MIN_PRESENT = 8

#: Cancer-type words (lower case) -> reference group name.
CANCER_TYPE_ALIASES: dict[str, str] = {
    "melanoma": "melanoma", "skcm": "melanoma", "skin": "melanoma",
    "kidney": "kidney", "rcc": "kidney", "kirc": "kidney", "renal": "kidney",
    "pancreas": "pancreas", "pdac": "pancreas", "paad": "pancreas", "pancreatic": "pancreas",
    "lung": "lung", "nsclc": "lung", "luad": "lung", "lusc": "lung",
    "bladder": "bladder", "urothelial": "bladder", "blca": "bladder", "ureteral": "bladder",
    "uc": "bladder",
    "brain": "brain", "gbm": "brain", "glioblastoma": "brain",
    "ccrcc": "kidney",
}
#: Aliases read only as the whole cancer type, never as a word of a longer phrase ("skin
#: squamous cell carcinoma" is no melanoma; "uc" is too short to search inside phrases).
_WHOLE_ONLY = frozenset({"skin", "uc"})
#: Words naming a disease apart from the group another word of the phrase names: uveal
#: (ocular) melanoma is not cutaneous melanoma (TCGA UVM vs SKCM), a pancreatic
#: neuroendocrine tumour is not a ductal adenocarcinoma, and the kidney group holds only
#: clear-cell carcinomas (Miao 2018): papillary (KIRP) and chromophobe (KICH) renal cell
#: carcinomas differ in T-cell infiltration and are read against the pan-cancer reference.
_OTHER_DISEASE_WORDS = frozenset({"uveal", "ocular", "conjunctival", "neuroendocrine",
                                  "papillary", "chromophobe", "kirp", "kich"})
#: Study codes of diseases next to a shipped group, named in the note (not matched to it).
_RELATED = {"kirp": "kidney", "kich": "kidney"}


def _read_checked(name: str) -> dict[str, Any]:
    """Read one shipped JSON file through :func:`immunescape._resources.read_resource`.

    A missing, corrupt or unparsable file raises :class:`~immunescape.errors.ResourceError`
    (the installation is at fault, not the user's input).
    """
    raw = read_resource(_PACKAGE, name)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResourceError(f"the shipped file {_PACKAGE}/data/{name} is not valid JSON "
                            f"({exc}); {REINSTALL}") from None
    doc["sha256"] = resource_sha256(_PACKAGE, name)  # verified by read_resource
    return doc


@lru_cache(maxsize=4)
def load_shipped(name: str) -> dict[str, Any]:
    """Read a shipped data file (``REFERENCE_FILE`` or ``MODEL_FILE``), checksum verified.

    Examples
    --------
    >>> load_shipped(REFERENCE_FILE)["version"]
    '3'
    """
    return _read_checked(name)


def shipped_reference() -> dict[str, Any]:
    """Return the shipped reference document (see the module documentation)."""
    return load_shipped(REFERENCE_FILE)


def reference_group(cancer_type: str | None) -> str:
    """Return the reference group of a cancer type: its own if shipped, else ``pan_cancer``.

    Examples
    --------
    >>> reference_group("Melanoma"), reference_group("thyroid"), reference_group(None)
    ('melanoma', 'pan_cancer', 'pan_cancer')
    """
    return match_cancer_type(cancer_type)[0]


def match_cancer_type(cancer_type: str | None) -> tuple[str, str | None]:
    """Return the reference group of a free-text cancer type, and a note when none fits.

    The whole text is looked up in :data:`CANCER_TYPE_ALIASES` (or is a group's name); else
    the words of the phrase are ("Kidney renal clear cell carcinoma", "skin cutaneous
    melanoma", "ccRCC"), unless one names another disease (uveal melanoma) or the words
    name different groups. A type without a shipped group gets the pan-cancer reference and
    a note saying so (never a refusal: any cancer type may be analysed).

    Examples
    --------
    >>> match_cancer_type("Kidney renal clear cell carcinoma")
    ('kidney', None)
    >>> match_cancer_type("skin cutaneous melanoma")[0], match_cancer_type("SKCM")[0]
    ('melanoma', 'melanoma')
    >>> group, note = match_cancer_type("uveal melanoma")
    >>> group, note.split(";")[0]  # doctest: +NORMALIZE_WHITESPACE
    ('pan_cancer', "--cancer-type 'uveal melanoma' (uveal: not the disease of the shipped
    melanoma group) matches no shipped reference group")
    >>> match_cancer_type(None)
    ('pan_cancer', None)
    """
    if cancer_type is None or not str(cancer_type).strip():
        return "pan_cancer", None
    groups = shipped_reference()["groups"]
    text = " ".join(str(cancer_type).lower().split())
    key = CANCER_TYPE_ALIASES.get(text, text if text in groups else None)
    words = set(re.findall(r"[a-z0-9]+", text))
    if key is None and not words & _OTHER_DISEASE_WORDS:
        found = {CANCER_TYPE_ALIASES[w] for w in words - _WHOLE_ONLY if w in CANCER_TYPE_ALIASES}
        key = found.pop() if len(found) == 1 else None
    if key in groups:
        return str(key), None
    shipped = ", ".join(sorted(g for g in groups if g != "pan_cancer"))
    what = f" (read as {key})" if key else ""
    near = sorted({CANCER_TYPE_ALIASES.get(w, _RELATED.get(w, "")) for w in words} & set(groups))
    if not key and near and words & _OTHER_DISEASE_WORDS:  # e.g. chromophobe RCC, uveal melanoma
        other = ", ".join(sorted(words & _OTHER_DISEASE_WORDS))
        what = f" ({other}: not the disease of the shipped {'/'.join(near)} group)"
    return "pan_cancer", (
        f"--cancer-type {str(cancer_type)!r}{what} matches no shipped reference group; the "
        f"pan-cancer reference is used (shipped groups: {shipped})"
    )


def no_cancer_type_note(clinical_types: Iterable[Any] = ()) -> str:
    """Say that no ``--cancer-type`` put the RNA on the pan-cancer reference, and what to give.

    ``clinical_types`` are the values of the clinical file's cancer-type column, if any; one
    value naming a shipped group is offered as the option to pass.

    Examples
    --------
    >>> no_cancer_type_note(["Melanoma", "Melanoma"]).split("; ")[-1]
    "the clinical file's cancer type is 'Melanoma': pass --cancer-type 'Melanoma'"
    >>> no_cancer_type_note().split("; ")[-1]
    'pass --cancer-type (e.g. melanoma, RCC) when it has one'
    """
    groups = shipped_reference()["groups"]
    shipped = ", ".join(sorted(g for g in groups if g != "pan_cancer"))
    text = (
        "no --cancer-type: RNA percentiles and phenotypes are read against the pan-cancer "
        f"reference (n={groups['pan_cancer']['n']}); a cancer type has its own reference "
        f"when shipped ({shipped})"
    )
    values = sorted({str(v).strip() for v in pd.Series(list(clinical_types)).dropna()} - {""})
    if len(values) == 1 and match_cancer_type(values[0])[0] != "pan_cancer":
        found = values[0]
        return f"{text}; the clinical file's cancer type is {found!r}: pass --cancer-type {found!r}"
    return f"{text}; pass --cancer-type (e.g. melanoma, RCC) when it has one"


def reference_score_table(group: str) -> pd.DataFrame:
    """Return the shipped per-signature quantiles of ``group`` as a pseudo-cohort.

    Row ``k`` holds every score's quantile at probability ``(k + 0.5) / 100``, so the
    percentile of a value against this table (:func:`~immunescape.mechanisms.percentile_table`
    with ``reference=``) is the reference cohort's percentile to within half a percent.

    Examples
    --------
    >>> t = reference_score_table("pan_cancer")
    >>> t.shape[0], bool(t["gene_CD8A"].is_monotonic_increasing)
    (100, True)
    """
    sig = shipped_reference()["signatures"][group]
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in sig.items()},
                        index=[f"q{k:02d}" for k in range(N_QUANTILES)])


def reference_gene_stats(group: str) -> pd.DataFrame:
    """Per-gene ``mean`` and ``sd`` of log2(TPM + 1) in the shipped reference ``group``."""
    genes = shipped_reference()["genes"][group]
    return pd.DataFrame(genes, index=["mean", "sd"]).T


def housekeeping_failures(expression: Any) -> dict[str, list[str]]:
    """Return the samples whose uniformly expressed housekeeping genes read (almost) zero.

    A tumour expresses every gene of :data:`HOUSEKEEPING_GENES` (at least 3.6 TPM in each of
    the 256 whole-transcriptome reference tumours); a sample in which
    :data:`HOUSEKEEPING_MAX_LOW` or more of them read below :data:`HOUSEKEEPING_MIN_TPM` TPM
    was quantified with broken gene identifiers or on another scale (a PredictioR cohort
    reads C1orf43, CHMP2A and VPS29 at about 0 TPM in all of its 22 tumours).

    Parameters
    ----------
    expression
        An :class:`~immunescape.expression.Expression`. Centred data and matrices holding
        fewer than :data:`HOUSEKEEPING_MIN_PRESENT` of the genes are not checked (empty
        result).

    Returns
    -------
    dict
        Failing sample -> the housekeeping genes it reads below the threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> from immunescape.expression import Expression
    >>> tpm = pd.DataFrame(50.0, index=["ok", "bad"], columns=list(HOUSEKEEPING_GENES))
    >>> tpm.loc["bad", ["C1orf43", "CHMP2A", "VPS29"]] = 0.2
    >>> housekeeping_failures(Expression(tpm, unit="tpm"))
    {'bad': ['C1orf43', 'CHMP2A', 'VPS29']}
    """
    from immunescape.expression import CENTRED_UNITS

    if expression.unit in CENTRED_UNITS:
        return {}
    genes = expression.has(HOUSEKEEPING_GENES)
    if len(genes) < HOUSEKEEPING_MIN_PRESENT:
        return {}
    level = expression.columns(genes, "log2tpm1")
    low = level < np.log2(HOUSEKEEPING_MIN_TPM + 1.0)
    out = {}
    for i in np.flatnonzero(low.sum(axis=1) >= HOUSEKEEPING_MAX_LOW):
        out[str(expression.samples[i])] = [g for g, x in zip(genes, low[i], strict=True) if x]
    return out


class ReferenceFit(NamedTuple):
    """Whether a matrix can be read against the shipped reference, and why not."""

    applies: bool
    #: why not, for messages ("" when it applies)
    reason: str = ""
    #: which condition failed: "centred", "unit", "panel" or "housekeeping" ("" when it applies)
    check: str = ""
    #: the reason in a few words, for a scale label (e.g. "unit counts")
    short: str = ""


def shipped_reference_applies(expression: Any) -> ReferenceFit:
    """Whether ``expression`` can be read against the shipped reference, and why not.

    Returns
    -------
    ReferenceFit
        ``applies``; otherwise ``reason`` says why the analysed cohort is used instead,
        ``check`` which condition failed and ``short`` the reason in a few words.
    """
    from immunescape.expression import CENTRED_UNITS

    if expression.unit in CENTRED_UNITS:
        return ReferenceFit(False, "centred data: z-scores are within-cohort", "centred",
                            "centred data")
    if expression.unit not in TPM_UNITS:
        return ReferenceFit(
            False, f"unit {expression.unit}: {_NOT_TPM[expression.unit]}, not on the "
            "reference's TPM scale; give TPM (e.g. Salmon/RSEM) for a fixed reference, or "
            "--reference in the same unit", "unit",
            f"unit {expression.unit}: {_NOT_TPM[expression.unit]}")
    n_genes = expression.shape[1]
    if n_genes < WHOLE_TRANSCRIPTOME_GENES:
        return ReferenceFit(
            False, f"{n_genes} genes: a panel is not on the shipped whole-transcriptome "
            "scale; give --reference for a fixed one", "panel", f"{n_genes} genes")
    bad = housekeeping_failures(expression)
    if bad:
        first = next(iter(bad))
        failed = (f"{len(bad)} of {expression.shape[0]} samples fail the housekeeping check "
                  f"(e.g. {first}: {', '.join(bad[first])} below {HOUSEKEEPING_MIN_TPM:g} TPM)")
        return ReferenceFit(
            False, f"{failed}, so the values are not on the reference's TPM scale (gene "
            "identifiers or quantification); give --reference from the same pipeline for a "
            "fixed one", "housekeeping", failed)
    return ReferenceFit(True)
