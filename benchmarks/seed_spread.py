"""How far does a Part 3 model's validation mIoU move between runs of the same recipe?

    .venv/bin/python benchmarks/seed_spread.py [--models encoder_decoder segnet unet]
        [--seeds 0 1 2] [--minutes 6] [--size 192 256] [--preset cpu] [--limit N]

Trains every model once per seed on CamVid with the common recipe of Part 3
(``training.fit_segmentation``: Adam 1e-3 with a cosine schedule over the budget, flips and
zoom, void ignored; a model whose layers match notebook 03's VGG-11 encoder by name starts
from that run when the ``default`` profile has it, as in notebooks 08 and 11). The seed
draws the initial weights and the order the training images are shuffled in. Prints each
run's epochs and validation mIoU (all 101 images unless ``--limit``), then per model the
mean, the standard deviation and the range.

A gap between two models that is smaller than their spread is not a finding: notebook
11's verdicts come from one run per model. Expect about ``minutes + 1`` minutes per run.
"""

from __future__ import annotations

import argparse
import statistics

import course_utils


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=["encoder_decoder", "segnet", "unet"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--minutes", type=float, default=6.0, help="training minutes per run")
    parser.add_argument("--size", type=int, nargs=2, default=(192, 256))
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--limit", type=int, default=None, help="images per split (default all)")
    args = parser.parse_args()

    results: dict[str, list[float]] = {name: [] for name in args.models}
    for seed in args.seeds:
        env = course_utils.setup("default", seed=seed)
        import keras

        from course_utils import data, models, training

        camvid = data.info("camvid")
        size = tuple(args.size)
        train = data.load(
            "camvid", "train", image_size=size, batch_size=8, augment=True, limit=args.limit,
            seed=seed,
        )  # fmt: skip
        val = data.load("camvid", "val", image_size=size, batch_size=8, limit=args.limit)
        for name in args.models:
            keras.backend.clear_session()
            model = models.build(name, (*size, 3), camvid.num_classes, preset=args.preset)
            start = training.warm_start(model, "vgg11_cifar10_encoder", env.profile)
            fit = training.fit_segmentation(
                model, train, val,
                num_classes=camvid.num_classes, class_names=camvid.class_names,
                ignore_index=camvid.ignore_index, minutes=args.minutes,
                epochs=training.budget("default")["epochs"], verbose=0,
            )  # fmt: skip
            results[name].append(fit.report.miou)
            print(
                f"seed {seed}  {name:<16} {fit.epochs:>3} epochs  mIoU {fit.report.miou:.3f}"
                f"  ({start.note})",
                flush=True,
            )

    print(f"\n{'model':<16}{'runs':>5}{'mean':>8}{'sd':>8}{'min':>8}{'max':>8}")
    for name, scores in results.items():
        sd = statistics.stdev(scores) if len(scores) > 1 else float("nan")
        print(
            f"{name:<16}{len(scores):>5}{statistics.mean(scores):>8.3f}{sd:>8.3f}"
            f"{min(scores):>8.3f}{max(scores):>8.3f}"
        )


if __name__ == "__main__":
    main()
