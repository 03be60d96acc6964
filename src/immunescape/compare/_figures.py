"""Static figures of a cohort comparison (matplotlib; PNG and SVG), drawn from result tables.

These are the files written on request (``immunescape compare --figures png,svg``); the HTML
report draws the same views with plotly. Every function returns a
:class:`matplotlib.figure.Figure` built with the object-oriented API and the Agg canvas:
nothing touches pyplot's global state or the configured backend, and importing this module
changes nothing. Rendering never computes statistics: the numbers drawn are those of the
tables (``associations``, ``survival``, ``km``, ``de``, ``paired``).

Drawing is kept cheap: margins are fixed in inches from the label lengths (no
constrained-layout or tight-bbox passes, which draw every figure several times), SVG text is
written as text (not glyph paths) and the thousands of grey points of a volcano are
rasterised inside the SVG.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from immunescape._validate import check_choice
from immunescape.compare._common import NON_RESPONDER, RESPONDER, response_labels
from immunescape.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "volcano",
    "auc_forest",
    "km_plot",
    "hr_forest",
    "score_by_response",
    "paired_plot",
    "make_figures",
    "write_figures",
]

FigureFormat = Literal["png", "svg", "pdf"]
COLOURS = {RESPONDER: "#1b7837", NON_RESPONDER: "#762a83", "high": "#b2182b", "low": "#2166ac"}
_RC = {
    "svg.hashsalt": "immunescape",
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _figure(
    width: float,
    height: float,
    *,
    left: float = 0.65,
    right: float = 0.2,
    bottom: float = 0.5,
    top: float = 0.4,
    hspace: float = 0.2,
    wspace: float = 0.2,
) -> Figure:
    """Return a new Figure attached to an Agg canvas (no pyplot, no global backend change).

    Margins are in inches and fixed here, so that no layout engine runs at draw time.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=min(0.6, left / width),
        right=1.0 - min(0.4, right / width),
        bottom=min(0.5, bottom / height),
        top=1.0 - min(0.4, top / height),
        hspace=hspace,
        wspace=wspace,
    )
    return fig


def _text_width(labels: Iterable[str], size: float = 9.0) -> float:
    """Approximate width in inches of the longest label at ``size`` points."""
    longest = max((len(str(x)) for x in labels), default=0)
    return longest * size * 0.55 / 72.0


def _rc():
    import matplotlib

    return matplotlib.rc_context(_RC)


def _need(table: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise InputError(f"{what} table lacks column(s) {', '.join(missing)}", source=what)


def _panel_grid(names: Sequence[str]) -> tuple[Figure, list[tuple[Any, str]]]:
    """One panel per name, three per row, unused panels hidden (call inside ``_rc()``)."""
    ncol = min(3, len(names))
    nrow = int(np.ceil(len(names) / ncol))
    fig = _figure(2.4 * ncol, 2.6 * nrow, left=0.5, top=0.5, hspace=0.55, wspace=0.35)
    axes = list(fig.subplots(nrow, ncol, squeeze=False).ravel())
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    return fig, list(zip(axes, names, strict=False))


# ------------------------------------------------------------------------ volcano
def volcano(de: pd.DataFrame, *, padj_threshold: float = 0.05, label_top: int = 10) -> Figure:
    """Volcano plot: log2 fold change (R vs NR) against -log10 p, significant genes coloured.

    Examples
    --------
    >>> de = pd.DataFrame({"gene": ["A", "B"], "log2FoldChange": [2.0, -0.1],
    ...                    "pvalue": [1e-5, 0.5], "padj": [1e-4, 0.5], "method": "welch"})
    >>> volcano(de).axes[0].get_xlabel()
    'log2 fold change (responders / non-responders)'
    """
    _need(de, ["gene", "log2FoldChange", "pvalue", "padj"], "de")
    d = de.dropna(subset=["log2FoldChange", "pvalue"])
    with _rc():
        fig = _figure(5.0, 4.2, left=0.55)
        ax = fig.add_subplot()
        y = -np.log10(np.clip(d["pvalue"].to_numpy(dtype=float), 1e-300, 1.0))
        x = d["log2FoldChange"].to_numpy(dtype=float)
        sig = (d["padj"] < padj_threshold).to_numpy()
        up = sig & (x > 0)
        down = sig & (x < 0)
        ax.scatter(
            x[~sig], y[~sig], s=5, c="#bbbbbb", lw=0, label="not significant", rasterized=True
        )
        ax.scatter(x[up], y[up], s=8, c=COLOURS[RESPONDER], lw=0, label="higher in R")
        ax.scatter(x[down], y[down], s=8, c=COLOURS[NON_RESPONDER], lw=0, label="higher in NR")
        order = np.argsort(d["pvalue"].to_numpy(dtype=float), kind="mergesort")[:label_top]
        for i in order:
            ax.annotate(
                str(d["gene"].iloc[i]),
                (x[i], y[i]),
                fontsize=7,
                xytext=(2, 2),
                textcoords="offset points",
            )
        method = str(de["method"].iloc[0]) if "method" in de and len(de) else ""
        ax.set_xlabel("log2 fold change (responders / non-responders)")
        ax.set_ylabel("-log10 p")
        ax.set_title(f"Differential expression ({method}); BH padj < {padj_threshold:g}")
        ax.axvline(0, color="#888888", lw=0.5)
        ax.legend(frameon=False, fontsize=7, loc="upper left")
    return fig


# ------------------------------------------------------------------------ forests
def _forest(
    labels: Sequence[str],
    est: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    null: float,
    xlabel: str,
    title: str,
    log: bool,
    annotations: Sequence[str],
) -> Figure:
    n = len(labels)
    with _rc():
        left = _text_width(labels) + 0.2
        height = max(1.6, 0.26 * n + 1.0)
        fig = _figure(6.0 + left, height, left=left, right=1.15, bottom=0.5, top=0.35)
        ax = fig.add_subplot()
        pos = np.arange(n)[::-1]
        ax.errorbar(
            est,
            pos,
            xerr=[est - low, high - est],
            fmt="o",
            color="#333333",
            ms=4,
            lw=1,
            capsize=2,
        )
        ax.axvline(null, color="#b2182b", lw=0.8, ls="--")
        ax.set_yticks(pos, labels)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        for p, text in zip(pos, annotations, strict=True):
            ax.annotate(
                text,
                (1.0, p),
                xycoords=("axes fraction", "data"),
                fontsize=7,
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
            )
    return fig


def auc_forest(associations: pd.DataFrame, *, top: int = 30) -> Figure:
    """Forest plot of the AUCs with confidence intervals of the ``top`` features by p-value.

    Examples
    --------
    >>> a = pd.DataFrame({"feature": ["cyt"], "auc": [0.7], "auc_ci_low": [0.5],
    ...                   "auc_ci_high": [0.9], "p_value": [0.03], "q_value": [0.03]})
    >>> auc_forest(a).axes[0].get_xlabel()
    'AUC (responders vs non-responders), 95% CI'
    """
    _need(associations, ["feature", "auc", "auc_ci_low", "auc_ci_high", "p_value"], "associations")
    d = associations.dropna(subset=["auc"]).sort_values("p_value", kind="mergesort").head(top)
    q = d["q_value"] if "q_value" in d else pd.Series(np.nan, index=d.index)
    ann = [f"p={p:.2g} q={qq:.2g}" for p, qq in zip(d["p_value"], q, strict=True)]
    return _forest(
        list(d["feature"].astype(str)),
        d["auc"].to_numpy(dtype=float),
        d["auc_ci_low"].to_numpy(dtype=float),
        d["auc_ci_high"].to_numpy(dtype=float),
        null=0.5,
        xlabel="AUC (responders vs non-responders), 95% CI",
        title=f"Top {len(d)} features by Mann-Whitney p",
        log=False,
        annotations=ann,
    )


def hr_forest(
    survival: pd.DataFrame,
    *,
    endpoint: str | None = None,
    model: str = "univariable",
    top: int = 30,
) -> Figure:
    """Forest plot of Cox hazard ratios (per SD) with confidence intervals, log scale.

    Examples
    --------
    >>> s = pd.DataFrame({"feature": ["tmb"], "endpoint": ["OS"], "model": ["univariable"],
    ...                   "hr": [0.7], "hr_ci_low": [0.5], "hr_ci_high": [0.95],
    ...                   "p_value": [0.02], "q_value": [0.02]})
    >>> hr_forest(s).axes[0].get_xscale()
    'log'
    """
    _need(survival, ["feature", "endpoint", "hr", "hr_ci_low", "hr_ci_high", "p_value"], "survival")
    d = survival
    if "model" in d:
        d = d[d["model"] == model]
    if endpoint is not None:
        d = d[d["endpoint"] == endpoint]
    d = d.dropna(subset=["hr", "hr_ci_low", "hr_ci_high"])
    d = d.sort_values("p_value", kind="mergesort").head(top)
    labels = [
        f"{f} ({e})" if endpoint is None else str(f)
        for f, e in zip(d["feature"], d["endpoint"], strict=True)
    ]
    q = d["q_value"] if "q_value" in d else pd.Series(np.nan, index=d.index)
    ann = [f"p={p:.2g} q={qq:.2g}" for p, qq in zip(d["p_value"], q, strict=True)]
    unit = str(d["hr_unit"].iloc[0]).split(" (")[0] if "hr_unit" in d and len(d) else "per SD"
    return _forest(
        labels,
        d["hr"].to_numpy(dtype=float),
        d["hr_ci_low"].to_numpy(dtype=float),
        d["hr_ci_high"].to_numpy(dtype=float),
        null=1.0,
        xlabel=f"hazard ratio {unit} (Cox, {model}), 95% CI",
        title=f"Survival{' ' + endpoint if endpoint else ''}: top {len(d)} by Wald p",
        log=True,
        annotations=ann,
    )


# ------------------------------------------------------------------------ Kaplan-Meier
def _at_risk(part: pd.DataFrame, ticks: np.ndarray) -> list[int]:
    times = part["time"].to_numpy(dtype=float)
    risk = part["n_at_risk"].to_numpy(dtype=float)
    out = []
    for t in ticks:
        idx = np.searchsorted(times, t, side="left")
        out.append(int(risk[idx]) if idx < times.size else 0)
    return out


def km_plot(
    km: pd.DataFrame,
    *,
    feature: str,
    endpoint: str | None = None,
    survival: pd.DataFrame | None = None,
    time_unit: str = "months",
) -> Figure:
    """Kaplan-Meier curves (high vs low) with confidence bands and numbers at risk below.

    Parameters
    ----------
    km
        Output of :func:`~immunescape.compare.km_table`.
    feature, endpoint
        The curves drawn (endpoint: the first found if None).
    survival
        Optional ``survival`` table: its log-rank p and HR are written in the title.
    time_unit
        Axis label.

    Examples
    --------
    >>> km = pd.DataFrame({"feature": "cyt", "endpoint": "OS", "group": ["low"] * 2 + ["high"] * 2,
    ...                    "cut": 1.0, "cut_rule": "median", "time": [0.0, 5, 0, 9],
    ...                    "n_at_risk": [2.0, 2, 2, 2], "n_events": [0.0, 1, 0, 1],
    ...                    "n_censored": 0.0, "survival": [1.0, 0.5, 1, 0.5],
    ...                    "ci_low": [1.0, 0.1, 1, 0.1], "ci_high": 1.0})
    >>> len(km_plot(km, feature="cyt").axes)
    2
    """
    _need(km, ["feature", "endpoint", "group", "time", "n_at_risk", "survival"], "km")
    d = km[km["feature"] == feature]
    if endpoint is None and len(d):
        endpoint = str(d["endpoint"].iloc[0])
    d = d[d["endpoint"] == endpoint]
    if d.empty:
        raise InputError(f"no Kaplan-Meier curve for {feature!r} ({endpoint})", source="km")
    with _rc():
        fig = _figure(5.0, 4.4, left=0.7, top=0.55, hspace=0.1)
        gs = fig.add_gridspec(2, 1, height_ratios=[4, 1])
        ax = fig.add_subplot(gs[0])
        ax_tab = fig.add_subplot(gs[1], sharex=ax)
        tmax = float(d["time"].max())
        ticks = np.linspace(0.0, tmax, 6) if tmax > 0 else np.array([0.0])
        groups = [g for g in ("low", "high") if g in set(d["group"])]
        for k, g in enumerate(groups):
            part = d[d["group"] == g].sort_values("time", kind="mergesort")
            col = COLOURS[g]
            n0 = int(part["n_at_risk"].iloc[0])
            ax.step(part["time"], part["survival"], where="post", color=col, label=f"{g} (n={n0})")
            if {"ci_low", "ci_high"} <= set(part.columns):
                ax.fill_between(
                    part["time"],
                    part["ci_low"],
                    part["ci_high"],
                    step="post",
                    color=col,
                    alpha=0.15,
                    lw=0,
                )
            cens = part[part.get("n_censored", 0) > 0] if "n_censored" in part else part.iloc[:0]
            ax.plot(cens["time"], cens["survival"], "|", color=col, ms=6)
            for t, n in zip(ticks, _at_risk(part, ticks), strict=True):
                ax_tab.text(t, 1 - k, str(n), ha="center", va="center", color=col, fontsize=7)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(f"{endpoint} probability")
        cut_rule = str(d["cut_rule"].iloc[0]).split(" (")[0] if "cut_rule" in d else ""
        cut = float(d["cut"].iloc[0]) if "cut" in d else float("nan")
        title = f"{feature}: high > {cut:.3g} ({cut_rule})"
        if survival is not None and {"feature", "endpoint", "logrank_p"} <= set(survival.columns):
            row = survival[(survival["feature"] == feature) & (survival["endpoint"] == endpoint)]
            if "model" in row:
                row = row[row["model"] == "univariable"]
            if len(row):
                r = row.iloc[0]
                title += (
                    f"\nlog-rank p={r['logrank_p']:.2g}; Cox HR/SD={r['hr']:.2f} "
                    f"({r['hr_ci_low']:.2f}-{r['hr_ci_high']:.2f})"
                )
        ax.set_title(title, fontsize=8)
        ax.legend(frameon=False, fontsize=7)
        ax_tab.set_ylim(-0.5 - max(0, len(groups) - 2), 1.5)
        ax_tab.set_yticks([1 - k for k in range(len(groups))], groups)
        ax_tab.set_xticks(ticks)
        ax_tab.set_xlabel(f"time ({time_unit}); numbers at risk")
        ax_tab.tick_params(axis="y", length=0)
        for side in ("left", "bottom"):
            ax_tab.spines[side].set_visible(False)
        ax.tick_params(labelbottom=False)
    return fig


# ------------------------------------------------------------------------ per-sample plots
def score_by_response(
    features: pd.DataFrame,
    response: pd.Series,
    *,
    feature_names: Sequence[str],
    associations: pd.DataFrame | None = None,
    seed: int = 0,
) -> Figure:
    """Box and strip plots of features by response group (one panel per feature).

    Examples
    --------
    >>> f = pd.DataFrame({"cyt": [1.0, 2, 3, 4]}, index=list("abcd"))
    >>> y = pd.Series(["R", "R", "NR", "NR"], index=list("abcd"))
    >>> len(score_by_response(f, y, feature_names=["cyt"]).axes)
    1
    """
    y = response_labels(response)
    names = [n for n in feature_names if n in features.columns]
    if not names:
        raise InputError("none of the features to plot is in the table", source="feature_names")
    rng = np.random.default_rng(seed)
    with _rc():
        fig, panels = _panel_grid(names)
        for ax, name in panels:
            v = features[name].reindex(y.index)
            data = [v[y == g].dropna().to_numpy(dtype=float) for g in (RESPONDER, NON_RESPONDER)]
            ax.boxplot(
                data,
                positions=[0, 1],
                widths=0.5,
                showfliers=False,
                medianprops={"color": "#333333"},
            )
            for pos, (g, vals) in enumerate(zip((RESPONDER, NON_RESPONDER), data, strict=True)):
                jitter = rng.uniform(-0.12, 0.12, size=vals.size)
                ax.scatter(pos + jitter, vals, s=10, color=COLOURS[g], alpha=0.8, lw=0)
            ax.set_xticks([0, 1], [f"R (n={data[0].size})", f"NR (n={data[1].size})"])
            title = name
            if associations is not None and "feature" in associations:
                row = associations[associations["feature"] == name]
                if len(row):
                    r = row.iloc[0]
                    title += f"\nAUC={r['auc']:.2f} p={r['p_value']:.2g}"
            ax.set_title(title, fontsize=8)
    return fig


def paired_plot(
    features: pd.DataFrame,
    pairs: pd.DataFrame | Sequence[dict[str, Any]],
    *,
    feature_names: Sequence[str],
    labels: pd.Series | None = None,
    pre: str = "pre",
    post: str = "on",
) -> Figure:
    """Before/after lines per patient (coloured by response when ``labels`` are given).

    Parameters
    ----------
    features
        Samples x features.
    pairs
        ``patient``, ``pre_sample``, ``post_sample`` (see
        :func:`~immunescape.compare.pair_samples`).
    feature_names
        Features drawn, one panel each.
    labels
        Optional R / NR per sample id (of either timepoint).
    pre, post
        Axis labels.

    Examples
    --------
    >>> f = pd.DataFrame({"cyt": [1.0, 2]}, index=["a0", "a1"])
    >>> p = pd.DataFrame({"patient": ["a"], "pre_sample": ["a0"], "post_sample": ["a1"]})
    >>> len(paired_plot(f, p, feature_names=["cyt"]).axes)
    1
    """
    pr = pd.DataFrame(list(pairs)) if not isinstance(pairs, pd.DataFrame) else pairs
    names = [n for n in feature_names if n in features.columns]
    if not names:
        raise InputError("none of the features to plot is in the table", source="feature_names")
    lab = response_labels(labels) if labels is not None else None
    with _rc():
        fig, panels = _panel_grid(names)
        for ax, name in panels:
            for _, row in pr.iterrows():
                a = features.at[row["pre_sample"], name]
                b = features.at[row["post_sample"], name]
                g = None
                if lab is not None:
                    g = lab.get(row["pre_sample"], lab.get(row["post_sample"]))
                col = COLOURS.get(g, "#888888") if g else "#888888"
                ax.plot([0, 1], [a, b], "-o", color=col, ms=3, lw=0.8, alpha=0.8)
            ax.set_xticks([0, 1], [pre, post])
            ax.set_xlim(-0.3, 1.3)
            ax.set_title(name, fontsize=8)
    return fig


# ------------------------------------------------------------------------ all at once
def make_figures(result: Any, *, top: int = 6) -> dict[str, Figure]:
    """Draw the standard figures of a :class:`~immunescape.compare.CompareResult`.

    Names (file stems): ``volcano``, ``auc_forest``, ``hr_forest_<endpoint>``,
    ``km_<endpoint>_<feature>`` (the ``top`` features by log-rank p), ``score_by_response``
    (the ``top`` features by association p), ``paired`` (the ``top`` by paired p).
    """
    tables = result.tables
    data = getattr(result, "data", {}) or {}
    figs: dict[str, Figure] = {}
    de = tables.get("de")
    if de is not None and len(de):
        figs["volcano"] = volcano(de)
    assoc = tables.get("associations")
    if assoc is not None and assoc["auc"].notna().any():
        figs["auc_forest"] = auc_forest(assoc)
        feats = data.get("features")
        resp = data.get("response")
        if feats is not None and resp is not None:
            names = list(assoc.dropna(subset=["p_value"])["feature"].head(top))
            if names:
                figs["score_by_response"] = score_by_response(
                    feats, resp, feature_names=names, associations=assoc
                )
    surv = tables.get("survival")
    km = tables.get("km")
    if surv is not None and len(surv):
        for ep in dict.fromkeys(surv["endpoint"]):
            part = surv[surv["endpoint"] == ep]
            if part["hr"].notna().any():
                figs[f"hr_forest_{ep}"] = hr_forest(surv, endpoint=str(ep))
            if km is not None and len(km):
                uni = part[part["model"] == "univariable"].dropna(subset=["logrank_p"])
                uni = uni.sort_values("logrank_p", kind="mergesort").head(top)
                for feat in uni["feature"]:
                    if ((km["feature"] == feat) & (km["endpoint"] == ep)).any():
                        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(feat))
                        figs[f"km_{ep}_{safe}"] = km_plot(
                            km, feature=str(feat), endpoint=str(ep), survival=surv
                        )
    paired = tables.get("paired")
    if paired is not None and len(paired) and data.get("pairs") is not None:
        allg = paired[paired["group"] == "all"].dropna(subset=["p_value"])
        names = list(allg["feature"].head(top))
        if names:
            figs["paired"] = paired_plot(
                data["paired_features"] if "paired_features" in data else data["features"],
                data["pairs"],
                feature_names=names,
                labels=data.get("paired_labels"),
                pre=str(data.get("pre", "pre")),
                post=str(data.get("post", "post")),
            )
    return figs


def write_figures(
    result: Any,
    outdir: str | Path,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 150,
) -> list[Path]:
    """Write every figure of ``result`` (drawing them first if needed) as PNG and SVG.

    Files are ``<outdir>/figures/<name>.<format>``; SVGs carry no date and a fixed hash
    salt, so the same result gives the same bytes.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    for fmt in formats:
        check_choice("formats", fmt, FigureFormat)
    figs = getattr(result, "figures", None) or make_figures(result)
    if hasattr(result, "figures") and not result.figures:
        result.figures = figs
    out = Path(outdir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    meta = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
    with _rc():
        for name, fig in figs.items():
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                fig.savefig(path, format=fmt, dpi=dpi, metadata=meta[fmt])
                written.append(path)
    return written
