"""Response prediction (ROC, calibration, probabilities) and static figures."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

from immunescape.errors import InputError
from immunescape.report import _figures as F
from immunescape.report._builder import Builder, num_cell
from immunescape.report._model import Cell, Column, Image, Table

__all__ = ["prediction", "images"]


def prediction(b: Builder) -> dict[str, Any] | None:
    """ROC curves, calibration, predicted probabilities."""
    if not any(k in b.t for k in ("roc", "calibration", "predictions")):
        return None
    out: dict[str, Any] = dict.fromkeys(("roc", "calibration", "box", "table"))
    if "roc" in b.t:
        out["roc"] = b.figure(F.roc_curves(b.t["roc"]), label="ROC curves of predictors")
    if "calibration" in b.t:
        out["calibration"] = b.figure(
            F.calibration_plot(b.t["calibration"]), label="Calibration plot"
        )
    if "predictions" in b.t:
        pred = b.t["predictions"]
        out["box"] = b.figure(
            F.probability_box(pred, response=b.response),
            label="Predicted probability of response per model"
            + (" by observed response" if b.response else ""),
        )
        models = list(dict.fromkeys(pred["model"]))
        wide = pred.drop_duplicates(["sample_id", "model"]).pivot(
            index="sample_id", columns="model", values="probability"
        )
        rows = []
        for s in [p for p in b.patients if p in wide.index] or list(wide.index):
            row = [
                Cell(
                    s,
                    kind="link" if s in b.anchors else "text",
                    href=f"#{b.anchors[s]}" if s in b.anchors else None,
                )
            ]
            if b.response:
                row.append(Cell(b.response.get(s, "unknown")))
            row += [num_cell(wide.loc[s, m], digits=2) for m in models]
            rows.append(row)
        out["table"] = Table(
            [Column("patient")]
            + ([Column("response")] if b.response else [])
            + [Column(m, True) for m in models],
            rows,
            scroll=len(rows) > 15,
            caption="Predicted probability of response",
        )
    return out

def images(figures: Mapping[str, Any] | None, *, dpi: int = 110) -> list[Image]:
    """Embed static figures (matplotlib Figures or PNG bytes) as data URIs."""
    out = []
    for name, obj in (figures or {}).items():
        if isinstance(obj, bytes | bytearray | memoryview):
            data = bytes(obj)
        elif hasattr(obj, "savefig"):
            buf = io.BytesIO()
            obj.savefig(
                buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None}
            )
            data = buf.getvalue()
        else:
            raise InputError(
                f"figure {name!r} is a {type(obj).__name__}",
                source="render_report(figures=...)",
                fix="pass a matplotlib Figure or PNG bytes",
            )
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise InputError(
                f"figure {name!r} is not a PNG image",
                source="render_report(figures=...)",
                fix="pass PNG bytes (e.g. fig.savefig(buf, format='png'))",
            )
        out.append(
            Image(str(name), "data:image/png;base64," + base64.b64encode(data).decode("ascii"))
        )
    return out
