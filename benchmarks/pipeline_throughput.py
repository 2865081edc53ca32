"""Is the input pipeline ever what the model waits for?

    .venv/bin/python benchmarks/pipeline_throughput.py [--size 192 256] [--batch 8] [--steps 30]

Prints the images/s of ``data.load("camvid", "train", augment=True)`` on its own, and
the training images/s of the course's U-Net (``cpu`` preset) on the same batches (in the
precision that ``course_utils.setup()`` picks). The pipeline should be several times
faster than the model.
Needs CamVid in the cache or ``COURSE_DATA_MIRROR``.
"""

from __future__ import annotations

import argparse
import time

import course_utils
from course_utils import data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, nargs=2, default=(192, 256))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()

    env = course_utils.setup()  # before importing keras: keeps TF's start-up lines quiet
    import keras

    info = data.info("camvid")
    t = time.perf_counter()
    data.arrays("camvid", "train", tuple(args.size))
    print(
        f"decode + resize of the 367 training images (once per process): "
        f"{time.perf_counter() - t:.1f} s"
    )

    ds = data.load("camvid", "train", tuple(args.size), args.batch, augment=True, repeat=True)
    it = iter(ds)
    for _ in range(5):
        next(it)
    t = time.perf_counter()
    n = 0
    for _ in range(args.steps * 4):
        images, _ = next(it)
        n += int(images.shape[0])
    pipeline_rate = n / (time.perf_counter() - t)
    print(f"pipeline alone (augment=True): {pipeline_rate:8.1f} images/s")

    from course_utils import models

    model = models.build("unet", (*args.size, 3), info.num_classes, preset="cpu")
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=info.ignore_index
        ),
    )
    model.fit(ds, steps_per_epoch=3, epochs=1, verbose=0)  # build and trace
    t = time.perf_counter()
    model.fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0)
    train_rate = args.steps * args.batch / (time.perf_counter() - t)
    print(
        f"U-Net training ({model.count_params() / 1e6:.2f} M params, {env.precision}): "
        f"{train_rate:8.1f} images/s"
    )
    print(
        f"pipeline / training ratio: {pipeline_rate / train_rate:.1f}x "
        "(above 1: the model, not the pipeline, is the bottleneck)"
    )


if __name__ == "__main__":
    main()
