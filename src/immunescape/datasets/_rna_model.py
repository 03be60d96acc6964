"""The RNA, response and survival model of the demo cohort (see :mod:`.simulate`).

Parameters (structural equations, planted offsets, response and survival coefficients,
clinical and library-size distributions) and the generators that draw from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from immunescape.datasets import _universe as U

#: Structural equations of the latent programmes (coefficients on other programmes / states;
#: the remaining variance is independent Gaussian noise so each programme has sd about 1).
STRUCTURE: dict[str, Any] = {
    "wnt_active_rate": 0.15,
    "wnt_active": (1.8, 0.5),  # mean, sd of the Wnt programme when active
    "wnt_inactive": (-0.3, 0.7),
    "pten_loss_rate": 0.08,
    # purity = sigmoid(a + b * microenvironment): median about 0.78, 5-95 % about 0.5-0.93
    "purity_logit": (1.3, -0.9),
    "tgfb_stroma": {"microenvironment": 0.65},
    "melanocytic": {"microenvironment": -0.35},
    "axl": {"melanocytic": -0.6, "tgfb_stroma": 0.3},
    # "_own" = the programme's own (independent) part: TGF-beta exclusion beyond stroma content
    "t_cell": {
        "microenvironment": 0.55,
        "wnt_bcatenin": -0.45,
        "tgfb_stroma_own": -0.2,
        "pten_loss": -0.9,
    },
    "ifng_response": {"t_cell": 0.85},
    "cdc1": {"t_cell": 0.5, "wnt_bcatenin": -0.5},
    "myeloid": {"t_cell": 0.5, "microenvironment": 0.2, "tgfb_stroma": 0.15},
    "treg": {"t_cell": 0.65},
    "b_tls": {"t_cell": 0.55, "microenvironment": 0.1},
    "exhaustion": {"t_cell": 0.35},
    "angiogenesis": {"microenvironment": 0.35, "tgfb_stroma": 0.2, "pten_loss": 0.5},
    "proliferation": {"microenvironment": -0.25, "wnt_bcatenin": 0.15},
    # planted decoupling: among samples with t_cell > threshold, this fraction loses the
    # IFN-gamma response (programme set to mean, sd)
    "ifng_decoupled_rate": 0.12,
    "ifng_decoupled_t_threshold": 0.0,
    "ifng_decoupled_level": (-1.2, 0.4),
    # antigen-presentation loss: rate (base + extra when t_cell > 0.5: immune-edited tumours)
    "apm_loss_rate": (0.03, 0.06),
}

#: RNA-only states planted at a chosen prevalence (``simulate_cohort(prevalence=...)``): each is
#: a discrete state whose programme activity is shifted by ``shift`` latent sd (on top of the
#: structural equations, so the state is clear-cut rather than the tail of a continuum).
#: ``wnt_active`` replaces the bimodal draw's rate and its active mode.
PLANTED_RNA_STATES: dict[str, dict[str, Any]] = {
    "wnt_active": {"active_mode": (3.0, 0.4)},
    "tgfb_high": {"shift": {"tgfb_stroma": 4.5, "t_cell": -1.5}},
    "axl_high": {"shift": {"axl": 4.5, "melanocytic": -3.0}},
}

_RNA_ONLY = ("tgfb_high", "axl_high")

#: With ``tgfb_high`` planted, tumours whose TGF-beta/stroma programme naturally reaches this
#: level (about the top 0.6 %) are TGF-beta-high too.
TGFB_HIGH_NATURAL = 2.5

#: Planted per-gene offsets (log2) of the discrete states.
STATE_OFFSETS: dict[str, dict[str, float]] = {
    "apm_loss": {"B2M": -3.0, "HLA-A": -1.0, "HLA-B": -1.0, "HLA-C": -1.0, "TAP1": -0.5},
    "pten_loss": {"PTEN": -2.5, "VEGFA": 0.5},
}

#: Logistic response model on the latent programmes and states.
RESPONSE: dict[str, float] = {
    "intercept": -0.62,
    "t_cell": 0.55,
    "ifng_response": 0.55,
    "tgfb_stroma": -0.45,
    "wnt_bcatenin": -0.35,
    "axl": -0.35,
    "exhaustion": -0.35,
    "b_tls": 0.25,
    "apm_loss": -1.8,
}

#: Survival model (months). Weibull times: median * (-log U / (log 2 * exp(lp)))**(1 / shape).
SURVIVAL: dict[str, Any] = {
    "pfs_nr": {"median": 2.4, "shape": 1.4},
    "pfs_r": {"median": 22.0, "shape": 0.9, "delay": 2.5},
    "pfs_lp": {"t_cell": -0.25, "ifng_response": -0.2, "tgfb_stroma": 0.2},
    "pps_nr": {"median": 9.0, "shape": 1.0},
    "pps_r": {"median": 20.0, "shape": 1.0},
    "pps_lp": {"t_cell": -0.3, "age_per_year": 0.015},
    "first_assessment": 3.0,
    "cr_fraction": 0.3,
    "cr_log_hr": -0.7,  # complete responses are more durable (HR 0.5 for progression)
    "follow_up": (18.0, 48.0),
    "loss_to_follow_up": 0.05,
}

CLINICAL: dict[str, Any] = {
    "age_mean": 62.0,
    "age_sd": 13.0,
    "age_range": (22, 90),
    "male_fraction": 0.62,
}
LIBRARY: dict[str, float] = {"median_reads": 20e6, "sdlog": 0.35}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _weibull(rng: np.random.Generator, median: float, shape: float, lp: np.ndarray) -> np.ndarray:
    u = rng.random(lp.shape[0])
    return median * (-np.log1p(-u) / (np.log(2.0) * np.exp(lp))) ** (1.0 / shape)


def _latent(
    n: int, rng: np.random.Generator, prevalence: dict[str, float] | None = None,
    planted_rng: np.random.Generator | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Draw the latent programmes and discrete planted states for ``n`` samples."""
    s = STRUCTURE
    eps = rng.standard_normal((n, len(U.PROGRAMS)))
    e = {p: eps[:, i] for i, p in enumerate(U.PROGRAMS)}
    u_states = rng.random((n, 4))
    dec_noise = rng.standard_normal(n)
    prevalence = prevalence or {}

    wnt_rate = prevalence.get("wnt_active", s["wnt_active_rate"])
    wnt_active = u_states[:, 0] < wnt_rate
    pten_loss = u_states[:, 1] < s["pten_loss_rate"]
    z: dict[str, np.ndarray] = {}
    (ma, sa), (mi, si) = s["wnt_active"], s["wnt_inactive"]
    if "wnt_active" in prevalence:
        ma, sa = PLANTED_RNA_STATES["wnt_active"]["active_mode"]
    z["wnt_bcatenin"] = np.where(
        wnt_active, ma + sa * e["wnt_bcatenin"], mi + si * e["wnt_bcatenin"]
    )
    z["microenvironment"] = e["microenvironment"]
    p_pten = s["pten_loss_rate"]

    def combine(name: str) -> None:
        # parents are (about) unit-variance; the own noise tops the variance up to 1
        total = np.zeros(n)
        var = 0.0
        for parent, coef in s[name].items():
            if parent == "pten_loss":
                total += coef * pten_loss
                var += coef**2 * p_pten * (1 - p_pten)
            elif parent.endswith("_own"):
                total += coef * e[parent.removesuffix("_own")]
                var += coef**2
            else:
                total += coef * z[parent]
                var += coef**2
        z[name] = total + np.sqrt(max(1.0 - var, 0.05)) * e[name]

    for name in (
        "tgfb_stroma",
        "melanocytic",
        "axl",
        "t_cell",
        "ifng_response",
        "cdc1",
        "myeloid",
        "treg",
        "b_tls",
        "exhaustion",
        "angiogenesis",
        "proliferation",
    ):
        combine(name)

    eligible = z["t_cell"] > s["ifng_decoupled_t_threshold"]
    ifng_decoupled = eligible & (u_states[:, 2] < s["ifng_decoupled_rate"])
    m, sd = s["ifng_decoupled_level"]
    z["ifng_response"] = np.where(ifng_decoupled, m + sd * dec_noise, z["ifng_response"])
    base_rate, extra_rate = s["apm_loss_rate"]
    apm_loss = u_states[:, 3] < base_rate + extra_rate * (z["t_cell"] > 0.5)

    states = {
        "ifng_decoupled": ifng_decoupled,
        "apm_loss": apm_loss,
        "pten_loss": pten_loss,
        "wnt_active": wnt_active,
    }
    for state in ("tgfb_high", "axl_high"):
        if state in prevalence:
            assert planted_rng is not None
            on = planted_rng.random(n) < prevalence[state]
            for prog, shift in PLANTED_RNA_STATES[state]["shift"].items():
                z[prog] = z[prog] + shift * on
            states[state] = on
    latent = pd.DataFrame({p: z[p] for p in U.PROGRAMS})
    return latent, states


def _response_lp(latent: pd.DataFrame, states: dict[str, np.ndarray]) -> np.ndarray:
    lp = np.full(len(latent), RESPONSE["intercept"])
    for key, coef in RESPONSE.items():
        if key == "intercept":
            continue
        value = states[key].astype(float) if key in states else latent[key].to_numpy()
        lp += coef * value
    return lp


def _expression(
    latent: pd.DataFrame,
    states: dict[str, np.ndarray],
    female: np.ndarray,
    gp: U.GeneParams,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (TPM float64, counts int32) arrays of shape (n_samples, n_genes)."""
    n, g = len(latent), len(gp.genes)
    # log2 mean, built in place in float32 (memory: one n x g float32 array at a time)
    logmu = rng.standard_normal((n, g), dtype=np.float32)
    logmu *= gp.resid_sd.astype(np.float32)[None, :]
    logmu += gp.base.astype(np.float32)[None, :]
    driven = np.flatnonzero(np.any(gp.loadings != 0.0, axis=0))
    logmu[:, driven] += (latent.to_numpy() @ gp.loadings[:, driven]).astype(np.float32)
    for state, offsets in STATE_OFFSETS.items():
        rows = np.flatnonzero(states[state])
        if rows.size:
            cols = gp.genes.get_indexer(list(offsets))
            logmu[np.ix_(rows, cols)] += np.array(list(offsets.values()), np.float32)[None, :]
    mu = np.exp2(logmu, out=logmu)
    if gp.chrom_y.any():
        mu[np.ix_(female, gp.chrom_y)] = 0.0
    if gp.female_only.any():
        mu[np.ix_(~female, gp.female_only)] *= 2.0**-10
    libsize = LIBRARY["median_reads"] * np.exp(LIBRARY["sdlog"] * rng.standard_normal(n))
    mu *= gp.length.astype(np.float32)[None, :]
    mu *= (libsize / mu.sum(axis=1, dtype=np.float64)).astype(np.float32)[:, None]
    counts = _poisson(rng, mu)  # expected reads -> read counts
    del mu, logmu
    tpm = counts / gp.length[None, :]
    tpm *= (1e6 / tpm.sum(axis=1))[:, None]
    return tpm, counts


#: Expected read count below which counts are drawn exactly from the Poisson distribution;
#: above it the normal approximation (mean and variance lambda) is used, which is much faster
#: and indistinguishable next to the biological noise.
POISSON_EXACT_BELOW = 8.0


def _poisson(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Poisson read counts for expected counts ``lam`` (float32 array) as int32, same shape."""
    z = rng.standard_normal(lam.shape, dtype=np.float32)
    z *= np.sqrt(lam)
    z += lam
    np.maximum(z, 0.0, out=z)
    out = np.rint(z, out=z).astype(np.int32)
    small = np.flatnonzero(lam.ravel() < POISSON_EXACT_BELOW)
    out.ravel()[small] = rng.poisson(lam.ravel()[small].astype(np.float64))
    return out


def _clinical(
    ids: pd.Index,
    latent: pd.DataFrame,
    states: dict[str, np.ndarray],
    age: np.ndarray,
    sex: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    n = len(ids)
    sv = SURVIVAL
    p_resp = _sigmoid(_response_lp(latent, states))
    responder = rng.random(n) < p_resp
    cr = rng.random(n) < sv["cr_fraction"]
    lp_pfs = sum(c * latent[k].to_numpy() for k, c in sv["pfs_lp"].items())
    t_nr = _weibull(rng, sv["pfs_nr"]["median"], sv["pfs_nr"]["shape"], lp_pfs)
    t_r = sv["pfs_r"]["delay"] + _weibull(
        rng, sv["pfs_r"]["median"], sv["pfs_r"]["shape"], lp_pfs + sv["cr_log_hr"] * cr
    )
    # months with two decimals (the reported precision), at least 0.01
    pfs_true = np.maximum(np.round(np.where(responder, t_r, t_nr), 2), 0.01)
    pps_lp = sv["pps_lp"]
    lp_pps = pps_lp["t_cell"] * latent["t_cell"].to_numpy()
    lp_pps = lp_pps + pps_lp["age_per_year"] * (age - CLINICAL["age_mean"])
    pps_nr = _weibull(rng, sv["pps_nr"]["median"], sv["pps_nr"]["shape"], lp_pps)
    pps_r = _weibull(rng, sv["pps_r"]["median"], sv["pps_r"]["shape"], lp_pps)
    os_true = np.round(pfs_true + np.where(responder, pps_r, pps_nr), 2)
    recist = np.where(
        responder,
        np.where(cr, "CR", "PR"),
        np.where(pfs_true < sv["first_assessment"], "PD", "SD"),
    )
    lo, hi = sv["follow_up"]
    follow_up = rng.uniform(lo, hi, n)
    lost = rng.random(n) < sv["loss_to_follow_up"]
    censor = np.round(np.where(lost, rng.uniform(1.0, follow_up), follow_up), 2)
    clinical = pd.DataFrame(
        {
            "sample_id": ids,
            "recist": recist,
            "response": np.where(responder, "R", "NR"),
            "os_months": np.minimum(os_true, censor),
            "os_event": (os_true <= censor).astype(int),
            "pfs_months": np.minimum(pfs_true, censor),
            "pfs_event": (pfs_true <= censor).astype(int),
            "age": age,
            "sex": np.where(sex, "F", "M"),
            "cancer_type": "melanoma",
            "treatment": "anti-PD-1",
        }
    )
    return clinical, p_resp


def _truth(
    ids: pd.Index, latent: pd.DataFrame, states: dict[str, np.ndarray], p_resp: np.ndarray
) -> pd.DataFrame:
    t = latent["t_cell"].to_numpy()
    tgfb = latent["tgfb_stroma"].to_numpy()
    phenotype = np.where(t >= 0.3, "inflamed", np.where(tgfb >= 0.5, "excluded", "desert"))
    a, b = STRUCTURE["purity_logit"]
    purity = _sigmoid(a + b * latent["microenvironment"].to_numpy())
    if "tgfb_high" in states:
        # the natural extreme tail is the same biology as the planted state
        states = {**states, "tgfb_high": states["tgfb_high"] | (tgfb >= TGFB_HIGH_NATURAL)}
    truth = pd.DataFrame(
        {
            "immune_phenotype": phenotype,
            "purity": np.round(purity, 4),
            **{k: v.astype(bool) for k, v in states.items() if k not in _RNA_ONLY},
            # planted (prevalence=...) states win over the continuous thresholds
            "tgfb_high": states["tgfb_high"].astype(bool) if "tgfb_high" in states
            else tgfb >= 1.0,
            "axl_high": states["axl_high"].astype(bool) if "axl_high" in states
            else (latent["axl"] - latent["melanocytic"]).to_numpy() >= 1.5,
            "myeloid_high": latent["myeloid"].to_numpy() >= 1.0,
            "treg_high": latent["treg"].to_numpy() >= 1.0,
            "exhausted": (latent["exhaustion"].to_numpy() >= 1.0) & (t > 0),
            "response_probability": np.round(p_resp, 6),
        },
        index=ids,
    )
    return truth
