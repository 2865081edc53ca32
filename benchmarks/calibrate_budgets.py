"""The ``default`` step budgets: steps in 6 minutes of training on the calibration laptop.

    ONEDNN_MAX_CPU_ISA=AVX2 COURSE_PRECISION=float32 \\
        .venv/bin/python benchmarks/calibrate_budgets.py [--steps 5]

The budgets (``training.CALIBRATION``) are the optimizer steps each Part 3 model makes
in 6 minutes of training on a 2-core AVX2 laptop CPU in float32. When that laptop is not
at hand, this script measures each model's seconds per training step here (batch 8 at
192x256, ``cpu`` preset, best of ``--steps`` after tracing, random data) and converts
them with anchors timed on the laptop itself:

- the VGG-style models (FCN, SegNet, U-Net, the plain encoder-decoder, DeepLabV3+ on
  VGG-11) by FCN-8s: its 630 steps took 11.8 minutes there (2026-12-05);
- the models on ImageNet's EfficientNet-Lite0 by DeepLabV3+ on Lite0 at output stride
  32: 1.7 s per step there (issue 24's measurement).

Depthwise convolutions and dense ones do not slow down alike from one CPU to another,
hence one anchor per kind. Run it limited to AVX2 and in float32, as above, so that the
ratios are taken between like computations. Prints each model's seconds per step here,
the ratio used, the estimated seconds per step on the laptop, and the budget.
"""

from __future__ import annotations

import argparse

import course_utils

#: Anchors timed on the calibration laptop: (model, seconds per step there).
ANCHORS = {"vgg": ("fcn8s", 11.8 * 60 / 630), "lite0": ("deeplabv3plus_lite0", 1.7)}

#: The model each budget family is timed with.
FAMILIES = {
    "encoder_decoder": "encoder_decoder",
    "fcn": "fcn8s",
    "segnet": "segnet",
    "unet": "unet",
    "deeplabv3plus": "deeplabv3plus",
    "fcn_lite0": "fcn8s_lite0",
    "unet_lite0": "unet_lite0",
    "deeplabv3plus_lite0": "deeplabv3plus_lite0",
}

MINUTES = 6.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    env = course_utils.setup("default")
    from course_utils import models

    here: dict[str, float] = {}
    for model_name in sorted(set(FAMILIES.values())):
        model = models.build(model_name, (192, 256, 3), 11, "cpu")
        speed = models.measure_speed(model, 8, steps=args.steps)
        here[model_name] = 8 / speed["train_images_per_s"]
    print(f"{env.precision}; seconds per training step, batch 8 at 192x256, cpu preset")
    print(f"{'family':<22}{'s/step here':>12}{'ratio':>8}{'s/step laptop':>15}{'budget':>8}")
    for family, model_name in FAMILIES.items():
        anchor, laptop_seconds = ANCHORS["lite0" if family.endswith("_lite0") else "vgg"]
        ratio = laptop_seconds / here[anchor]
        laptop = here[model_name] * ratio
        steps = round(MINUTES * 60 / laptop)
        print(f"{family:<22}{here[model_name]:>12.3f}{ratio:>8.2f}{laptop:>15.2f}{steps:>8}")


if __name__ == "__main__":
    main()
