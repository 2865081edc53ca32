"""What does TensorFlow's op determinism cost, and what does it buy?

    .venv/bin/python benchmarks/determinism.py [--models encoder_decoder unet deeplabv3plus]
        [--steps 20] [--size 192 256] [--preset cpu] [--precision auto]

For each model, in a fresh process each time (determinism cannot be turned off once on):
trains ``--steps`` steps on real CamVid batches twice with the same seed, without and then
with ``tf.config.experimental.enable_op_determinism()``, and prints the milliseconds per
training step (median after the first, traced, step) and how far the two same-seed runs'
final losses and weights land apart. ``setup(deterministic=True)`` (the course's default)
turns it on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

_CHILD = """
import json, sys, time
import numpy as np
import course_utils
name, steps, size, preset, precision, deterministic = json.loads(sys.argv[1])
results = []
for run in range(2):
    env = course_utils.setup("default", seed=0, mixed_precision=precision,
                             deterministic=deterministic)
    import keras
    from course_utils import data, models
    keras.backend.clear_session()
    camvid = data.info("camvid")
    train = data.load("camvid", "train", image_size=tuple(size), batch_size=8, augment=True,
                      seed=0, repeat=True)
    model = models.build(name, (*size, 3), camvid.num_classes, preset=preset)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=camvid.ignore_index)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss_fn)
    times, loss = [], None
    for images, masks in train.take(steps):
        start = time.perf_counter()
        loss = float(model.train_on_batch(images, masks))
        times.append(time.perf_counter() - start)
    weights = np.concatenate([np.ravel(w) for w in model.get_weights()])
    results.append({"ms": 1000 * float(np.median(times[1:])), "loss": loss, "weights": weights})
print(json.dumps({
    "ms": [r["ms"] for r in results],
    "loss_gap": abs(results[0]["loss"] - results[1]["loss"]),
    "weight_gap": float(np.max(np.abs(results[0]["weights"] - results[1]["weights"]))),
    "precision": env.precision,
}))
"""


def _measure(name: str, args: argparse.Namespace, deterministic: bool) -> dict:
    payload = json.dumps([name, args.steps, args.size, args.preset, args.precision, deterministic])
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, payload], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["encoder_decoder", "unet", "deeplabv3plus"])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--size", type=int, nargs=2, default=[192, 256])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()
    print(
        f"{'model':<16}{'determinism':>12}{'ms/step':>9}{'cost':>7}"
        f"{'loss gap':>11}{'max weight gap':>16}  (same seed, two runs)"
    )
    for name in args.models:
        base = None
        for deterministic in (False, True):
            r = _measure(name, args, deterministic)
            ms = statistics.mean(r["ms"])
            base = base or ms
            print(
                f"{name:<16}{'on' if deterministic else 'off':>12}{ms:>9.0f}"
                f"{ms / base - 1:>+7.0%}{r['loss_gap']:>11.2e}{r['weight_gap']:>16.2e}"
                f"  [{r['precision']}]",
                flush=True,
            )


if __name__ == "__main__":
    main()
