"""Dataset browser: pick a split and an image, set the overlay's opacity, show or hide
classes; a legend gives each class's pixel count in the image and in the whole split."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from course_utils import viz
from course_utils.widgets.display import Explorer, class_ids, opacity


@dataclasses.dataclass(frozen=True)
class BrowserState:
    """What the browser shows for one setting.

    Attributes:
        split, index: which image.
        image: the image as float ``(H, W, 3)`` in ``[0, 1]``.
        overlay: the image with the shown classes' colours blended in.
        image_counts: pixels of each class in this image (void not counted).
        split_counts: pixels of each class in the whole split (as loaded).
        void_pixels: void pixels in this image.
    """

    split: str
    index: int
    image: np.ndarray
    overlay: np.ndarray
    image_counts: np.ndarray
    split_counts: np.ndarray
    void_pixels: int

    def legend(self, class_names: Sequence[str], shown: Sequence[int]) -> list[str]:
        """One line per class: name, pixels in this image, share of the split; hidden
        classes are marked."""
        total = max(int(self.split_counts.sum()), 1)
        return [
            f"{'' if i in shown else '(hidden) '}{name}: {int(self.image_counts[i]):,} px here, "
            f"{100 * self.split_counts[i] / total:.1f}% of {self.split}"
            for i, name in enumerate(class_names)
        ]

    def describe(self) -> str:
        """One line for the widget's caption."""
        present = int((self.image_counts > 0).sum())
        return (
            f"{self.split} image {self.index}: {present} classes present, "
            f"{self.void_pixels:,} void pixels"
        )


def class_counts(masks: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixels of each class id ``0..num_classes-1`` in ``masks`` (other ids not counted)."""
    ids = np.asarray(masks).ravel()
    ids = ids[(ids >= 0) & (ids < num_classes)]
    return np.bincount(ids, minlength=num_classes)[:num_classes]


def browser_state(
    image: np.ndarray,
    mask: np.ndarray,
    split_counts: np.ndarray,
    class_names: Sequence[str],
    palette: Any = None,
    ignore_index: int | None = None,
    alpha: float = 0.5,
    shown: Sequence[int] | None = None,
    split: str = "train",
    index: int = 0,
) -> BrowserState:
    """Compute what the dataset browser displays (no widgets involved).

    Args:
        image: ``(H, W, 3)``; mask: ``(H, W)`` or ``(H, W, 1)`` class ids.
        split_counts: per-class pixel counts of the split (see :func:`class_counts`).
        shown: class ids to colour (default all); hidden classes keep the plain image.

    Raises:
        ValueError: when the mask does not fit the image or holds ids that are neither a
            class nor the void id.
    """
    img = np.asarray(image)
    mask = np.asarray(mask)
    if mask.size != img.shape[0] * img.shape[1]:
        raise ValueError(f"mask {mask.shape} does not fit image {img.shape}.")
    mask = mask.reshape(img.shape[:2])
    n = len(class_names)
    valid = (mask >= 0) & (mask < n)
    if ignore_index is not None:
        valid |= mask == ignore_index
    if not valid.all():
        bad = np.unique(mask[~valid])[:5].tolist()
        raise ValueError(
            f"mask holds ids {bad} that are neither a class (0..{n - 1}) nor void "
            f"({ignore_index}): was it read with the right dataset's palette?"
        )
    shown = list(range(n)) if shown is None else [int(s) for s in shown]
    hidden = ignore_index if ignore_index is not None else n
    visible = np.where(np.isin(mask, shown), mask, hidden)
    return BrowserState(
        split=split,
        index=index,
        image=viz.overlay(img, np.full(mask.shape, hidden), 0.0, palette, hidden),
        overlay=viz.overlay(img, visible, alpha, palette, hidden),
        image_counts=class_counts(mask, n),
        split_counts=np.asarray(split_counts),
        void_pixels=int((mask == ignore_index).sum()) if ignore_index is not None else 0,
    )


class DatasetBrowser(Explorer):
    """Widget: split x image x opacity x classes -> image, overlay, legend with pixel counts.

    Args:
        splits: split name -> ``(images, masks)``, images ``(N, H, W, 3)`` and masks
            ``(N, H, W)`` or ``(N, H, W, 1)``; e.g. ``data.arrays(...)`` of each split.
        class_names, palette, ignore_index: as in ``data.info(...)``.
    """

    def __init__(
        self,
        splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
        class_names: Sequence[str],
        palette: Any = None,
        ignore_index: int | None = None,
    ):
        if not splits:
            raise ValueError("DatasetBrowser needs at least one split of (images, masks).")
        self.class_names, self.palette, self.ignore_index = list(class_names), palette, ignore_index
        self.splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.counts: dict[str, np.ndarray] = {}
        for name, (images, masks) in splits.items():
            images = np.asarray(images)
            masks = np.asarray(masks)
            if len(images) != len(masks) or len(images) == 0:
                raise ValueError(
                    f"split {name!r}: {len(images)} images and {len(masks)} masks; "
                    "give the same, non-zero number of each."
                )
            self.splits[name] = (images, masks.reshape(images.shape[:3]))
            self.counts[name] = class_counts(self.splits[name][1], len(self.class_names))
        self.split, self.index, self.alpha = next(iter(self.splits)), 0, 0.5
        self.shown = list(range(len(self.class_names)))

    def __repr__(self) -> str:
        return f"DatasetBrowser({self.state().describe()})"

    def state(self) -> BrowserState:
        """The current image, overlay and counts."""
        images, masks = self.splits[self.split]
        return browser_state(
            images[self.index], masks[self.index], self.counts[self.split], self.class_names,
            self.palette, self.ignore_index, self.alpha, self.shown, self.split, self.index,
        )  # fmt: skip

    def set(self, **changes: Any) -> BrowserState:
        """Change split, index, alpha or shown (class names or ids); return the new state.

        Changing the split keeps the index when the new split is long enough, else goes
        to its last image.
        """
        for key, value in changes.items():
            if key == "split":
                if value not in self.splits:
                    raise ValueError(f"split must be one of {list(self.splits)}, got {value!r}.")
                self.split = value
                self.index = min(self.index, len(self.splits[value][0]) - 1)
            elif key == "index":
                last = len(self.splits[self.split][0]) - 1
                if not 0 <= int(value) <= last:
                    raise ValueError(f"index must be in 0..{last} for {self.split}, got {value}.")
                self.index = int(value)
            elif key == "alpha":
                self.alpha = opacity(value)
            elif key == "shown":
                self.shown = class_ids(value, self.class_names)
            else:
                raise ValueError(f"Unknown setting {key!r}: use split, index, alpha or shown.")
        return self.state()

    def _figure(self, st: BrowserState, title: str) -> Any:
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch

        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
        axes[0].imshow(st.image)
        axes[0].set_title(f"{st.split} image {st.index}", fontsize=9)
        axes[1].imshow(st.overlay)
        axes[1].set_title(f"mask, opacity {self.alpha:.1f}", fontsize=9)
        for ax in axes:
            ax.axis("off")
        pal = viz.as_palette(self.palette, len(self.class_names))
        labels = st.legend(self.class_names, self.shown)
        handles = [
            Patch(color=pal[i] / 255.0, alpha=1.0 if i in self.shown else 0.25, label=label)
            for i, label in enumerate(labels)
        ]
        fig.legend(handles=handles, loc="center right", fontsize=7, frameon=False)
        fig.suptitle(title, fontsize=10)
        fig.tight_layout(rect=(0, 0, 0.68, 1))
        return fig

    def static_figure(self) -> Any:
        """The default view, for pages without a live kernel."""
        title = "Dataset browser (static view: run the notebook to interact)"
        return self._figure(self.state(), title)

    def _build(self) -> Any:
        import ipywidgets as w

        names = tuple(self.class_names)
        self.controls = {
            "split": w.Dropdown(options=list(self.splits), value=self.split, description="split"),
            "index": w.IntSlider(
                value=self.index, min=0, max=len(self.splits[self.split][0]) - 1,
                description="image",
            ),
            "alpha": w.FloatSlider(value=self.alpha, min=0, max=1, step=0.1, description="opacity"),
            "shown": w.SelectMultiple(options=names, value=names, description="classes", rows=6),
        }  # fmt: skip

        def fit_index_to_split() -> None:
            split = self.controls["split"].value
            self.controls["index"].max = len(self.splits[split][0]) - 1

        self._connect(lambda st: self._figure(st, ""), before_set=fit_index_to_split)
        controls = list(self.controls.values())
        return w.VBox([w.HBox([w.VBox(controls[:3]), controls[3]]), self._caption, self._picture])
