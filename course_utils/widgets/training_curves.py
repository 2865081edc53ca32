"""Training-curve viewer: the curves of several saved runs on one plot; pick the metric,
the runs, training and/or validation, and epochs or minutes of training on the x-axis."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from course_utils import viz
from course_utils.widgets.display import Explorer

SPLITS = ("train", "validation")


@dataclasses.dataclass(frozen=True)
class Curve:
    """One line of the plot."""

    run: str
    split: str
    x: np.ndarray
    y: np.ndarray


@dataclasses.dataclass(frozen=True)
class CurvesState:
    """What the viewer shows for one setting.

    Attributes:
        metric, x_axis: what is plotted against what (``"epoch"`` or ``"minutes"``).
        curves: the lines, one per run and split.
        best: run -> (best validation value, x where it was reached); lowest for a loss.
    """

    metric: str
    x_axis: str
    curves: tuple[Curve, ...]
    best: dict[str, tuple[float, float]]

    def describe(self) -> str:
        """One line for the widget's caption: the best validation value of each run."""
        if not self.best:
            return f"{self.metric}: no validation values in the runs shown"
        unit = "min" if self.x_axis == "minutes" else "epoch"
        parts = [f"{run} {v:.3f} ({unit} {x:g})" for run, (v, x) in self.best.items()]
        return f"best validation {self.metric}: " + ", ".join(parts)


def _metrics(history: Mapping[str, Sequence[float]]) -> list[str]:
    return [k for k in history if not k.startswith("val_") and k != "minutes"]


def curves_state(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    metric: str = "loss",
    x_axis: str = "epoch",
    runs: Sequence[str] | None = None,
    splits: Sequence[str] = SPLITS,
) -> CurvesState:
    """Compute the viewer's lines (no widgets involved).

    Args:
        histories: run name -> per-epoch logs (a Keras ``History.history`` dict, with
            ``minutes`` for the minutes axis, as ``training.fit_segmentation`` saves).
        metric: a logged metric without the ``val_`` prefix.
        x_axis: ``"epoch"`` or ``"minutes"``.
        runs: the runs to draw (default all).
        splits: any of ``"train"`` and ``"validation"``.

    Raises:
        ValueError: for an unknown run, metric, axis or split, or a run without minutes.
    """
    runs = list(histories) if runs is None else list(runs)
    if x_axis not in ("epoch", "minutes"):
        raise ValueError(f"x_axis must be 'epoch' or 'minutes', got {x_axis!r}.")
    bad = [s for s in splits if s not in SPLITS]
    if bad:
        raise ValueError(f"splits must be among {SPLITS}, got {bad}.")
    curves, best = [], {}
    for run in runs:
        if run not in histories:
            raise ValueError(f"Unknown run {run!r}; the runs are {list(histories)}.")
        logs = histories[run]
        if metric not in logs:
            raise ValueError(f"Run {run!r} did not log {metric!r}; it logged {_metrics(logs)}.")
        n = len(logs[metric])
        if x_axis == "minutes":
            if "minutes" not in logs:
                raise ValueError(
                    f"Run {run!r} has no 'minutes' log: plot it against epochs, or train it "
                    "with training.fit_segmentation."
                )
            x = np.asarray(logs["minutes"][:n], float)
        else:
            x = np.arange(1, n + 1, dtype=float)
        if "train" in splits:
            curves.append(Curve(run, "train", x, np.asarray(logs[metric], float)))
        val = logs.get(f"val_{metric}")
        if val is not None and len(val):
            y = np.asarray(val, float)
            if "validation" in splits:
                curves.append(Curve(run, "validation", x[: len(y)], y))
            k = int(np.argmin(y) if "loss" in metric else np.argmax(y))
            best[run] = (float(y[k]), float(x[k]))
    return CurvesState(metric, x_axis, tuple(curves), best)


class TrainingCurves(Explorer):
    """Widget: metric x axis x runs x splits -> the runs' training curves on one plot.

    Args:
        histories: run name -> per-epoch logs (see :func:`curves_state`).
    """

    def __init__(self, histories: Mapping[str, Mapping[str, Sequence[float]]]):
        if not histories:
            raise ValueError("TrainingCurves needs at least one run's history.")
        self.histories = {k: dict(v) for k, v in histories.items()}
        common = set.intersection(*(set(_metrics(h)) for h in self.histories.values()))
        first = next(iter(self.histories.values()))
        self.metric_names = [m for m in _metrics(first) if m in common]
        if not self.metric_names:
            raise ValueError("The runs share no logged metric: nothing to compare.")
        self.metric = "miou" if "miou" in self.metric_names else self.metric_names[0]
        with_minutes = all("minutes" in h for h in self.histories.values())
        self.axes_available = ["minutes", "epoch"] if with_minutes else ["epoch"]
        self.x_axis = self.axes_available[0]
        self.runs = list(self.histories)
        self.splits = list(SPLITS)

    def __repr__(self) -> str:
        return f"TrainingCurves({self.state().describe()})"

    def state(self) -> CurvesState:
        """The current lines and best values."""
        return curves_state(self.histories, self.metric, self.x_axis, self.runs, self.splits)

    def set(self, **changes: Any) -> CurvesState:
        """Change metric, x_axis, runs or splits; return the new state."""
        for key, value in changes.items():
            if key == "metric":
                if value not in self.metric_names:
                    raise ValueError(f"metric must be one of {self.metric_names}, got {value!r}.")
                self.metric = value
            elif key == "x_axis":
                if value not in self.axes_available:
                    raise ValueError(f"x_axis must be one of {self.axes_available}, got {value!r}.")
                self.x_axis = value
            elif key == "runs":
                unknown = [r for r in value if r not in self.histories]
                if unknown:
                    raise ValueError(
                        f"Unknown runs {unknown}; the runs are {list(self.histories)}."
                    )
                self.runs = list(value)
            elif key == "splits":
                curves_state(self.histories, self.metric, self.x_axis, [], value)  # validates
                self.splits = list(value)
            else:
                raise ValueError(f"Unknown setting {key!r}: use metric, x_axis, runs or splits.")
        return self.state()

    def _figure(self, st: CurvesState, title: str) -> Any:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7.5, 3.8))
        colors = viz.CURVE_COLORS
        for curve in st.curves:
            color = colors[list(self.histories).index(curve.run) % len(colors)]
            style = "o-" if curve.split == "validation" else "--"
            ax.plot(
                curve.x, curve.y, style, color=color, ms=3, label=f"{curve.run} ({curve.split})"
            )
        ax.set_xlabel("minutes of training" if st.x_axis == "minutes" else "epoch")
        ax.set_ylabel(st.metric)
        ax.grid(alpha=0.3)
        if st.curves:
            ax.legend(fontsize=7, loc="best")
        ax.set_title(title, fontsize=10)
        fig.tight_layout()
        return fig

    def static_figure(self) -> Any:
        """The default view, for pages without a live kernel."""
        title = "Training curves (static view: run the notebook to interact)"
        return self._figure(self.state(), title)

    def _build(self) -> Any:
        import ipywidgets as w

        self.controls = {
            "metric": w.Dropdown(
                options=self.metric_names, value=self.metric, description="metric"
            ),
            "x_axis": w.ToggleButtons(
                options=self.axes_available, value=self.x_axis, description="x-axis"
            ),
            "runs": w.SelectMultiple(
                options=self.runs, value=tuple(self.runs), description="runs", rows=5
            ),
            "splits": w.SelectMultiple(options=SPLITS, value=SPLITS, description="splits", rows=2),
        }
        self._connect(lambda st: self._figure(st, ""))
        controls = list(self.controls.values())
        return w.VBox(
            [w.HBox([w.VBox(controls[:2]), controls[2], controls[3]]), self._caption, self._picture]
        )
