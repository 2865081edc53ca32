"""Measured speed and memory of a model on this machine (not estimates)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np


def measure_speed(
    model: keras.Model, batch_size: int = 8, steps: int = 5, num_classes: int | None = None
) -> dict[str, float]:
    """Training and inference images per second on random data of the model's input size.

    Compiles a copy-free training step (Adam, sparse cross-entropy from logits) on the
    model itself, so call it on a fresh model or re-compile afterwards. The first step
    (tracing) is not timed; the best of ``steps`` timed steps is reported.

    Returns:
        ``{"train_images_per_s": ..., "infer_images_per_s": ...}``.
    """
    shape = tuple(model.input_shape[1:])
    if None in shape:
        raise ValueError(f"measure_speed needs a model with a fixed input size, got {shape}.")
    classes = num_classes or int(model.output_shape[-1])
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, *shape), dtype=np.float32)
    y = rng.integers(0, classes, size=(batch_size, *shape[:2], 1))
    model.compile(
        optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.train_on_batch(x, y)
    train = min(_seconds(lambda: model.train_on_batch(x, y)) for _ in range(steps))
    model.predict_on_batch(x)
    infer = min(_seconds(lambda: model.predict_on_batch(x)) for _ in range(steps))
    return {"train_images_per_s": batch_size / train, "infer_images_per_s": batch_size / infer}


def _seconds(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


_PROBE = """
import json, os, sys, threading, time
import course_utils
course_utils.setup("default", seed=0)
import numpy as np, keras
from course_utils import models

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

name, preset, shape, batch = json.loads(sys.argv[1])
x = np.random.default_rng(0).random((batch, *shape), dtype=np.float32)
y = np.zeros((batch, *shape[:2], 1), "int32")
baseline = rss_mb()
peak = [baseline]
done = threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_mb())
        time.sleep(0.002)

thread = threading.Thread(target=sample, daemon=True)
thread.start()
model = models.build(name, tuple(shape), 11, preset)
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
for _ in range(3):
    model.train_on_batch(x, y)
done.set()
thread.join()
print(json.dumps({"peak_mb": peak[0] - baseline}))
"""


def peak_training_memory(
    name: str, preset: str = "cpu", input_shape: Sequence[int] = (192, 256, 3), batch_size: int = 8
) -> float:
    """Peak extra memory (MB) of training a model built by ``models.build``, per batch.

    Runs a fresh Python process (the peak of this one says nothing about one model): it
    samples its resident memory every 2 ms while it builds the model and trains three
    steps on random data, and reports the peak above what the process held before
    (libraries and data loaded). Linux only (it reads ``/proc/self/statm``). On a GPU
    machine the activations live on the GPU and this measures host memory only.
    """
    args = json.dumps([name, preset, list(input_shape), batch_size])
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"The memory probe for {name!r} failed:\n{result.stderr[-2000:]}")
    return float(json.loads(result.stdout.strip().splitlines()[-1])["peak_mb"])


def peak_training_memories(
    names: Sequence[str],
    preset: str = "cpu",
    input_shape: Sequence[int] = (192, 256, 3),
    batch_size: int = 8,
    workers: int = 2,
) -> dict[str, float]:
    """:func:`peak_training_memory` of several models, ``workers`` probes at a time.

    Each probe is its own process, so probes running side by side do not share memory;
    they only share the CPU, which memory does not depend on.

    Returns:
        ``{name: peak MB}`` in the order of ``names``.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        peaks = pool.map(lambda n: peak_training_memory(n, preset, input_shape, batch_size), names)
        return dict(zip(names, peaks, strict=True))
