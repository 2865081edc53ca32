"""Where does a training step of DeepLabV3+ on EfficientNet-Lite0 spend its time?

    .venv/bin/python benchmarks/lite0_step.py [--size 192 256] [--batch 8] [--steps 5]

On a CPU like the course's calibration laptop (2 cores, AVX2, no AVX-512, float32), time
it as that machine would run it:

    ONEDNN_MAX_CPU_ISA=AVX2 COURSE_PRECISION=float32 taskset -c 0,1 \\
        .venv/bin/python benchmarks/lite0_step.py

Prints seconds per training step (best of ``--steps`` after tracing, random data) and per
forward batch for the variants a recipe can choose between: the whole network trained;
batch norm of the backbone frozen (inference statistics, no batch-norm backward); the
high-resolution stem and first stages frozen (no backward pass below them); output stride
16 against 32 (the head at stride 32 with no atrous stage); and the backbone alone, to
split the step between encoder and decoder.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import course_utils


def _seconds(fn: Callable[[], Any], steps: int) -> float:
    fn()  # tracing
    best = float("inf")
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _freeze(model: Any, frozen_blocks: int, bn: bool) -> None:
    backbone = model.get_layer("backbone")
    for layer in backbone.layers:
        name = layer.name
        early = name.startswith("stem") or (
            name.startswith("block") and int(name[5:].split("_")[0]) < frozen_blocks
        )
        if (frozen_blocks and early) or (bn and name.endswith("bn")):
            layer.trainable = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs=2, default=(192, 256))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument(
        "--only", nargs="+", default=[], help="time only the variants whose label holds one"
    )
    args = parser.parse_args()
    env = course_utils.setup("default")
    import keras

    from course_utils import models

    shape = (*args.size, 3)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, *shape), dtype=np.float32)
    y = rng.integers(0, 11, size=(args.batch, *shape[:2], 1))
    head = {"aspp_filters": 128, "low_level_filters": 32, "decoder_filters": 96}
    variants: dict[str, dict[str, Any]] = {
        "OS16, all trained": {"output_stride": 16},
        "OS16, backbone BN frozen": {"output_stride": 16, "bn": True},
        "OS16, stem+blocks 0-2 frozen": {"output_stride": 16, "frozen": 3},
        "OS16, stem+blocks 0-4 frozen, BN frozen": {"output_stride": 16, "frozen": 5, "bn": True},
        "OS16, backbone frozen": {"output_stride": 16, "frozen": 16},
        "OS8, all trained": {"output_stride": 8},
        "OS32, all trained": {"output_stride": 32},
        "OS32, backbone BN frozen": {"output_stride": 32, "bn": True},
        "OS32, stem+blocks 0-4 frozen, BN frozen": {"output_stride": 32, "frozen": 5, "bn": True},
    }
    if args.only:
        variants = {k: v for k, v in variants.items() if any(o in k for o in args.only)}
    print(f"input {shape}, batch {args.batch}, {env.precision}; best of {args.steps} steps")
    print(f"{'variant':<42}{'train s/step':>13}{'forward s':>11}{'GFLOPs/img':>11}")
    for label, spec in variants.items():
        keras.backend.clear_session()
        keras.mixed_precision.set_global_policy(env.precision)
        model = models.deeplabv3plus(
            shape, 11, output_stride=spec["output_stride"], backbone="lite0", **head
        )
        _freeze(model, spec.get("frozen", 0), spec.get("bn", False))
        model.compile(
            optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        train = _seconds(lambda m=model: m.train_on_batch(x, y), args.steps)
        forward = _seconds(lambda m=model: m.predict_on_batch(x), args.steps)
        flops = models.count_flops(model.get_layer("backbone")) + models.count_flops(model)
        print(f"{label:<42}{train:>13.3f}{forward:>11.3f}{flops / 1e9:>11.2f}")


if __name__ == "__main__":
    main()
