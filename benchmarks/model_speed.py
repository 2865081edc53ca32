"""How fast does each segmentation model of the course train and predict on this machine?

    .venv/bin/python benchmarks/model_speed.py [--preset cpu] [--size 192 256] [--batch 8]

Prints, for every model that ``course_utils.models.build`` knows: parameters, GFLOPs per
image, training and inference images/s (best of 5 steps after tracing, random data, the
precision ``course_utils.setup()`` picks), and the peak extra memory of training one
batch, measured in a fresh process. These are the figures notebook 11 reports; the
notebooks' wall times follow from them.
"""

from __future__ import annotations

import argparse

import course_utils

MODELS = (
    "encoder_decoder", "fcn32s", "fcn8s", "segnet", "segnet_nearest", "unet", "deeplabv3plus",
    "fcn8s_lite0", "unet_lite0", "deeplabv3plus_lite0",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--size", type=int, nargs=2, default=(192, 256))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory probes")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    args = parser.parse_args()
    env = course_utils.setup("default")
    from course_utils import models

    shape = (*args.size, 3)
    print(f"preset {args.preset}, input {shape}, batch {args.batch}, {env.precision}")
    header = ("model", "params", "GFLOPs", "train img/s", "s/step", "infer img/s", "peak MB")
    print(
        f"{header[0]:<20}{header[1]:>11}{header[2]:>8}{header[3]:>13}{header[4]:>8}"
        f"{header[5]:>13}{header[6]:>9}"
    )
    for name in args.models:
        model = models.build(name, shape, 11, args.preset)
        speed = models.measure_speed(model, args.batch)
        memory = (
            "-" if args.no_memory
            else f"{models.peak_training_memory(name, args.preset, shape, args.batch):.0f}"
        )  # fmt: skip
        step = args.batch / speed["train_images_per_s"]
        print(
            f"{name:<20}{model.count_params():>11,}{models.count_flops(model) / 1e9:>8.2f}"
            f"{speed['train_images_per_s']:>13.1f}{step:>8.3f}{speed['infer_images_per_s']:>13.1f}"
            f"{memory:>9}"
        )


if __name__ == "__main__":
    main()
