"""Prediction explorer: browse validation images, switch model, overlay opacity and the
classes shown; see the prediction, the error map and the image's own IoU."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from course_utils import metrics, viz
from course_utils.widgets.display import Explorer, class_ids, opacity


@dataclasses.dataclass(frozen=True)
class PredictionState:
    """What the explorer shows for one setting.

    Attributes:
        overlay: the image with the prediction blended in (hidden classes left plain).
        truth_overlay: the same for the true mask.
        errors: right / wrong / void colour map of the whole prediction.
        image_miou: mean IoU over the classes present in this image (truth or prediction).
        image_accuracy: pixel accuracy on this image (void left out).
    """

    index: int
    model: str
    overlay: np.ndarray
    truth_overlay: np.ndarray
    errors: np.ndarray
    image_miou: float
    image_accuracy: float

    def describe(self) -> str:
        """One line for the widget's caption."""
        return (
            f"image {self.index}, {self.model}: this image's mIoU {self.image_miou:.3f}, "
            f"pixel accuracy {self.image_accuracy:.3f}"
        )


def _hide(mask: np.ndarray, shown: Sequence[int], hidden_id: int) -> np.ndarray:
    return np.where(np.isin(mask, list(shown)), mask, hidden_id)


def prediction_state(
    image: np.ndarray,
    truth: np.ndarray,
    prediction: np.ndarray,
    class_names: Sequence[str],
    palette: Any = None,
    ignore_index: int | None = None,
    alpha: float = 0.5,
    shown: Sequence[int] | None = None,
    index: int = 0,
    model: str = "model",
) -> PredictionState:
    """Compute what the prediction explorer displays (no widgets involved).

    Args:
        image: ``(H, W, 3)``; truth and prediction: ``(H, W)`` class ids.
        shown: class ids to colour (default all); others keep the plain image.
    """
    truth = np.asarray(truth).reshape(np.asarray(image).shape[:2])
    prediction = np.asarray(prediction).reshape(truth.shape)
    n = len(class_names)
    if prediction.min() < 0 or prediction.max() >= n:
        raise ValueError(f"prediction has ids outside 0..{n - 1}: pass class ids, not scores.")
    shown = list(range(n)) if shown is None else list(shown)
    hidden = ignore_index if ignore_index is not None else n
    cm = metrics.confusion_matrix(truth, prediction, n, ignore_index)
    report = metrics.segmentation_report(cm, list(class_names))
    return PredictionState(
        index=index,
        model=model,
        overlay=viz.overlay(image, _hide(prediction, shown, hidden), alpha, palette, hidden),
        truth_overlay=viz.overlay(image, _hide(truth, shown, hidden), alpha, palette, hidden),
        errors=viz.error_map(truth, prediction, ignore_index),
        image_miou=float(report.miou),
        image_accuracy=float(report.pixel_accuracy),
    )


class PredictionExplorer(Explorer):
    """Widget: validation image x model x opacity x classes -> overlays, errors, IoU.

    Args:
        images: ``(N, H, W, 3)`` validation images.
        masks: ``(N, H, W)`` or ``(N, H, W, 1)`` true class ids.
        predictions: model name -> ``(N, H, W)`` predicted class ids.
        class_names, palette, ignore_index: as in ``data.info(...)``.
    """

    def __init__(
        self,
        images: np.ndarray,
        masks: np.ndarray,
        predictions: Mapping[str, np.ndarray],
        class_names: Sequence[str],
        palette: Any = None,
        ignore_index: int | None = None,
    ):
        self.images = np.asarray(images)
        self.masks = np.asarray(masks).reshape(self.images.shape[:3])
        self.predictions = {
            k: np.asarray(v).reshape(self.images.shape[:3]) for k, v in predictions.items()
        }
        if not self.predictions:
            raise ValueError("PredictionExplorer needs at least one model's predictions.")
        self.class_names, self.palette, self.ignore_index = list(class_names), palette, ignore_index
        self.index, self.model, self.alpha = 0, next(iter(self.predictions)), 0.5
        self.shown = list(range(len(self.class_names)))

    def __repr__(self) -> str:
        return f"PredictionExplorer({self.state().describe()})"

    def state(self) -> PredictionState:
        """The current overlays, error map and scores."""
        i = self.index
        return prediction_state(
            self.images[i],
            self.masks[i],
            self.predictions[self.model][i],
            self.class_names,
            self.palette,
            self.ignore_index,
            self.alpha,
            self.shown,
            i,
            self.model,
        )

    def set(self, **changes: Any) -> PredictionState:
        """Change index, model, alpha or shown (class names or ids); return the new state."""
        for key, value in changes.items():
            if key == "index":
                if not 0 <= int(value) < len(self.images):
                    raise ValueError(f"index must be in 0..{len(self.images) - 1}, got {value}.")
                self.index = int(value)
            elif key == "model":
                if value not in self.predictions:
                    raise ValueError(
                        f"model must be one of {list(self.predictions)}, got {value!r}."
                    )
                self.model = value
            elif key == "alpha":
                self.alpha = opacity(value)
            elif key == "shown":
                self.shown = class_ids(value, self.class_names)
            else:
                raise ValueError(f"Unknown setting {key!r}: use index, model, alpha or shown.")
        return self.state()

    def _figure(self, states: list[PredictionState], title: str) -> Any:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            len(states), 3, figsize=(11, 3.0 * len(states) + 0.8), squeeze=False,
            layout="constrained",  # keeps the suptitle, titles and legend apart
        )  # fmt: skip
        for row, st in zip(axes, states, strict=True):
            for ax, img, name in zip(
                row,
                [st.truth_overlay, st.overlay, st.errors],
                ["truth", st.model, "errors"],
                strict=True,
            ):
                ax.imshow(img)
                ax.set_title(
                    name if name != st.model else f"{st.model}: image mIoU {st.image_miou:.3f}",
                    fontsize=9,
                )
                ax.axis("off")
        fig.legend(
            handles=viz.legend_handles(self.class_names, self.palette)
            + viz.error_legend_handles(self.ignore_index),
            loc="outside lower center",
            ncol=7,
            fontsize=8,
        )
        if title:
            fig.suptitle(title, fontsize=10)
        return fig

    def static_figure(self) -> Any:
        """The first image under every model, for pages without a live kernel."""
        states = [
            prediction_state(
                self.images[0], self.masks[0], preds[0], self.class_names, self.palette,
                self.ignore_index, self.alpha, None, 0, name,
            )
            for name, preds in self.predictions.items()
        ]  # fmt: skip
        return self._figure(
            states, "Prediction explorer (static view: run the notebook to interact)"
        )

    def _build(self) -> Any:
        import ipywidgets as w

        last = len(self.images) - 1
        names = tuple(self.class_names)
        self.controls = {
            "index": w.IntSlider(value=self.index, min=0, max=last, description="image"),
            "model": w.Dropdown(
                options=list(self.predictions), value=self.model, description="model"
            ),
            "alpha": w.FloatSlider(value=self.alpha, min=0, max=1, step=0.1, description="opacity"),
            "shown": w.SelectMultiple(options=names, value=names, description="classes", rows=6),
        }
        self._connect(lambda st: self._figure([st], ""))
        controls = list(self.controls.values())
        return w.VBox([w.HBox([w.VBox(controls[:3]), controls[3]]), self._caption, self._picture])
