"""Allele-specific HLA LOH calls (LOHHLA, arcasHLA-quant or a long table of alleles)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from immunescape.errors import InputError
from immunescape.genomics._hla_alleles import _LOCI, normalise_allele
from immunescape.genomics._numeric import parse_numeric
from immunescape.genomics._reading import (
    PathLike,
    frame_with_rows,
    pick_columns,
    read_table,
    with_sample_col,
)

__all__ = ["hla_loh_from_frame", "read_hla_loh", "LOH_MAX_COPY_NUMBER", "LOH_MAX_P_VALUE"]

#: LOHHLA rule (McGranahan et al. 2017): an allele with copy number below this is lost ...
LOH_MAX_COPY_NUMBER = 0.5
#: ... when the allelic-imbalance p value is below this.
LOH_MAX_P_VALUE = 0.01
_LOH_COLUMNS: dict[str, tuple[str, ...]] = {
    "sample_id": ("sample_id", "region", "Sample", "sample", "Tumor_Sample_Barcode"),
    "allele": ("allele", "hla_allele", "Allele"),
    "copy_number": ("copy_number", "copyNum", "cn"),
    "p_value": ("p_value", "PVal_unique", "pvalue", "p"),
    "lost": ("lost", "loss", "loh", "LOH"),
}


def hla_loh_from_frame(
    frame: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    sample_id: str | None = None,
    max_copy_number: float = LOH_MAX_COPY_NUMBER,
    max_p_value: float = LOH_MAX_P_VALUE,
    source: str = "<memory>",
) -> pd.DataFrame:
    """Allele-specific HLA LOH calls from a DataFrame (formats as in :func:`read_hla_loh`).

    Parameters
    ----------
    frame
        A LOHHLA ``HLAlossPrediction_CI`` table or a long table (one row per allele).
    columns
        Field -> column mapping for the long format (``sample_id``, ``allele``,
        ``copy_number``, ``p_value``, ``lost``).
    sample_id
        Sample of a single-sample LOHHLA table without ``region``.
    max_copy_number, max_p_value
        The LOH rule: lost when copy number < ``max_copy_number`` and p < ``max_p_value``.
    source
        Name for messages.

    Returns
    -------
    pandas.DataFrame
        ``sample_id``, ``locus``, ``allele``, ``copy_number``, ``p_value``, ``lost``.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = hla_loh_from_frame(pd.DataFrame({"sample_id": ["S1"], "allele": ["C*07:01"],
    ...                                          "copy_number": [0.3], "p_value": [0.004]}))
    >>> calls[["locus", "allele", "lost"]].values.tolist()
    [['C', 'C*07:01', True]]
    """
    df = frame_with_rows(frame, what="HLA LOH table", fix="give the calls", source=source)
    if "HLA_A_type1" in df.columns and "HLA_A_type2" in df.columns:
        need = ["HLA_type1copyNum_withBAFBin", "HLA_type2copyNum_withBAFBin"]
        pcol = "PVal_unique" if "PVal_unique" in df.columns else "PVal"
        missing = [c for c in [*need, pcol] if c not in df.columns]
        if missing:
            raise InputError(
                f"LOHHLA table lacks column(s) {', '.join(missing)}",
                source=source,
                fix="give the *.HLAlossPrediction_CI file written by LOHHLA",
            )
        if "region" in df.columns:
            sid = df["region"]
        elif sample_id is not None:
            sid = pd.Series(sample_id, index=df.index)
        else:
            raise InputError(
                "LOHHLA table has no 'region' column naming the tumour sample",
                source=source,
                fix="pass sample_id=... for a single-sample LOHHLA file",
            )
        parts = []
        for k in ("1", "2"):
            parts.append(
                pd.DataFrame(
                    {
                        "sample_id": sid,
                        "allele_input": df[f"HLA_A_type{k}"],
                        "copy_number": df[f"HLA_type{k}copyNum_withBAFBin"],
                        "p_value": df[pcol],
                    }
                )
            )
        long = pd.concat(parts, ignore_index=True)
        long["lost_given"] = pd.NA
    else:
        found = pick_columns(
            df, aliases=_LOH_COLUMNS, mapping=columns, required=("sample_id", "allele"),
            source=source, what="HLA LOH table",
        )  # fmt: skip
        has_rule = "copy_number" in found and "p_value" in found
        if not has_rule and "lost" not in found:
            raise InputError(
                "HLA LOH table needs copy_number and p_value columns (or a lost column)",
                source=source,
                fix="add the allele copy number and the allelic-imbalance p value per allele",
            )
        long = pd.DataFrame(
            {"sample_id": df[found["sample_id"]], "allele_input": df[found["allele"]]}
        )
        long["copy_number"] = df[found["copy_number"]] if "copy_number" in found else np.nan
        long["p_value"] = df[found["p_value"]] if "p_value" in found else np.nan
        if "lost" in found:
            text = df[found["lost"]].astype("string").str.strip().str.lower()
            long["lost_given"] = text.map({"true": True, "false": False, "1": True, "0": False,
                                           "yes": True, "no": False})  # fmt: skip
        else:
            long["lost_given"] = pd.NA
    if sample_id is not None and "region" not in df.columns:
        long["sample_id"] = sample_id
    long["sample_id"] = long["sample_id"].astype("string").str.strip().astype(object)
    for c in ("copy_number", "p_value"):
        col = parse_numeric(long[c])
        if col.bad.any():
            raise InputError(
                f"HLA LOH column {c} has non-numeric values such as {col.shown()}",
                source=source,
                fix="give numbers (NA when not estimable)",
            )
        long[c] = col.numbers
    parsed = [normalise_allele(v) for v in long["allele_input"]]
    long["locus"] = [p[0] for p in parsed]
    long["allele"] = [p[1] for p in parsed]
    if long["allele"].isna().any():
        ex = long.loc[long["allele"].isna(), "allele_input"].astype(str).iloc[0]
        raise InputError(
            f"HLA LOH allele {ex!r} is not a class I allele",
            source=source,
            fix="write alleles as HLA-A*02:01 or hla_a_02_01",
        )
    by_rule = (long["copy_number"] < max_copy_number) & (long["p_value"] < max_p_value)
    rule_known = long["copy_number"].notna() & long["p_value"].notna()
    given = long["lost_given"].astype("boolean")
    rule_call = pd.Series(by_rule.to_numpy(), index=long.index, dtype="boolean")
    rule_call[~rule_known.to_numpy()] = pd.NA
    long["lost"] = given.where(given.notna(), rule_call)
    out = long[["sample_id", "locus", "allele", "copy_number", "p_value", "lost"]]
    return out.drop_duplicates(["sample_id", "allele", "copy_number", "p_value"]).reset_index(
        drop=True
    )


def read_hla_loh(
    path: PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    sample_col: str | None = None,
    sample_id: str | None = None,
    max_copy_number: float = LOH_MAX_COPY_NUMBER,
    max_p_value: float = LOH_MAX_P_VALUE,
) -> pd.DataFrame:
    r"""Read allele-specific HLA LOH calls.

    Accepted formats:

    arcasHLA-quant
        The results table with per-locus ``A_LOSS``/``B_LOSS``/``C_LOSS`` (true/false) and
        ``A_lost``/``B_lost``/``C_lost`` (the lost allele names); the first column is the
        sample. The tool's own calls are used as given.
    LOHHLA
        The ``*.HLAlossPrediction_CI`` table: ``region`` (tumour sample; or pass
        ``sample_id``), ``HLA_A_type1``, ``HLA_A_type2`` (allele names of the gene in that
        row), ``HLA_type1copyNum_withBAFBin``, ``HLA_type2copyNum_withBAFBin`` and
        ``PVal_unique`` (``PVal`` if absent).
    long
        One row per allele: ``sample_id``, ``allele``, ``copy_number``, ``p_value``, and/or a
        ``lost`` true/false column (your own calls, used as given).

    An allele is lost when copy number < ``max_copy_number`` and p < ``max_p_value``
    (McGranahan et al. 2017: 0.5 and 0.01).

    Parameters
    ----------
    path
        The file.
    columns
        Field -> column mapping for the long format.
    sample_col
        The sample-id column (the same as ``columns={"sample_id": ...}``; it wins).
    sample_id
        Sample of a single-sample LOHHLA file without ``region``.
    max_copy_number, max_p_value
        The LOH rule thresholds.

    Returns
    -------
    pandas.DataFrame
        ``sample_id``, ``locus``, ``allele``, ``copy_number``, ``p_value``, ``lost``
        (boolean; NA when neither a call nor the numbers are given).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "loh.tsv"
    >>> _ = f.write_text("sample_id\tallele\tcopy_number\tp_value\n"
    ...                  "S1\tA*02:01\t0.2\t0.001\nS1\tA*24:02\t1.4\t0.001\n")
    >>> read_hla_loh(f)[["allele", "lost"]].values.tolist()
    [['A*02:01', True], ['A*24:02', False]]
    """
    df, _ = read_table(path, what="HLA LOH table")
    if {"A_LOSS", "A_lost", "B_lost", "C_lost"} <= set(df.columns):
        return _arcashla_quant_loh(df, source=str(path))
    return hla_loh_from_frame(
        df,
        columns=with_sample_col(columns, sample_col),
        sample_id=sample_id,
        max_copy_number=max_copy_number,
        max_p_value=max_p_value,
        source=str(path),
    )


def _arcashla_quant_loh(df: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """arcasHLA-quant loss calls: ``X_LOSS`` true/false per locus, ``X_lost`` the lost allele(s).

    A locus with ``X_LOSS`` False gives one row with no allele and ``lost`` False, so the
    sample counts as assessed (``hla_loh`` False) without inventing allele names.
    """
    sid_col = df.columns[0]
    rows: list[tuple[str, str, str | None, float, float, bool]] = []
    for _, r in df.iterrows():
        sample = str(r[sid_col]).strip()
        for locus in _LOCI:
            flag = str(r.get(f"{locus}_LOSS", "")).strip().lower()
            if flag not in ("true", "false"):
                continue
            if flag == "true":
                names = [a for a in str(r.get(f"{locus}_lost", "")).split(",") if a.strip()]
                alleles = list(dict.fromkeys(normalise_allele(a)[1] for a in names))
                for a in alleles:
                    if a is None:
                        raise InputError(
                            f"arcasHLA-quant lost allele {r.get(f'{locus}_lost')!r} of sample "
                            f"{sample!r} is not a class I allele name",
                            source=source,
                            fix="keep the X_lost columns as arcasHLA-quant wrote them",
                        )
                    rows.append((sample, locus, a, np.nan, np.nan, True))
            else:
                rows.append((sample, locus, None, np.nan, np.nan, False))
    if not rows:
        raise InputError(
            "arcasHLA-quant table has no A/B/C_LOSS value", source=source,
            fix="give the results table arcasHLA-quant wrote",
        )  # fmt: skip
    out = pd.DataFrame(rows, columns=["sample_id", "locus", "allele", "copy_number", "p_value",
                                      "lost"])  # fmt: skip
    out["lost"] = out["lost"].astype("boolean")
    return out
