"""Measured speed and memory of a model on this machine (not estimates)."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from course_utils._memory import memory_limit_mb  # noqa: F401  (part of models' API)


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


def _rss_mb() -> float:
    """Resident memory of this process in MB (psutil's resident set size)."""
    return float(_this_process().memory_info().rss / 2**20)


@functools.cache
def _this_process() -> Any:
    import psutil

    return psutil.Process()


def _probe_peak(
    name: str,
    preset: str,
    input_shape: Sequence[int],
    batch_size: int,
    num_classes: int,
    precision: str,
    seed: int,
) -> dict[str, Any]:
    """Build a model and train three steps on random data, sampling memory every 2 ms.

    Runs inside the fresh process :func:`peak_training_memory` starts (through
    :func:`main`); in any other process the baseline would include other models. Sets what
    the measurement depends on itself (seed, precision policy, GPU memory growth) rather
    than calling ``course_utils.setup``, which ``models`` does not import.

    Returns:
        ``{"peak_mb": ..., "logits": [...], "precision": ...}``: the peak above the memory
        held before the model was built, the logits' shape and the dtype policy used.
    """
    from course_utils._tf import import_tensorflow
    from course_utils.models.presets import build

    tf = import_tensorflow()
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    keras.mixed_precision.set_global_policy(precision)
    keras.utils.set_random_seed(seed)
    shape = tuple(int(n) for n in input_shape)
    x = np.random.default_rng(seed).random((batch_size, *shape), dtype=np.float32)
    y = np.zeros((batch_size, *shape[:2], 1), "int32")
    baseline = _rss_mb()
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        model = build(name, shape, num_classes, preset)
        model.compile(
            optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        for _ in range(3):
            model.train_on_batch(x, y)
    finally:
        done.set()
        thread.join()
    return {
        "peak_mb": peak[0] - baseline,
        "logits": [batch_size, *model.output_shape[1:]],
        "precision": keras.mixed_precision.global_policy().name,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the memory probe: ``python -m course_utils.models.profiling SPEC``.

    Prints :func:`_probe_peak`'s result as one JSON line.

    Args:
        argv: one JSON object of :func:`_probe_peak`'s arguments (default: ``sys.argv[1:]``).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        raise SystemExit(
            "usage: python -m course_utils.models.profiling "
            '\'{"name": "unet", "preset": "cpu", "input_shape": [192, 256, 3], '
            '"batch_size": 8, "num_classes": 11, "precision": "float32", "seed": 0}\''
        )
    print(json.dumps(_probe_peak(**json.loads(args[0]))))


def _run_probe(spec: dict[str, Any]) -> dict[str, Any]:
    """Run :func:`main` in a fresh Python process and return what it printed."""
    result = subprocess.run(
        [sys.executable, "-m", __name__, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"The memory probe for {spec['name']!r} failed:\n{result.stderr[-2000:]}"
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _probe_spec(
    name: str,
    preset: str,
    input_shape: Sequence[int],
    batch_size: int,
    num_classes: int,
    precision: str | None,
    seed: int,
) -> dict[str, Any]:
    return {
        "name": name,
        "preset": preset,
        "input_shape": [int(n) for n in input_shape],
        "batch_size": batch_size,
        "num_classes": num_classes,
        "precision": precision or keras.mixed_precision.global_policy().name,
        "seed": seed,
    }


def peak_training_memory(
    name: str,
    preset: str = "cpu",
    input_shape: Sequence[int] = (192, 256, 3),
    batch_size: int = 8,
    *,
    num_classes: int = 11,
    precision: str | None = None,
    seed: int = 0,
) -> float:
    """Peak extra memory (MB) of training a model built by ``models.build``, per batch.

    Runs a fresh Python process (the peak of this one says nothing about one model): it
    samples its resident memory every 2 ms while it builds the model and trains three
    steps on random data, and reports the peak above what the process held before
    (libraries and data loaded), as psutil reads it (the resident set size). On a GPU
    machine the activations live on the GPU and this measures host memory only.

    Args:
        name: an architecture of ``models.build`` (``"unet"``, ``"fcn8s"``, ...).
        preset: the size preset (``"tiny"``, ``"cpu"``, ``"paper"``).
        input_shape: ``(H, W, C)`` of the random images.
        batch_size: images per training step.
        num_classes: output channels of the model (CamVid's 11 by default).
        precision: the Keras dtype policy to train in; ``None`` uses this process's
            (the one ``course_utils.setup`` chose).
        seed: seed of the weights and the random images.

    Returns:
        The peak in MB above the probe's memory before it built the model.

    Raises:
        RuntimeError: with the probe's error output, when it fails.
    """
    spec = _probe_spec(name, preset, input_shape, batch_size, num_classes, precision, seed)
    return float(_run_probe(spec)["peak_mb"])


#: Memory a probe process needs (MB): Python with TensorFlow, Keras and ``course_utils``
#: loaded (588 MB resident, measured on the course's machine) plus a ``cpu`` preset
#: model's training peak at 192x256, batch 8 (290-590 MB in notebook 11's committed run).
PROBE_MB = 1200


def memory_left_mb() -> float:
    """The memory this process may still take, in MB: :func:`memory_limit_mb` minus what
    it holds now (its resident set)."""
    import psutil

    return memory_limit_mb() - psutil.Process().memory_info().rss / 2**20


def memory_probe_workers(free_mb: float | None = None, wanted: int = 2) -> int:
    """How many memory probes may run side by side: ``wanted``, fewer where memory is short.

    Args:
        free_mb: the memory left for probes (MB); by default the limit of
            :func:`memory_limit_mb` minus what this process holds now.
        wanted: the most probes to run at once.

    Returns:
        At least 1 (one probe at a time is the smaller thing; whether even that fits is
        for the caller to say).
    """
    if free_mb is None:
        free_mb = memory_left_mb()
    return max(1, min(wanted, int(free_mb // PROBE_MB)))


def peak_training_memories(
    names: Sequence[str],
    preset: str = "cpu",
    input_shape: Sequence[int] = (192, 256, 3),
    batch_size: int = 8,
    workers: int | None = None,
    *,
    num_classes: int = 11,
    precision: str | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """:func:`peak_training_memory` of several models, ``workers`` probes at a time.

    Each probe is its own process, so probes running side by side do not share memory;
    they only share the CPU, which memory does not depend on. ``workers=None`` runs two
    at a time where the machine has room and one where its memory is short
    (:func:`memory_probe_workers`; Binder gives 1-2 GB), and then prints a line saying so.
    The other arguments are :func:`peak_training_memory`'s, the same for every model.

    Returns:
        ``{name: peak MB}`` in the order of ``names``; empty, after a line saying so, when
        ``workers=None`` and not even one probe fits in the memory left (:data:`PROBE_MB`):
        a probe killed for memory could take the notebook's kernel with it.
    """
    from concurrent.futures import ThreadPoolExecutor

    if workers is None:
        left = memory_left_mb()
        if left < PROBE_MB:
            print(
                f"Not measured here: a memory probe needs about {PROBE_MB} MB and this "
                f"machine has {left:.0f} MB left (of {memory_limit_mb():.0f} MB). The "
                "committed outputs show the figures."
            )
            return {}
        workers = memory_probe_workers(left)
        if workers < 2 and len(names) > 1:
            print(
                f"This machine allows {memory_limit_mb():.0f} MB: the memory probes run one "
                "at a time, not two side by side."
            )
    specs = [
        _probe_spec(n, preset, input_shape, batch_size, num_classes, precision, seed) for n in names
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        peaks = pool.map(lambda spec: float(_run_probe(spec)["peak_mb"]), specs)
        return dict(zip(names, peaks, strict=True))


if __name__ == "__main__":
    main()
