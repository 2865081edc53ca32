"""Is the input pipeline ever what the model waits for?

    .venv/bin/python benchmarks/pipeline_throughput.py [--size 176 240] [--batch 8] [--steps 30]

Prints the images/s of ``data.load("camvid", "train", augment=True)`` on its own, and
the training images/s of a small U-Net on the same batches (in the precision that
``course_utils.setup()`` picks). The pipeline should be several times faster than the model.
Needs CamVid in the cache or ``COURSE_DATA_MIRROR``.
"""

from __future__ import annotations

import argparse
import time

import course_utils
from course_utils import data


def _small_unet(input_shape, num_classes, width=16):
    """A 3-level U-Net with batch norm (stand-in until course_utils.models.unet exists)."""
    import keras
    from keras import layers

    def block(x, filters):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        return x

    inputs = keras.Input(input_shape)
    skips, x = [], inputs
    for level in range(3):
        x = block(x, width * 2**level)
        skips.append(x)
        x = layers.MaxPooling2D()(x)
    x = block(x, width * 8)
    for level in reversed(range(3)):
        x = layers.Conv2DTranspose(width * 2**level, 2, strides=2, padding="same")(x)
        x = layers.Concatenate()([x, skips[level]])
        x = block(x, width * 2**level)
    outputs = layers.Conv2D(num_classes, 1, dtype="float32")(x)
    return keras.Model(inputs, outputs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, nargs=2, default=(176, 240))
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

    model = _small_unet((*args.size, 3), info.num_classes)
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
        f"small U-Net training ({model.count_params() / 1e6:.2f} M params, {env.precision}): "
        f"{train_rate:8.1f} images/s"
    )
    print(
        f"pipeline / training ratio: {pipeline_rate / train_rate:.1f}x "
        "(above 1: the model, not the pipeline, is the bottleneck)"
    )


if __name__ == "__main__":
    main()
