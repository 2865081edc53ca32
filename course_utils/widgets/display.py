"""Show a widget with a static fallback picture in the same output."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np


def gray(image: Any) -> np.ndarray:
    """An image as a float 2-D array in [0, 1]: colour channels averaged, 0-255 scaled."""
    img = np.asarray(image, np.float32)
    if img.max() > 1.0:
        img = img / 255.0
    return img.mean(-1) if img.ndim == 3 else img


class Explorer:
    """What every explorer shares: its ipywidgets view, built by ``_build`` on first use."""

    _widget: Any = None

    @property
    def widget(self) -> Any:
        """The ipywidgets view (built on first use)."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:
        raise NotImplementedError


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
