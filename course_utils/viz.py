"""Pictures of images, masks and training: palettes, overlays, error maps, grids, curves.

Needs only NumPy and matplotlib. Colours come as a palette: an ``(N, 3)`` array of
RGB values in 0..255, one row per class id (``data.info(name).colors`` gives a
dataset's real colours; :func:`default_palette` gives the VOC-style one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from course_utils.palettes import voc_colors

VOID_COLOR = (0, 0, 0)
#: Error-map colours: Okabe and Ito's blue and orange, which stay apart for the common
#: kinds of colour blindness (red and green do not), and grey for void pixels.
ERROR_COLORS = {"right": (0, 114, 178), "wrong": (230, 159, 0), "ignored": (160, 160, 160)}
ERROR_LABELS = {"right": "right", "wrong": "wrong", "ignored": "void (not scored)"}
#: Colours of curves and bars, in order: Okabe and Ito's palette, whose first five stay
#: apart for red-green colour blindness (matplotlib's default cycle puts green beside red).
CURVE_COLORS = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermilion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)


def use_curve_colors() -> None:
    """Make :data:`CURVE_COLORS` matplotlib's colour cycle (``setup()`` does this)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams["axes.prop_cycle"] = cycler(color=list(CURVE_COLORS))


def default_palette(n: int = 256) -> np.ndarray:
    """The PASCAL VOC colour map: ``uint8 (n, 3)``, distinct colours for ids ``0..n-1``.

    The same colours as ``data.info("voc2012").colors`` (both come from
    :func:`course_utils.palettes.voc_colors`).
    """
    return np.array(voc_colors(n), np.uint8).reshape(n, 3)


def as_palette(palette: Any = None, num_classes: int | None = None) -> np.ndarray:
    """Turn ``None``, a list of RGB triples or an array into a ``uint8 (N, 3)`` palette."""
    if palette is None:
        return default_palette(max(num_classes or 0, 256))
    array = np.asarray(palette, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"A palette is a list of RGB triples, got shape {array.shape}.")
    if array.max() <= 1.0:
        array = array * 255
    return array.round().astype(np.uint8)


def colorize(mask: Any, palette: Any = None, ignore_index: int | None = None) -> np.ndarray:
    """Paint a mask of class ids: ``(H, W)`` or ``(H, W, 1)`` -> ``uint8 (H, W, 3)``.

    Pixels with ``ignore_index`` (and ids beyond the palette) are painted black.
    """
    ids = np.asarray(mask)
    if ids.ndim == 3 and ids.shape[-1] == 1:
        ids = ids[..., 0]
    ids = ids.astype(np.int64)
    pal = as_palette(palette)
    out = np.zeros(ids.shape + (3,), np.uint8)
    inside = (ids >= 0) & (ids < len(pal))
    if ignore_index is not None:
        inside &= ids != ignore_index
    out[inside] = pal[ids[inside]]
    return out


def _to_rgb_float(image: Any) -> np.ndarray:
    img = np.asarray(image, dtype=np.float32)
    if img.max() > 1.0:
        img = img / 255.0
    if img.ndim == 2:
        img = img[..., None]
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    return np.clip(img[..., :3], 0, 1)  # RGBA: the alpha channel is dropped


def overlay(
    image: Any, mask: Any, alpha: float = 0.5, palette: Any = None, ignore_index: int | None = None
) -> np.ndarray:
    """Blend a coloured mask over an image: ``float32 (H, W, 3)`` in ``[0, 1]``.

    Void pixels keep the plain image. ``alpha`` is the mask's opacity (0 = image only).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}.")
    img = _to_rgb_float(image)
    colors = colorize(mask, palette, ignore_index).astype(np.float32) / 255.0
    if colors.shape[:2] != img.shape[:2]:
        raise ValueError(f"mask {colors.shape[:2]} and image {img.shape[:2]} differ in size.")
    out = (1 - alpha) * img + alpha * colors
    if ignore_index is not None:
        ids = np.asarray(mask).reshape(img.shape[:2])
        out[ids == ignore_index] = img[ids == ignore_index]
    return out


def error_map(y_true: Any, y_pred: Any, ignore_index: int | None = None) -> np.ndarray:
    """Colour each pixel right (blue), wrong (orange) or ignored (grey): ``uint8 (H, W, 3)``.

    ``y_pred`` may be class ids ``(H, W[, 1])`` or scores ``(H, W, K)`` (argmax is taken).
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if p.ndim == 3 and p.shape[-1] > 1:
        p = p.argmax(-1)
    t = t.reshape(t.shape[:2])
    p = p.reshape(p.shape[:2])
    if t.shape != p.shape:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} differ in size.")
    out = np.empty(t.shape + (3,), np.uint8)
    out[:] = ERROR_COLORS["wrong"]
    out[t == p] = ERROR_COLORS["right"]
    if ignore_index is not None:
        out[t == ignore_index] = ERROR_COLORS["ignored"]
    return out


def legend_handles(class_names: Sequence[str], palette: Any = None) -> list[Any]:
    """Matplotlib patches, one per class, for ``fig.legend(handles=...)``."""
    from matplotlib.patches import Patch

    pal = as_palette(palette, len(class_names))
    return [Patch(color=pal[i] / 255.0, label=name) for i, name in enumerate(class_names)]


def error_legend_handles(ignore_index: int | None = None) -> list[Any]:
    """Matplotlib patches for the error map's key: right, wrong and (with a void id) void."""
    from matplotlib.patches import Patch

    kinds = ["right", "wrong"] + (["ignored"] if ignore_index is not None else [])
    return [
        Patch(color=tuple(c / 255.0 for c in ERROR_COLORS[k]), label=ERROR_LABELS[k])  # type: ignore[arg-type]
        for k in kinds
    ]


def show_predictions(
    images: Any,
    masks: Any,
    preds: Any = None,
    class_names: Sequence[str] | None = None,
    palette: Any = None,
    ignore_index: int | None = None,
    max_rows: int = 4,
    errors: bool = True,
    size: float = 2.6,
) -> Any:
    """A grid: image, true mask, and (if given) prediction and error map, one row per image.

    Args:
        images: ``(N, H, W, C)``.
        masks: ``(N, H, W[, 1])`` true class ids.
        preds: ``(N, H, W[, 1])`` predicted ids, or ``(N, H, W, K)`` scores (argmax taken).
        class_names: names for the legend.
        palette: class colours.
        ignore_index: void id (painted black, grey in the error map).
        max_rows: show at most this many images.
        errors: add the error-map column when ``preds`` is given.
        size: inches per panel.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)[:max_rows]
    masks = np.asarray(masks)[: len(images)]
    if preds is not None:
        preds = np.asarray(preds)[: len(images)]
        if preds.ndim == 4 and preds.shape[-1] > 1:
            preds = preds.argmax(-1)
    titles = ["image", "true mask"]
    if preds is not None:
        titles += ["prediction"] + (["errors (blue right, orange wrong)"] if errors else [])
    rows, cols = len(images), len(titles)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols * 1.3, size * rows), squeeze=False)
    for r in range(rows):
        panels = [_to_rgb_float(images[r]), colorize(masks[r], palette, ignore_index)]
        if preds is not None:
            panels.append(colorize(preds[r], palette, None))
            if errors:
                panels.append(error_map(masks[r], preds[r], ignore_index))
        for c, panel in enumerate(panels):
            ax = axes[r, c]
            ax.imshow(panel, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=9)
    show_key = preds is not None and errors
    if class_names is not None or show_key:
        if class_names is not None:
            fig.legend(
                handles=legend_handles(class_names, palette),
                loc="center right",
                fontsize=8,
                frameon=False,
                title="classes",
                title_fontsize=8,
            )
        if show_key:
            fig.legend(
                handles=error_legend_handles(ignore_index),
                loc="lower right",
                fontsize=8,
                frameon=False,
                title="error map",
                title_fontsize=8,
            )
        fig.tight_layout(rect=(0, 0, 0.86, 1))
    else:
        fig.tight_layout()
    return fig


def image_grid(
    images: Any, titles: Sequence[str] | None = None, cols: int = 8, size: float = 1.5
) -> Any:
    """Show images in a grid, each with an optional title (e.g. "cat -> dog 97%")."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    rows = int(np.ceil(len(images) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(_to_rgb_float(images[i]), interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=7)
    fig.tight_layout()
    return fig


def plot_history(history: Any, metrics: Sequence[str] | None = None, size: float = 3.6) -> Any:
    """Training curves: one panel per metric, training and validation together.

    Args:
        history: a Keras ``History`` or its ``.history`` dict.
        metrics: names to plot (default: every metric that has no ``val_`` prefix).
    """
    import matplotlib.pyplot as plt

    logs: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    names = list(metrics) if metrics else [k for k in logs if not k.startswith("val_")]
    if not names:
        raise ValueError("The history is empty: train for at least one epoch first.")
    fig, axes = plt.subplots(1, len(names), figsize=(size * len(names), size * 0.8), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        values = logs[name]
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, "o-", ms=3, label="train")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], "o-", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_confusion(
    cm: Any, class_names: Sequence[str], normalize: bool = True, size: float = 6.0
) -> Any:
    """Show a confusion matrix; rows are true classes. ``normalize`` shows row fractions."""
    import matplotlib.pyplot as plt

    cm = np.asarray(cm, dtype=np.float64)
    shown = cm / np.maximum(cm.sum(1, keepdims=True), 1) if normalize else cm
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    n = len(class_names)
    ax.set_xticks(range(n), class_names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), class_names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 21:
        for i in range(n):
            for j in range(n):
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(shown[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=6,
                        color="white" if shown[i, j] > 0.6 * shown.max() else "black")  # fmt: skip
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def show_feature_maps(
    feature_maps: Any, max_maps: int = 16, cols: int = 8, size: float = 1.4
) -> Any:
    """A grid of the channels of one feature map ``(H, W, C)`` (or ``(1, H, W, C)``).

    All panels share one colour scale, shown by a colour bar: a sequential map from 0 when
    the values are non-negative (after a ReLU), a diverging one centred on 0 otherwise.
    """
    import matplotlib.pyplot as plt

    fmap = np.asarray(feature_maps, dtype=np.float32)
    if fmap.ndim == 4:
        fmap = fmap[0]
    if fmap.ndim != 3:
        raise ValueError(f"Expected a feature map (H, W, C), got shape {fmap.shape}.")
    n = min(max_maps, fmap.shape[-1])
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, min(cols, n), figsize=(size * min(cols, n), size * rows), squeeze=False
    )
    shown = fmap[..., :n]
    if shown.min() >= 0:
        scale = {"cmap": "viridis", "vmin": 0.0, "vmax": float(shown.max()) or 1.0}
    else:
        limit = float(np.abs(shown).max())
        scale = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
    image = None
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            image = ax.imshow(fmap[..., i], **scale)
            ax.set_title(f"#{i}", fontsize=7)
    fig.tight_layout()
    if image is not None:
        fig.colorbar(image, ax=axes, fraction=0.02, pad=0.02)
    return fig


def colors_to_ids(rgb_mask: Any, palette: Any, unknown: int = 255) -> np.ndarray:
    """Map a colour-coded mask ``(H, W, 3)`` to class ids; unknown colours -> ``unknown``."""
    rgb = np.asarray(rgb_mask)[..., :3].astype(np.int64)
    pal = as_palette(palette).astype(np.int64)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    lookup = {int((r << 16) | (g << 8) | b): i for i, (r, g, b) in enumerate(pal)}
    out = np.full(keys.shape, unknown, np.uint8)
    for key, idx in lookup.items():
        out[keys == key] = idx
    return out


def share_labels(class_names: Sequence[str], shares: Any) -> list[str]:
    """Legend labels with each class's share of the labelled pixels: ``"Road 34.2%"``."""
    shares = np.asarray(shares, np.float64)
    if len(shares) != len(class_names):
        raise ValueError(f"{len(shares)} shares for {len(class_names)} classes.")
    return [f"{name} {100 * s:.1f}%" for name, s in zip(class_names, shares, strict=True)]


def show_segmentation(
    images: Sequence[Any],
    ids: Sequence[Any],
    class_names: Sequence[str],
    palette: Any = None,
    ignore_index: int | None = None,
    alpha: float = 0.5,
    titles: Sequence[str] | None = None,
    reference_shares: Any = None,
    reference_label: str = "reference",
    size: float = 3.0,
) -> Any:
    """Segmentations without a true mask (your own photos): one row per image with the
    image, the predicted classes blended over it (void, e.g. outside a crop, left plain),
    and a bar per class of its share of the labelled pixels.

    Args:
        images: each ``(H, W, 3)``; sizes may differ between rows.
        ids: each ``(H, W)`` class ids of its image.
        class_names, palette, ignore_index: as ``data.info(...)`` gives them.
        alpha: the overlay's opacity.
        titles: one title per row (shown over the image).
        reference_shares: ``(num_classes,)`` shares drawn as outlined bars beside each
            row's, e.g. the classes' shares of the training pixels.
        reference_label: the legend's name for those bars.
        size: inches of height per row.

    Returns:
        The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    from course_utils import ops

    if len(images) != len(ids) or not len(images):
        raise ValueError(f"give one id map per image: {len(images)} images, {len(ids)} maps.")
    n = len(class_names)
    pal = as_palette(palette, n)
    rows = len(images)
    fig, axes = plt.subplots(
        rows, 3, figsize=(3.6 * size, size * rows + 0.3), squeeze=False,
        gridspec_kw={"width_ratios": [1, 1, 0.9]}, layout="constrained",
    )  # fmt: skip
    y = np.arange(n)
    for r, (image, mask) in enumerate(zip(images, ids, strict=True)):
        mask = np.asarray(mask).reshape(np.asarray(image).shape[:2])
        shares = ops.class_shares(mask, n, ignore_index)
        axes[r, 0].imshow(_to_rgb_float(image))
        axes[r, 0].set_title(titles[r] if titles else "image", fontsize=9)
        axes[r, 1].imshow(overlay(image, mask, alpha, palette, ignore_index))
        axes[r, 1].set_title("predicted classes", fontsize=9)
        for ax in axes[r, :2]:
            ax.set_xticks([])
            ax.set_yticks([])
        bars = axes[r, 2]
        height = 0.4 if reference_shares is not None else 0.8
        bars.barh(y, 100 * shares, height=height, color=pal[:n] / 255.0, label="this image")
        if reference_shares is not None:
            ref = 100 * np.asarray(reference_shares, np.float64)
            bars.barh(
                y + height, ref, height=height, fill=False, edgecolor="0.3",
                label=reference_label,
            )  # fmt: skip
            bars.legend(fontsize=7, loc="lower right")
        bars.set_yticks(y + (height / 2 if reference_shares is not None else 0), class_names)
        bars.invert_yaxis()
        bars.tick_params(labelsize=7)
        bars.set_xlabel("share of the labelled pixels (%)", fontsize=8)
    return fig
