"""Part 3's recipe choices, measured on the validation split (never on test).

    .venv/bin/python benchmarks/tune_part3.py [--model deeplabv3plus] [--seeds 0]
        [--configs baseline mfce ...] [--out docs/tune_part3_default.json]

Each config trains one Part 3 model from the same warm start as the notebooks
(``training.warm_start`` from notebook 03's encoder, where it fits) and scores it on
``val``. Every config gets the same compute: the model's ``default`` step budget
(``training.budget``) at batches of 8 full 192x256 images, converted to the same number
of image pixels when a config trains on smaller batches or crops (a step on a 128x128
crop costs about a third of a full-frame step, so it gets three times the steps). The
milliseconds per step are printed so the conversion can be checked.

The results go to ``--out`` (JSON, one entry per config and seed) and a table is
printed. ``docs/method.md`` records which choices these runs decided.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

#: The configs: changes to Part 3's recipe (``baseline`` is the recipe as it is).
CONFIGS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "mfce": {"loss": "median_frequency"},
    "batch4": {"batch_size": 4},
    "crop128": {"crop": 128},
    "lr3e-3": {"learning_rate": 3e-3},
    "mfce_batch4": {"loss": "median_frequency", "batch_size": 4},
    "mfce_crop128": {"loss": "median_frequency", "crop": 128},
    "mfce_lr3e-3": {"loss": "median_frequency", "learning_rate": 3e-3},
}

RARE = ("Pole", "SignSymbol", "Fence", "Pedestrian", "Bicyclist")
SIZE = (192, 256)


def _run(model_name: str, config: dict[str, Any], seed: int) -> dict[str, Any]:
    import course_utils
    from course_utils import data, metrics, models, training

    course_utils.setup("default", seed=seed)
    import keras

    keras.backend.clear_session()
    camvid = data.info("camvid")
    batch = config.get("batch_size", 8)
    crop = config.get("crop")
    augment = data.Augment(crop=crop) if crop else True
    train = data.load("camvid", "train", image_size=SIZE, batch_size=batch, augment=augment,
                      seed=seed)  # fmt: skip
    val = data.load("camvid", "val", image_size=SIZE, batch_size=8)
    pixels = (crop * crop if crop else SIZE[0] * SIZE[1]) * batch
    base = training.budget("default", model_name)
    assert base.steps is not None
    steps = round(base.steps * (8 * SIZE[0] * SIZE[1]) / pixels)
    loss = None
    if config.get("loss") == "median_frequency":
        masks = data.arrays("camvid", "train", SIZE).targets
        weights = metrics.class_weights(masks, camvid.num_classes, camvid.ignore_index)
        loss = models.WeightedCrossEntropy(weights, ignore_index=camvid.ignore_index)
    input_shape = (None, None, 3) if crop else (*SIZE, 3)
    model = models.build(model_name, input_shape, camvid.num_classes, preset="cpu")
    start = training.warm_start(model, training.ENCODER_RUN, "default")
    started = time.perf_counter()
    fit = training.fit_segmentation(
        model, train, val, num_classes=camvid.num_classes, class_names=camvid.class_names,
        ignore_index=camvid.ignore_index, steps=steps,
        learning_rate=config.get("learning_rate", training.PART3_LEARNING_RATE),
        loss=loss, verbose=0,
    )  # fmt: skip
    report = fit.report
    iou = dict(zip(report.class_names, (float(v) for v in report.iou), strict=True))
    return {
        "model": model_name,
        "seed": seed,
        "config": config,
        "steps": fit.steps,
        "ms_per_step": round(1000 * fit.seconds / max(fit.steps, 1), 1),
        "wall_minutes": round((time.perf_counter() - started) / 60, 2),
        "warm_start": bool(start.copied),
        "val_miou": report.miou,
        "val_mean_class_accuracy": report.mean_class_accuracy,
        "val_pixel_accuracy": report.pixel_accuracy,
        "val_rare_iou": {name: iou[name] for name in RARE},
        "val_miou_curve": fit.history.get("val_miou", []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="deeplabv3plus")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", default="docs/tune_part3_default.json")
    args = parser.parse_args()
    out = Path(args.out)
    results: list[dict[str, Any]] = json.loads(out.read_text()) if out.is_file() else []
    done = {(r["model"], json.dumps(r["config"], sort_keys=True), r["seed"]) for r in results}
    for seed in args.seeds:
        for name in args.configs:
            key = (args.model, json.dumps(CONFIGS[name], sort_keys=True), seed)
            if key in done:
                continue
            result = {"name": name, **_run(args.model, CONFIGS[name], seed)}
            results.append(result)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=1) + "\n")
            rare = " ".join(f"{v:.2f}" for v in result["val_rare_iou"].values())
            print(f"{args.model} {name:<14} seed {seed}: {result['steps']} steps "
                  f"({result['ms_per_step']} ms/step), val mIoU {result['val_miou']:.3f}, "
                  f"mean class acc {result['val_mean_class_accuracy']:.3f}, rare IoU {rare}",
                  flush=True)  # fmt: skip
    print(f"\n{'config':<14} {'n':>2} {'val mIoU':>16}")
    for name in CONFIGS:
        scores = [r["val_miou"] for r in results if r["name"] == name and r["model"] == args.model]
        if scores:
            sd = statistics.stdev(scores) if len(scores) > 1 else float("nan")
            print(f"{name:<14} {len(scores):>2} {statistics.mean(scores):>8.3f} ± {sd:.3f}")


if __name__ == "__main__":
    main()
