"""Part 3's recipe choices, measured on a validation split (never on test).

    .venv/bin/python benchmarks/tune_part3.py [--model deeplabv3plus] [--seeds 0]
        [--configs baseline mfce ...] [--out docs/tune_part3_default.json]
        [--split val|tune] [--steps N]

``--split tune`` trains on ``tune_train`` and scores ``tune_val``, a drive never seen in
training (``docs/method.md``: the split that resembles test); ``val`` (the default, the
split of the earlier choices) trains on ``train`` and scores ``val``. ``--steps`` replaces
the model's budget (a model without one, e.g. a ``_lite0`` model before its calibration,
needs it). Models on ImageNet's EfficientNet-Lite0 start from ImageNet, not from
notebook 03's encoder. With ``--verdicts`` the script judges every config against
``baseline`` with ``metrics.verdict`` over the seeds and the scored images (per-image
confusions kept in ``build/tune/``).

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
#: The ImageNet start's chosen frames (352x480 in 192x256 crops) and peak rate.
_IMAGENET_FRAMES_AND_RATE = {"frame": [352, 480], "crop": [192, 256], "learning_rate": 2e-3}

CONFIGS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "mfce": {"loss": "median_frequency"},
    "batch4": {"batch_size": 4},
    "crop128": {"crop": 128},
    "lr3e-3": {"learning_rate": 3e-3},
    "mfce_batch4": {"loss": "median_frequency", "batch_size": 4},
    "mfce_crop128": {"loss": "median_frequency", "crop": 128},
    "mfce_lr3e-3": {"loss": "median_frequency", "learning_rate": 3e-3},
    "sqrtce": {"loss": "inverse_sqrt"},
    "ce_dice": {"loss": "ce_dice"},
    "frozen_bn": {"frozen_bn": True},
    "mfce_frozen_bn": {"loss": "median_frequency", "frozen_bn": True},
    # Resolution: frames loaded larger than the network trains on, random 192x256 crops of
    # them (the same cost per step), whole frames at the larger size when scored.
    "sqrtce_288": {"loss": "inverse_sqrt", "frame": [288, 384], "crop": [192, 256]},
    "sqrtce_352": {"loss": "inverse_sqrt", "frame": [352, 480], "crop": [192, 256]},
    "sqrtce_288_frozen": {
        "loss": "inverse_sqrt",
        "frame": [288, 384],
        "crop": [192, 256],
        "frozen_bn": True,
        "frozen_blocks": 3,
    },
    "sqrtce_288_lr2e-3": {
        "loss": "inverse_sqrt",
        "frame": [288, 384],
        "crop": [192, 256],
        "learning_rate": 2e-3,
    },
    # A cheaper step buys more steps in the same minutes. ``time_ratio``: the recipe's seconds
    # per step over this config's (benchmarks/lite0_step.py, AVX2 float32, 192x256 batch 8:
    # OS32 all trained 0.621 s, OS32 backbone BN frozen 0.489 s, OS16 stem + blocks 0-4 and
    # BN frozen 0.496 s), so each config trains as many minutes as the recipe on the laptop.
    "sqrtce_352_bnfrozen": {
        "loss": "inverse_sqrt",
        "frame": [352, 480],
        "crop": [192, 256],
        "frozen_bn": True,
        "time_ratio": 0.621 / 0.489,
    },
    "sqrtce_352_os16_frozen": {
        "loss": "inverse_sqrt",
        "frame": [352, 480],
        "crop": [192, 256],
        "frozen_bn": True,
        "frozen_blocks": 5,
        "build": {"output_stride": 16, "aspp_rates": (2, 4, 6)},
        "time_ratio": 0.621 / 0.496,
    },
    "sqrtce_352_lr2e-3": {"loss": "inverse_sqrt", **_IMAGENET_FRAMES_AND_RATE},
    # the loss chosen again with the ImageNet start's frames and rate (a second architecture)
    "ce_352_lr2e-3": {**_IMAGENET_FRAMES_AND_RATE},
    "mfce_352_lr2e-3": {"loss": "median_frequency", **_IMAGENET_FRAMES_AND_RATE},
    "ce_dice_352_lr2e-3": {"loss": "ce_dice", **_IMAGENET_FRAMES_AND_RATE},
    "sqrtce_352_batch4": {
        "loss": "inverse_sqrt",
        "frame": [352, 480],
        "crop": [192, 256],
        "batch_size": 4,
    },
    "sqrtce_352_lr3e-3": {
        "loss": "inverse_sqrt",
        "frame": [352, 480],
        "crop": [192, 256],
        "learning_rate": 3e-3,
    },
    # Polyak averaging: the run ends on the moving average of its weights (Adam's use_ema)
    "sqrtce_352_lr2e-3_ema": {
        "loss": "inverse_sqrt",
        "frame": [352, 480],
        "crop": [192, 256],
        "learning_rate": 2e-3,
        "ema": 0.98,
    },
    "sqrtce_352_lr2e-3_batch4": {
        "loss": "inverse_sqrt",
        "frame": [352, 480],
        "crop": [192, 256],
        "learning_rate": 2e-3,
        "batch_size": 4,
    },
}

#: Test-time augmentations each run is scored with besides the plain pass, with ``--tta``:
#: name -> (scales, flip) for ``training.confusions_at_native_size``. The scale sets follow
#: the DeepLab papers' multi-scale inference (around 1, and upward only: thin objects).
TTA: dict[str, tuple[tuple[float, ...], bool]] = {
    "s125": ((1.25,), False),
    "s125_flip": ((1.25,), True),
    "ms3_flip": ((0.75, 1.0, 1.25), True),
    "up_flip": ((1.0, 1.25, 1.5), True),
}

RARE = ("Pole", "SignSymbol", "Fence", "Pedestrian", "Bicyclist")
SIZE = (192, 256)


SPLITS = {"val": ("train", "val"), "tune": ("tune_train", "tune_val")}


def _confusions_path(
    model: str, split: str, config: dict[str, Any], seed: int, kind: str = "", shuffled: bool = True
) -> Path:
    """Where one run's per-image confusions are kept (not committed: build/); ``kind``
    ``"native"`` for those scored at CamVid's own 360x480. ``shuffled=False``: a run of
    before 2026-12-06, when ``tune_train`` was not shuffled (``data.load`` shuffled only
    ``train``), so its batches were runs of consecutive frames."""
    import hashlib

    key = json.dumps(
        [model, split, config, seed] + (["shuffled"] if shuffled else []), sort_keys=True
    )
    suffix = f"_{kind}" if kind else ""
    return Path("build/tune") / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}{suffix}.npy"


def _loss(kind: str | None, masks: Any, camvid: Any) -> Any:
    """The config's loss (None: plain cross-entropy, void ignored)."""
    import keras

    from course_utils import metrics, models

    if kind is None:
        return None
    if kind == "ce_dice":
        ce = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=camvid.ignore_index
        )
        dice = models.DiceLoss(camvid.num_classes, ignore_index=camvid.ignore_index)
        return lambda y_true, y_pred: ce(y_true, y_pred) + dice(y_true, y_pred)
    weights = metrics.class_weights(masks, camvid.num_classes, camvid.ignore_index, kind)
    return models.WeightedCrossEntropy(weights, ignore_index=camvid.ignore_index)


def _run(
    model_name: str,
    config: dict[str, Any],
    seed: int,
    split: str,
    steps: int | None,
    tta: bool = False,
) -> dict[str, Any]:
    import numpy as np

    import course_utils
    from course_utils import data, metrics, models, training

    course_utils.setup("default", seed=seed)
    import keras

    # clear_session() resets Keras' global settings, the precision policy among them: every
    # tuning run computes in float32, as the calibration laptop does, whatever setup() chose.
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("float32")
    camvid = data.info("camvid")
    train_split, val_split = SPLITS[split]
    batch = config.get("batch_size", 8)
    frame = tuple(config.get("frame", SIZE))
    crop = config.get("crop")
    augment = data.Augment(crop=crop if isinstance(crop, int) else tuple(crop)) if crop else None
    train = data.load("camvid", train_split, image_size=frame, batch_size=batch,
                      augment=augment or True, shuffle=True, seed=seed)  # fmt: skip
    val = data.load("camvid", val_split, image_size=frame, batch_size=8)
    patch = augment.crop_size if augment else frame
    pixels = patch[0] * patch[1] * batch
    if steps is None:
        base = training.budget("default", model_name)
        assert base.steps is not None
        steps = base.steps
    steps = round(steps * (8 * SIZE[0] * SIZE[1]) / pixels * config.get("time_ratio", 1.0))
    masks = data.arrays("camvid", train_split, frame).targets
    loss = _loss(config.get("loss"), masks, camvid)
    input_shape = (None, None, 3) if crop else (*frame, 3)
    model = models.build(
        model_name, input_shape, camvid.num_classes, preset="cpu", **config.get("build", {})
    )
    if model_name.endswith("_lite0"):
        start = training.WarmStart([], "ImageNet's EfficientNet-Lite0", imagenet=True)
        for layer in model.get_layer("backbone").layers:
            # frozen_bn: the backbone's batch norm keeps ImageNet's statistics; frozen_blocks:
            # the stem and the first blocks (the high-resolution ones) keep ImageNet's weights
            early = layer.name.startswith("stem") or (
                layer.name.startswith("block")
                and int(layer.name[5:].split("_")[0]) < config.get("frozen_blocks", 0)
            )
            bn = isinstance(layer, keras.layers.BatchNormalization)
            if (config.get("frozen_bn") and bn) or (config.get("frozen_blocks") and early):
                layer.trainable = False
    else:
        start = training.warm_start(model, training.ENCODER_RUN, "default")
    started = time.perf_counter()
    fit = training.fit_segmentation(
        model, train, val, num_classes=camvid.num_classes, class_names=camvid.class_names,
        ignore_index=camvid.ignore_index, steps=steps,
        learning_rate=config.get("learning_rate", training.PART3_LEARNING_RATE),
        loss=loss, verbose=0, ema_momentum=config.get("ema"),
    )  # fmt: skip
    report = fit.report
    iou = dict(zip(report.class_names, (float(v) for v in report.iou), strict=True))
    if fit.val_confusions is not None:
        path = _confusions_path(model_name, split, config, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, fit.val_confusions)
    # Scored again at CamVid's own 360x480 masks, so configs of different sizes compare
    native = training.confusions_at_native_size(model, "camvid", val_split, frame)
    np.save(_confusions_path(model_name, split, config, seed, "native"), native)
    native_report = metrics.segmentation_report(native.sum(0), list(camvid.class_names))
    native_iou = dict(zip(native_report.class_names, map(float, native_report.iou), strict=True))
    # ... and with each frame's mirror image averaged in (test-time flip), the same weights
    flipped = training.confusions_at_native_size(model, "camvid", val_split, frame, flip=True)
    np.save(_confusions_path(model_name, split, config, seed, "native_flip"), flipped)
    flip_report = metrics.segmentation_report(flipped.sum(0), list(camvid.class_names))
    flip_iou = dict(zip(flip_report.class_names, map(float, flip_report.iou), strict=True))
    # kept (not committed) so that another scoring needs no training
    model.save(_confusions_path(model_name, split, config, seed, "model").with_suffix(".keras"))
    augmented: dict[str, Any] = {}
    for kind, (scales, flip) in TTA.items() if tta else ():
        scored = training.confusions_at_native_size(
            model, "camvid", val_split, frame, flip=flip, scales=scales
        )
        np.save(_confusions_path(model_name, split, config, seed, f"native_{kind}"), scored)
        tta_report = metrics.segmentation_report(scored.sum(0), list(camvid.class_names))
        tta_iou = dict(zip(tta_report.class_names, map(float, tta_report.iou), strict=True))
        augmented[kind] = {
            "miou": tta_report.miou,
            "rare_iou": {name: tta_iou[name] for name in RARE},
        }
    return {
        "model": model_name,
        "split": split,
        "shuffled": True,
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
        "native_miou": native_report.miou,
        "native_rare_iou": {name: native_iou[name] for name in RARE},
        "native_flip_miou": flip_report.miou,
        "native_flip_rare_iou": {name: flip_iou[name] for name in RARE},
        **({"native_tta": augmented} if tta else {}),
    }


def _verdicts(
    results: list[dict[str, Any]],
    model: str,
    split: str,
    against: str,
    flip: bool = False,
    tta: str | None = None,
) -> None:
    """Every config against ``against``: ``metrics.verdict`` on mIoU and rare-class IoU,
    scored at CamVid's own 360x480 where every run of the model was (else at 192x256)."""
    import numpy as np

    from course_utils import data, metrics

    names = data.info("camvid").class_names
    rare = metrics.class_subset_iou([names.index(n) for n in RARE], name="rare-class IoU")
    runs = [r for r in results if r["model"] == model and r.get("split", "val") == split]
    by_config: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(runs, key=lambda r: r["seed"]):
        by_config.setdefault(r["name"], []).append(r)

    kind = "native" if all("native_miou" in r for r in runs) else ""
    if flip:  # every run scored with its mirror images averaged in, too
        runs = [r for r in runs if "native_flip_miou" in r]
        kind = "native_flip"
    if tta:  # every run scored with that test-time augmentation
        runs = [r for r in runs if tta in r.get("native_tta", {})]
        kind = f"native_{tta}"

    def stacks(name: str) -> tuple[np.ndarray, list[np.ndarray]]:
        per_seed = [np.load(_confusions_path(model, split, r["config"], r["seed"], kind,
                                             r.get("shuffled", False)))
                    for r in by_config[name]]  # fmt: skip
        return np.sum(per_seed, axis=0), per_seed

    if against not in by_config:
        return
    base_pooled, base_seeds = stacks(against)
    where = {"native": "at 360x480", "native_flip": "at 360x480, flip averaged", "": "at 192x256"}
    where.update({f"native_{k}": f"at 360x480, {k} {TTA[k][0]}" for k in TTA})
    print(
        f"\nverdicts on {SPLITS[split][1]} {where[kind]} ({model}), each config against {against}:"
    )
    for name in by_config:
        if name == against:
            continue
        pooled, seeds = stacks(name)
        for score in (metrics.miou, rare):
            found = metrics.verdict(
                f"{name} > {against}",
                metrics.paired_bootstrap(pooled, base_pooled, score=score),
                metrics.seed_spread([float(score(c.sum(0))) for c in seeds],
                                    [float(score(c.sum(0))) for c in base_seeds]),
            )  # fmt: skip
            print(f"  {found}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="deeplabv3plus")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", default="docs/tune_part3_default.json")
    parser.add_argument("--split", choices=list(SPLITS), default="val")
    parser.add_argument("--steps", type=int, help="steps instead of the model's budget")
    parser.add_argument("--verdicts", action="store_true", help="judge configs vs --against")
    parser.add_argument("--against", default="baseline", help="the config judged against")
    parser.add_argument("--flip", action="store_true", help="verdicts on flip-averaged scores")
    parser.add_argument(
        "--tta", action="store_true",
        help="score every run with the TTA variants too (runs without them are run again)",
    )  # fmt: skip
    parser.add_argument("--verdicts-on", choices=list(TTA), help="verdicts on a TTA variant")
    args = parser.parse_args()
    out = Path(args.out)
    results: list[dict[str, Any]] = json.loads(out.read_text()) if out.is_file() else []
    done = {
        (r["model"], r.get("split", "val"), json.dumps(r["config"], sort_keys=True), r["seed"])
        for r in results
        if r.get("shuffled", False)  # a run of before the shuffle fix is run again
        and (not args.tta or set(TTA) <= set(r.get("native_tta", {})))  # --tta: every kind
    }
    for seed in args.seeds:
        for name in args.configs:
            key = (args.model, args.split, json.dumps(CONFIGS[name], sort_keys=True), seed)
            if key in done:
                continue
            run = _run(args.model, CONFIGS[name], seed, args.split, args.steps, args.tta)
            result = {"name": name, **run}
            same = [  # the run it measures again (--tta): replaced, not kept twice
                r for r in results
                if (r["model"], r.get("split", "val"), json.dumps(r["config"], sort_keys=True),
                    r["seed"], r.get("shuffled", False)) == (*key, True)
            ]  # fmt: skip
            results = [r for r in results if not any(r is x for x in same)] + [result]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=1) + "\n")
            rare = " ".join(f"{v:.2f}" for v in result["native_rare_iou"].values())
            print(f"{args.model} {name:<14} seed {seed}: {result['steps']} steps "
                  f"({result['ms_per_step']} ms/step), {args.split} mIoU {result['val_miou']:.3f}, "
                  f"at 360x480 {result['native_miou']:.3f}, rare IoU there {rare}",
                  flush=True)  # fmt: skip
    print(f"\n{'config':<24} {'n':>2} {args.split + ' mIoU':>16} {'at 360x480':>16} {'+ flip':>16}")
    for name in CONFIGS:
        runs = [
            r for r in results
            if r["name"] == name and r["model"] == args.model
            and r.get("split", "val") == args.split
        ]  # fmt: skip
        if runs:
            cells = []
            for key in ("val_miou", "native_miou", "native_flip_miou"):
                scores = [r[key] for r in runs if key in r]
                sd = statistics.stdev(scores) if len(scores) > 1 else float("nan")
                cells.append(f"{statistics.mean(scores):>8.3f} ± {sd:.3f}" if scores else "-")
            print(f"{name:<24} {len(runs):>2} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}")
            for kind in TTA:
                scores = [r["native_tta"][kind]["miou"] for r in runs if "native_tta" in r]
                if scores:
                    sd = statistics.stdev(scores) if len(scores) > 1 else float("nan")
                    print(f"{'':<24} {len(scores):>2} {kind:>16} {statistics.mean(scores):>8.3f}"
                          f" ± {sd:.3f}")  # fmt: skip
    if args.verdicts:
        _verdicts(results, args.model, args.split, args.against, args.flip, args.verdicts_on)


if __name__ == "__main__":
    main()
