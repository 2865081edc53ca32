"""Convolution explorer: pick an image, a kernel, stride, padding and dilation; see the
feature map and the output size change."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from course_utils import ops
from course_utils.widgets.display import Explorer, gray


@dataclasses.dataclass(frozen=True)
class ConvState:
    """What the explorer shows for one setting."""

    feature_map: np.ndarray
    output_shape: tuple[int, int]
    formula: str


def _show_map(ax: Any, fmap: np.ndarray) -> None:
    """Feature map in red (positive) / blue (negative), white at zero."""
    limit = float(np.abs(fmap).max()) or 1.0
    ax.imshow(fmap, cmap="RdBu_r", vmin=-limit, vmax=limit)


def conv_explorer_state(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
) -> ConvState:
    """Compute what the convolution explorer displays (no widgets involved).

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` (averaged to gray).
        kernel: a 2-D kernel.
        stride, padding, dilation: as in ``keras.layers.Conv2D``.
    """
    plain = gray(image)
    fmap = ops.conv2d(plain, kernel, stride, padding, dilation)
    k = np.asarray(kernel).shape[0]
    h = plain.shape[0]
    if padding == "same":
        p = sum(ops.same_padding(h, k, stride, dilation))
        formula = f"'same': ceil({h} / {stride}) = {fmap.shape[0]} (padding {p} in total)"
    else:
        span = dilation * (k - 1) + 1
        formula = f"floor(({h} - {span}) / {stride}) + 1 = {fmap.shape[0]}"
    return ConvState(fmap, (int(fmap.shape[0]), int(fmap.shape[1])), formula)


class ConvExplorer(Explorer):
    """Widget: images x kernels x stride x padding x dilation -> feature map and its size.

    Args:
        images: name -> image array.
        kernels: name -> 3x3 kernel (default :data:`course_utils.ops.KERNELS`); a
            "custom" entry is added whose nine values the learner edits.
    """

    def __init__(self, images: dict[str, np.ndarray], kernels: dict[str, np.ndarray] | None = None):
        self.images = dict(images)
        self.kernels = dict(kernels or ops.KERNELS)
        self.kernels.setdefault("custom", np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32))
        self.image_name = next(iter(self.images))
        self.kernel_name = (
            "edge (Laplacian)" if "edge (Laplacian)" in self.kernels else next(iter(self.kernels))
        )
        self.stride, self.padding, self.dilation = 1, "valid", 1

    def __repr__(self) -> str:
        return f"ConvExplorer(image={self.image_name!r}, kernel={self.kernel_name!r})"

    def state(self) -> ConvState:
        """The current feature map, output size and formula."""
        return conv_explorer_state(
            self.images[self.image_name],
            self.kernels[self.kernel_name],
            self.stride,
            self.padding,
            self.dilation,
        )

    def set(self, **changes: Any) -> ConvState:
        """Change settings (image, kernel, stride, padding, dilation, custom); return the state."""
        for key, value in changes.items():
            if key == "image":
                self.image_name = value
            elif key == "kernel":
                self.kernel_name = value
            elif key == "custom":
                self.kernels["custom"] = np.asarray(value, np.float32).reshape(3, 3)
            elif key in ("stride", "padding", "dilation"):
                setattr(self, key, value)
            else:
                raise ValueError(f"Unknown setting {key!r}.")
        return self.state()

    def static_figure(self) -> Any:
        """A figure of the default state, with two more strides, for static pages."""
        import matplotlib.pyplot as plt

        image = gray(self.images[self.image_name])
        fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
        axes[0].imshow(image, cmap="gray")
        axes[0].set_title(f"input {image.shape[0]}x{image.shape[1]}", fontsize=9)
        for ax, stride in zip(axes[1:], (1, 2, 4), strict=True):
            st = conv_explorer_state(
                image, self.kernels[self.kernel_name], stride, self.padding, self.dilation
            )
            _show_map(ax, st.feature_map)
            ax.set_title(
                f"{self.kernel_name}, stride {stride}: {st.output_shape[0]}x{st.output_shape[1]}",
                fontsize=9,
            )
        for ax in axes:
            ax.axis("off")
        fig.suptitle(
            "Convolution explorer (static view: run the notebook to interact)", fontsize=10
        )
        fig.tight_layout()
        return fig

    def _render(self) -> None:
        import matplotlib.pyplot as plt

        from course_utils.widgets.display import figure_png

        st = self.state()
        image = gray(self.images[self.image_name])
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
        axes[0].imshow(image, cmap="gray")
        axes[0].set_title(f"input {image.shape[0]}x{image.shape[1]}", fontsize=9)
        _show_map(axes[1], st.feature_map)
        axes[1].set_title(f"feature map {st.output_shape[0]}x{st.output_shape[1]}", fontsize=9)
        for ax in axes:
            ax.axis("off")
        self._picture.value = figure_png(fig)
        self._size.value = (
            f"<b>output size</b> {st.output_shape[0]} x {st.output_shape[1]} &nbsp; ({st.formula})"
        )

    def _build(self) -> Any:
        import ipywidgets as w

        image = w.Dropdown(options=list(self.images), value=self.image_name, description="image")
        kernel = w.Dropdown(
            options=list(self.kernels), value=self.kernel_name, description="kernel"
        )
        stride = w.IntSlider(value=self.stride, min=1, max=4, description="stride")
        padding = w.ToggleButtons(
            options=["valid", "same"], value=self.padding, description="padding"
        )
        dilation = w.IntSlider(value=self.dilation, min=1, max=4, description="dilation")
        custom = [
            w.FloatText(value=float(v), layout=w.Layout(width="60px"))
            for v in self.kernels["custom"].ravel()
        ]
        self._picture = w.Image(format="png")
        self._size = w.HTML()

        def on_change(_change: Any = None) -> None:
            self.set(
                image=image.value, kernel=kernel.value, stride=stride.value, padding=padding.value,
                dilation=dilation.value, custom=[c.value for c in custom],
            )  # fmt: skip
            self._render()

        for control in (image, kernel, stride, padding, dilation, *custom):
            control.observe(on_change, names="value")
        on_change()
        grid = w.GridBox(custom, layout=w.Layout(grid_template_columns="repeat(3, 64px)"))
        controls = w.VBox(
            [image, kernel, stride, padding, dilation, w.HTML("custom kernel:"), grid]
        )
        self.controls = {
            "image": image,
            "kernel": kernel,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
        }
        return w.HBox([controls, w.VBox([self._size, self._picture])])
