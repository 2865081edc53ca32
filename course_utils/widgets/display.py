"""Show a widget with a static fallback picture in the same output."""

from __future__ import annotations

import base64
import io
from typing import Any


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def mimebundle(widget: Any, fallback_png: bytes, alt: str) -> dict[str, Any]:
    """The display data: the live widget view plus a PNG and text for static renderers."""
    bundle = {
        "text/plain": alt,
        "image/png": base64.b64encode(fallback_png).decode("ascii"),
    }
    view = widget._repr_mimebundle_() if hasattr(widget, "_repr_mimebundle_") else None
    if view:
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
    return bundle


def show(explorer: Any) -> None:
    """Display an explorer: its widget where widgets run, its static figure elsewhere."""
    from IPython.display import display

    png = figure_png(explorer.static_figure())
    display(mimebundle(explorer.widget, png, repr(explorer)), raw=True)
