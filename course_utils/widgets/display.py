"""Show a widget with a static fallback picture in the same output."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import numpy as np


def gray(image: Any) -> np.ndarray:
    """An image as a float 2-D array in [0, 1]: colour channels averaged, 0-255 scaled."""
    img = np.asarray(image, np.float32)
    if img.max() > 1.0:
        img = img / 255.0
    return img.mean(-1) if img.ndim == 3 else img


class Explorer:
    """What every explorer shares: its ipywidgets view, built by ``_build`` on first use.

    Subclasses keep their controls in ``controls`` (name to ipywidget) and implement
    ``set(**values)``, returning a state with a ``describe()`` caption.
    """

    _widget: Any = None
    controls: dict[str, Any]

    def set(self, **values: Any) -> Any:
        """Change the explorer's settings; return its new state."""
        raise NotImplementedError

    @property
    def widget(self) -> Any:
        """The ipywidgets view (built on first use)."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:
        raise NotImplementedError

    def _connect(
        self, figure: Callable[[Any], Any], before_set: Callable[[], None] | None = None
    ) -> None:
        """Create ``_caption`` and ``_picture`` and redraw them on every change of a control in
        ``self.controls``: ``set`` with every control's value, then the picture (from
        ``figure(state)``), then the caption, so a new caption means the whole view is current.
        """
        import ipywidgets as w

        self._caption = w.HTML()
        self._picture = w.Image(format="png")

        def on_change(_change: Any = None) -> None:
            if before_set is not None:
                before_set()
            st = self.set(**{k: c.value for k, c in self.controls.items()})
            self._picture.value = figure_png(figure(st))
            self._caption.value = f"<b>{st.describe()}</b>"

        for control in self.controls.values():
            control.observe(on_change, names="value")
        on_change()


def opacity(value: Any) -> float:
    """An overlay opacity, checked to lie in ``[0, 1]``."""
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {value}.")
    return float(value)


def class_ids(values: Any, class_names: list[str]) -> list[int]:
    """Classes given by name or id, as ids."""
    return [class_names.index(v) if isinstance(v, str) else int(v) for v in values]


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    import matplotlib.pyplot as plt

    from course_utils._pictures import render

    png = render(fig, "png", dpi)
    plt.close(fig)
    return png


def figure_fallback(fig: Any, dpi: int = 80) -> tuple[str, bytes]:
    """A figure's static picture for places with no live kernel, and close it: JPEG for
    photographs, PNG for diagrams and plots (:func:`course_utils._pictures.picture`)."""
    import matplotlib.pyplot as plt

    from course_utils._pictures import picture

    chosen = picture(fig, dpi)
    plt.close(fig)
    return chosen


def mimebundle(widget: Any, fallback: bytes, alt: str, mime: str = "image/png") -> dict[str, Any]:
    """The display data: the live widget view plus a picture (``fallback``, of type
    ``mime``) and text for static renderers."""
    bundle = {
        "text/plain": alt,
        mime: base64.b64encode(fallback).decode("ascii"),
    }
    view = widget._repr_mimebundle_() if hasattr(widget, "_repr_mimebundle_") else None
    if view:
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
    return bundle


def show(explorer: Any) -> None:
    """Display an explorer: its widget where widgets run, its static figure elsewhere."""
    from IPython.display import display

    mime, picture = figure_fallback(explorer.static_figure())
    display(mimebundle(explorer.widget, picture, repr(explorer), mime), raw=True)
