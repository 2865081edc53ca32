"""Receptive-field explorer: stack ``depth`` equal layers (kernel, stride, dilation) and see
which input pixels one output unit sees, how much each counts, and how the field grows."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from course_utils import ops
from course_utils.widgets.display import Explorer


@dataclasses.dataclass(frozen=True)
class ReceptiveFieldState:
    """What the explorer shows for one setting.

    Attributes:
        layers: ``(kernel, stride, dilation)`` per layer.
        fields: receptive field after each layer.
        jumps: input pixels between neighbouring outputs after each layer.
        paths: 2-D count of paths from the last layer's centre unit to each input pixel.
        holes: share of the pixels inside the field that no path reaches (gridding).
    """

    layers: list[tuple[int, int, int]]
    fields: list[int]
    jumps: list[int]
    paths: np.ndarray
    holes: float

    @property
    def field(self) -> int:
        """The receptive field of the last layer."""
        return self.fields[-1]

    def describe(self) -> str:
        """One line for the widget's caption."""
        return (
            f"{len(self.layers)} layers: receptive field {self.field} x {self.field}, "
            f"jump {self.jumps[-1]}, {self.holes:.0%} of it never reached"
        )


def receptive_field_state(
    kernel: int = 3, stride: int = 1, dilation: int = 1, depth: int = 3
) -> ReceptiveFieldState:
    """Compute what the receptive-field explorer displays (no widgets involved)."""
    settings = {"kernel": kernel, "stride": stride, "dilation": dilation, "depth": depth}
    for name, value in settings.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}.")
    layers = [(int(kernel), int(stride), int(dilation))] * int(depth)
    table = ops.receptive_field(layers)
    line = ops.receptive_field_paths(layers)
    return ReceptiveFieldState(
        layers=layers,
        fields=[f for f, _ in table],
        jumps=[j for _, j in table],
        paths=np.outer(line, line),
        holes=float(1 - (line > 0).mean() ** 2),
    )


def _draw(st: ReceptiveFieldState, image: np.ndarray | None, axes: Any) -> None:
    from matplotlib.patches import Rectangle

    shown = axes[0].imshow(st.paths, cmap="magma", vmin=0)
    axes[0].figure.colorbar(shown, ax=axes[0], fraction=0.046, pad=0.04, label="paths")
    axes[0].set_title(f"paths to each input pixel ({st.field}x{st.field})", fontsize=9)
    axes[0].axis("off")
    depth = range(1, len(st.fields) + 1)
    axes[1].plot(depth, st.fields, "o-")
    axes[1].set_xlabel("layer")
    axes[1].set_ylabel("receptive field (pixels)")
    axes[1].set_xticks(list(depth))
    axes[1].grid(alpha=0.3)
    if image is not None:
        h, w = image.shape[:2]
        axes[2].imshow(image)
        size = st.field
        axes[2].add_patch(
            Rectangle(
                (w / 2 - size / 2, h / 2 - size / 2), size, size, fill=False, ec="yellow", lw=2
            )
        )
        axes[2].set_xlim(0, w)
        axes[2].set_ylim(h, 0)
        axes[2].set_title(f"field on a {h}x{w} image", fontsize=9)
        axes[2].axis("off")


class ReceptiveFieldExplorer(Explorer):
    """Widget: kernel, stride, dilation and depth -> receptive field, its weights and growth.

    Args:
        image: optional picture (``(H, W, 3)``) on which the field is drawn to scale.
    """

    def __init__(self, image: np.ndarray | None = None):
        self.image = image
        self.kernel, self.stride, self.dilation, self.depth = 3, 1, 1, 3

    def __repr__(self) -> str:
        return f"ReceptiveFieldExplorer({self.state().describe()})"

    def state(self) -> ReceptiveFieldState:
        """The current field, path counts and growth."""
        return receptive_field_state(self.kernel, self.stride, self.dilation, self.depth)

    def set(self, **changes: int) -> ReceptiveFieldState:
        """Change kernel, stride, dilation or depth; return the new state."""
        for key, value in changes.items():
            if key not in ("kernel", "stride", "dilation", "depth"):
                raise ValueError(f"Unknown setting {key!r}: use kernel, stride, dilation, depth.")
            receptive_field_state(**{key: value})  # validate before changing anything
            setattr(self, key, value)
        return self.state()

    def _figure(self, st: ReceptiveFieldState, title: str) -> Any:
        import matplotlib.pyplot as plt

        panels = 3 if self.image is not None else 2
        fig, axes = plt.subplots(1, panels, figsize=(4 * panels, 3.4))
        _draw(st, self.image, axes)
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        return fig

    def static_figure(self) -> Any:
        """A figure of the default state, for pages without a live kernel."""
        st = self.state()
        return self._figure(
            st,
            "Receptive-field explorer (static view: run the notebook to interact).\n"
            + st.describe(),
        )

    def _build(self) -> Any:
        import ipywidgets as w

        self.controls = {
            "kernel": w.IntSlider(value=self.kernel, min=1, max=7, description="kernel"),
            "stride": w.IntSlider(value=self.stride, min=1, max=3, description="stride"),
            "dilation": w.IntSlider(value=self.dilation, min=1, max=4, description="dilation"),
            "depth": w.IntSlider(value=self.depth, min=1, max=6, description="depth"),
        }
        self._connect(lambda st: self._figure(st, ""))
        return w.VBox(
            [
                w.HBox(list(self.controls.values())[:2]),
                w.HBox(list(self.controls.values())[2:]),
                self._caption,
                self._picture,
            ]
        )
