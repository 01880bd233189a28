"""A matplotlib figure drawn off-screen and handed back as base64 PNG for an <img> in a page
that must stand alone (no files beside it, no scripts)."""

from __future__ import annotations

import base64
import io
from typing import Any


def chart_label(value: Any, width: int | None = None) -> str:
    """Data as a chart label: `$` would start matplotlib's math mode (`$\\frac$` raises, `$x$`
    changes the text), so it is escaped; control characters become spaces."""
    text = str(value)[:width] if width else str(value)
    text = "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in text)
    return text.replace("$", r"\$")


def png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def figure(w: float = 4.2, h: float = 2.6) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(w, h))
