"""How long does each explorer take to answer a change of one of its controls?

    .venv/bin/python benchmarks/widget_latency.py [--changes 12]

Builds every explorer of ``course_utils.widgets`` on real CamVid images at the course's
size (192x256; from ``data/`` or the offline mirror), then moves each control back and
forth and times the whole response in the kernel: the new state computed and the new
picture rendered to PNG (what the browser then only has to display). Prints the median
and the worst latency per explorer and over all. The goal is "well under a second".
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _moves(control: Any) -> list[Any]:
    """Values to cycle a control through: two for sliders and toggles, options otherwise."""
    options = getattr(control, "options", None)
    if options is not None:
        if type(control).__name__ == "SelectMultiple":
            return [tuple(options[:1]), tuple(options[: max(1, len(options) // 2)]), tuple(options)]
        return [o[1] if isinstance(o, tuple) else o for o in options][:4]
    if hasattr(control, "max") and hasattr(control, "min"):
        step = getattr(control, "step", 1) or 1
        lo = control.min
        return [lo + step, lo + 2 * step if lo + 2 * step <= control.max else lo, lo]
    return []


def time_changes(explorer: Any, changes: int) -> list[float]:
    """Seconds per change, moving each control in turn ``changes`` times in all."""
    _ = explorer.widget  # build it (not timed)
    controls = list(explorer.controls.values())
    seconds = []
    k = 0
    while len(seconds) < changes:
        control = controls[k % len(controls)]
        values = [v for v in _moves(control) if v != control.value]
        k += 1
        if not values:
            continue
        start = time.perf_counter()
        control.value = values[0]
        seconds.append(time.perf_counter() - start)
    return seconds


def _explorers() -> dict[str, Callable[[], Any]]:
    from course_utils import data, widgets

    camvid = data.info("camvid")
    size = (192, 256)
    val = data.arrays("camvid", "val", image_size=size, limit=24)
    train = data.arrays("camvid", "train", image_size=size, limit=24)
    images = val.images.astype("float32") / 255.0
    masks = val.targets[..., 0] if val.targets.ndim == 4 else val.targets
    rng = np.random.default_rng(0)
    noisy = np.where(rng.random(masks.shape) < 0.2, rng.integers(0, 11, masks.shape), masks)
    predictions = {
        "as labelled": np.where(masks == 11, 0, masks),
        "20% noise": np.where(noisy == 11, 0, noisy),
    }
    gray = images[0].mean(-1)
    minutes = np.linspace(0.5, 6, 12)
    histories = {
        name: {
            "loss": list(1.2 / (1 + minutes * f)),
            "val_loss": list(1.1 / (1 + minutes * f)),
            "miou": list(0.5 * (1 - np.exp(-minutes * f))),
            "val_miou": list(0.45 * (1 - np.exp(-minutes * f))),
            "minutes": list(minutes),
        }
        for name, f in [("fast", 0.6), ("slow", 0.3), ("steady", 0.45)]
    }
    return {
        "DatasetBrowser": lambda: widgets.DatasetBrowser(
            {"train": (train.images, train.targets), "val": (val.images, val.targets)},
            camvid.class_names, camvid.colors, camvid.ignore_index,
        ),
        "PredictionExplorer": lambda: widgets.PredictionExplorer(
            images, masks, predictions, camvid.class_names, camvid.colors, camvid.ignore_index
        ),
        "ConvExplorer": lambda: widgets.ConvExplorer({"street": gray}),
        "ReceptiveFieldExplorer": lambda: widgets.ReceptiveFieldExplorer(images[0]),
        "UpsamplingExplorer": lambda: widgets.UpsamplingExplorer(gray[:96, :128]),
        "TrainingCurves": lambda: widgets.TrainingCurves(histories),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=12, help="changes timed per explorer")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    everything = []
    print(f"{'explorer':<24}{'changes':>8}{'median ms':>11}{'worst ms':>10}")
    for name, make in _explorers().items():
        seconds = time_changes(make(), args.changes)
        everything += seconds
        print(
            f"{name:<24}{len(seconds):>8}{1000 * statistics.median(seconds):>11.0f}"
            f"{1000 * max(seconds):>10.0f}"
        )
    print(
        f"{'all explorers':<24}{len(everything):>8}{1000 * statistics.median(everything):>11.0f}"
        f"{1000 * max(everything):>10.0f}"
    )


if __name__ == "__main__":
    main()
