"""Figures stored small: JPEG for photographs, PNG for everything else.

A notebook keeps every figure it shows. A grid of CamVid frames stored as PNG takes most
of a megabyte; as JPEG at quality 85 a fraction of that, with no difference a reader
sees. A line plot or a diagram is the other way round: its PNG is small and sharp, its
JPEG blurred at the edges and often larger. :func:`picture` renders both and keeps the
JPEG only where it takes at most :data:`JPEG_SHARE` of the PNG's bytes.
:func:`use_compact_figures` (called by ``setup()``) makes the notebook's inline figures
follow that rule; the widgets' static pictures do too (``widgets.display``).

Nothing here runs at import time: matplotlib and IPython are imported inside the functions.
"""

from __future__ import annotations

import io
from typing import Any

#: A figure is stored as JPEG when that takes at most this share of its PNG's bytes.
JPEG_SHARE = 0.5

#: JPEG quality of a stored figure (Pillow's scale, 1-95).
JPEG_QUALITY = 85


def picture(fig: Any, dpi: float | None = None, quality: int = JPEG_QUALITY) -> tuple[str, bytes]:
    """A figure's stored picture: ``("image/jpeg", bytes)`` when the JPEG is at most
    :data:`JPEG_SHARE` of the PNG, else ``("image/png", bytes)``. Rendered as the notebook's
    inline figures are (tight bounding box, the figure's own colours), at ``dpi`` (``None``:
    the figure's own). The figure is left open."""
    png = render(fig, "png", dpi)
    jpeg = render(fig, "jpeg", dpi, pil_kwargs={"quality": quality})
    return ("image/jpeg", jpeg) if len(jpeg) <= JPEG_SHARE * len(png) else ("image/png", png)


def use_compact_figures(shell: Any = None) -> bool:
    """Show every matplotlib figure of this notebook as :func:`picture` chooses.

    Replaces the inline backend's PNG formatter for figures with one that gives the PNG or
    nothing, and adds a JPEG formatter that gives the JPEG or nothing, so each figure is
    stored once, in one format. Outside IPython (a script, a test) it does nothing.

    Args:
        shell: the IPython shell (``None``: the running one, if any).

    Returns:
        Whether a shell was found and its figure formatters were set.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if not formatters or "image/png" not in formatters or "image/jpeg" not in formatters:
        return False
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # pyplot loads its backend at the first figure, and the inline backend then sets the
    # shell's figure formatters afresh: load it now, so that ours come after it
    plt.close(plt.figure())

    chosen: dict[int, tuple[str, bytes]] = {}  # one rendering serves both formatters

    def as_png(fig: Any) -> bytes | None:
        if not fig.axes:  # as the inline backend: an empty figure shows nothing
            return None
        chosen[id(fig)] = picture(fig)
        mime, data = chosen[id(fig)]
        return data if mime == "image/png" else None

    def as_jpeg(fig: Any) -> bytes | None:
        if not fig.axes:
            return None
        mime, data = chosen.pop(id(fig)) if id(fig) in chosen else picture(fig)
        return data if mime == "image/jpeg" else None

    formatters["image/png"].for_type(Figure, as_png)
    formatters["image/jpeg"].for_type(Figure, as_jpeg)
    return True


def render(fig: Any, fmt: str, dpi: float | None = None, **options: Any) -> bytes:
    """A figure as ``fmt`` bytes (``"png"``, ``"jpeg"``), as the notebook's inline figures
    are drawn: tight bounding box, the figure's own colours, at ``dpi`` (``None``: the
    figure's own). ``options`` go to matplotlib's ``print_figure``. The figure is left open."""
    buf = io.BytesIO()
    fig.canvas.print_figure(
        buf, format=fmt, dpi=fig.dpi if dpi is None else dpi, bbox_inches="tight",
        facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor(), **options,
    )  # fmt: skip
    return buf.getvalue()
