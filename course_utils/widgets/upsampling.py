"""Up-sampling explorer: max-pool a real image, grow it back with each method, and compare
the result with what was lost."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from course_utils import ops
from course_utils.widgets.display import Explorer, gray

METHODS = (
    "nearest",
    "bilinear",
    "unpooling",
    "max unpooling",
    "transposed conv (bilinear init)",
    "transposed conv (uniform kernel)",
)


@dataclasses.dataclass(frozen=True)
class UpsamplingState:
    """What the explorer shows for one setting.

    Attributes:
        original: the gray image, cropped to a multiple of ``factor``.
        pooled: its ``factor x factor`` max-pooled version (what the decoder starts from).
        output: ``pooled`` grown back to ``original``'s size by ``method``.
        error: mean absolute difference between ``output`` and ``original``.
    """

    method: str
    factor: int
    kernel_size: int
    original: np.ndarray
    pooled: np.ndarray
    output: np.ndarray
    error: float

    def describe(self) -> str:
        """One line for the widget's caption."""
        extra = f", kernel {self.kernel_size}" if self.method.startswith("transposed") else ""
        return (
            f"{self.method} x{self.factor}{extra}: {self.pooled.shape[0]}x{self.pooled.shape[1]} "
            f"-> {self.output.shape[0]}x{self.output.shape[1]}, mean |error| {self.error:.3f}"
        )


def upsampling_state(
    image: np.ndarray, method: str = "bilinear", factor: int = 2, kernel_size: int | None = None
) -> UpsamplingState:
    """Compute what the up-sampling explorer displays (no widgets involved).

    Args:
        image: ``(H, W)`` or ``(H, W, 3)``; values in [0, 1] or [0, 255].
        method: one of :data:`METHODS`.
        factor: pooling and up-sampling factor.
        kernel_size: for the transposed convolutions with a uniform kernel (at least
            ``factor``); ``None`` means ``2 * factor`` (overlaps even out, no checkerboard).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; not {method!r}.")
    k = 2 * factor if kernel_size is None else int(kernel_size)
    if k < factor:
        raise ValueError(
            f"A transposed convolution with stride {factor} needs a kernel of at least {factor} "
            f"pixels, or it leaves gaps; got {k}."
        )
    plain = gray(image)
    h, w = (plain.shape[0] // factor) * factor, (plain.shape[1] // factor) * factor
    if h == 0 or w == 0:
        raise ValueError(
            f"The image ({plain.shape[0]}x{plain.shape[1]}) is smaller than the factor {factor}."
        )
    original = plain[:h, :w]
    pooled, indices = ops.max_pool_with_indices(original, factor)
    if method in ("nearest", "bilinear"):
        output = ops.upsample(pooled, factor, method)
    elif method == "unpooling":
        output = ops.unpool(pooled, factor)
    elif method == "max unpooling":
        output = ops.max_unpool(pooled, indices, original.shape)
    elif method == "transposed conv (bilinear init)":
        k = 2 * factor - factor % 2
        output = ops.crop_to(
            ops.conv_transpose2d(pooled, ops.bilinear_kernel(factor), factor), original.shape
        )
    else:
        kernel = np.full((k, k), (factor / k) ** 2, np.float32)  # averages to 1 per output pixel
        output = ops.crop_to(ops.conv_transpose2d(pooled, kernel, factor), original.shape)
    error = float(np.abs(output - original).mean())
    return UpsamplingState(method, factor, k, original, pooled, output, error)


class UpsamplingExplorer(Explorer):
    """Widget: method x factor x kernel size -> the up-sampled map beside the original.

    Args:
        image: a real picture (a CamVid crop works well); it is turned gray, max-pooled by
            ``factor``, and grown back.
    """

    def __init__(self, image: np.ndarray):
        self.image = np.asarray(image)
        self.method, self.factor, self.kernel_size = "bilinear", 2, 3

    def __repr__(self) -> str:
        return f"UpsamplingExplorer({self.state().describe()})"

    def state(self) -> UpsamplingState:
        """The current pooled map, up-sampled output and error."""
        return upsampling_state(self.image, self.method, self.factor, self.kernel_size)

    def set(self, **changes: Any) -> UpsamplingState:
        """Change method, factor or kernel_size; return the new state.

        A kernel smaller than the factor is raised to the factor (as the slider does).
        """
        unknown = set(changes) - {"method", "factor", "kernel_size"}
        if unknown:
            raise ValueError(f"Unknown setting {sorted(unknown)}: use method, factor, kernel_size.")
        new = {
            "method": self.method,
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            **changes,
        }
        new["kernel_size"] = max(new["kernel_size"], new["factor"])
        state = upsampling_state(self.image, **new)
        self.method, self.factor, self.kernel_size = (
            new["method"],
            new["factor"],
            new["kernel_size"],
        )
        return state

    def static_figure(self) -> Any:
        """Every method side by side at the current factor, for pages without a live kernel."""
        import matplotlib.pyplot as plt

        states = [upsampling_state(self.image, m, self.factor, self.kernel_size) for m in METHODS]
        fig, axes = plt.subplots(2, 4, figsize=(13, 6.4))
        axes = axes.ravel()
        axes[0].imshow(states[0].original, cmap="gray", vmin=0, vmax=1)
        axes[0].set_title("original", fontsize=9)
        axes[1].imshow(states[0].pooled, cmap="gray", vmin=0, vmax=1)
        axes[1].set_title(f"max-pooled /{self.factor}", fontsize=9)
        for ax, st in zip(axes[2:], states, strict=True):
            ax.imshow(st.output, cmap="gray", vmin=0, vmax=1)
            kernel = f" k={st.kernel_size}" if st.method.endswith("uniform kernel)") else ""
            ax.set_title(f"{st.method}{kernel}\nmean |error| {st.error:.3f}", fontsize=9)
        for ax in axes:
            ax.axis("off")
        fig.suptitle(
            "Up-sampling explorer (static view: run the notebook to interact)", fontsize=10
        )
        fig.tight_layout()
        return fig

    def _render(self, st: UpsamplingState) -> None:
        import matplotlib.pyplot as plt

        from course_utils.widgets.display import figure_png

        fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
        panels = [("original", st.original), (f"max-pooled /{st.factor}", st.pooled)]
        for ax, (title, img) in zip(axes, [*panels, (st.method, st.output)], strict=True):
            ax.imshow(img, cmap="gray", vmin=0, vmax=1)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        self._picture.value = figure_png(fig)
        self._caption.value = f"<b>{st.describe()}</b>"

    def _build(self) -> Any:
        import ipywidgets as w

        self.controls = {
            "method": w.Dropdown(options=list(METHODS), value=self.method, description="method"),
            "factor": w.IntSlider(value=self.factor, min=2, max=4, description="factor"),
            "kernel_size": w.IntSlider(value=self.kernel_size, min=2, max=8, description="kernel"),
        }
        self._caption = w.HTML()
        self._picture = w.Image(format="png")

        def on_change(_change: Any = None) -> None:
            st = self.set(**{k: c.value for k, c in self.controls.items()})
            if self.controls["kernel_size"].value != st.kernel_size:
                self.controls["kernel_size"].value = st.kernel_size  # re-enters on_change once
                return
            self._render(st)

        for control in self.controls.values():
            control.observe(on_change, names="value")
        on_change()
        return w.VBox([w.HBox(list(self.controls.values())), self._caption, self._picture])
