"""``course seed-record``: train every Part 3 model with several seeds and record their
val and test scores (the recording half of :mod:`course_utils.seed_record`, which reads
the record).

Each model is trained once per seed with exactly the notebooks' recipe
(:func:`training.train_part3`), scored on the validation and the test split, and written
to a JSON record (machine, date, versions, per-seed mIoU and per-class IoU, and on test
the mIoU of the pixels within :data:`~course_utils.seed_record.BAND_WIDTH` pixels of a
label edge), with every run's per-image test confusions beside it. A record can be
resumed: runs already in the file are kept, so an interrupted command picks up where it
stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from course_utils import paths
from course_utils.seed_record import (
    BAND_WIDTH,
    CONTROLS,
    IMAGENET_MODELS,
    RECORD_NAME,
    RECORDED_MODELS,
    START_CONTROLS,
    confusions_path,
    default_path,
)

#: Every name ``course seed-record`` can train: what ``models.build`` makes and
#: ``training.train_part3`` has a budget for.
TRAINABLE_MODELS: tuple[str, ...] = (
    "encoder_decoder", "fcn8s", "fcn16s", "fcn32s", "segnet", "segnet_nearest", "unet",
    "deeplabv3plus", "fcn16s_lite0", "fcn32s_lite0", *CONTROLS, *IMAGENET_MODELS,
    *START_CONTROLS,
)  # fmt: skip


def output_path(profile: str) -> Path:
    """Where ``course seed-record`` writes a record when told nothing:
    ``docs/seed_record_<profile>.json`` relative to the current folder (the repository's
    root, to update the committed one; copy it to ``course_utils/records/`` to ship it)."""
    return paths.docs_dir() / RECORD_NAME.format(profile=profile)


def _store_confusions(record_path: Path, key: str, confusions: Any) -> None:
    """Add one run's confusions to the file beside the record (written atomically)."""
    import numpy as np

    path = confusions_path(record_path)
    kept: dict[str, Any] = {}
    if path.is_file():
        with np.load(path) as stored:
            kept = {k: stored[k] for k in stored.files}
    kept[key] = np.asarray(confusions, dtype=np.int32)
    tmp = path.with_name(path.name + ".partial.npz")
    np.savez_compressed(tmp, **kept)
    os.replace(tmp, path)


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.system()}


def _split_scores(report: Any) -> dict[str, Any]:
    return {
        "miou": report.miou,
        "pixel_accuracy": report.pixel_accuracy,
        "mean_class_accuracy": report.mean_class_accuracy,
        "per_class_iou": {
            name: (None if iou != iou else float(iou))  # nan (absent class) as null
            for name, iou in zip(report.class_names, report.iou, strict=True)
        },
    }


def check_arguments(
    *, profile: str, models: Sequence[str], seeds: Sequence[int], limit: int | None
) -> None:
    """Check what :func:`record_seeds` is asked to do, before it trains anything.

    Raises:
        ValueError: naming every argument that is wrong, and what to use instead.
    """
    from course_utils.profiles import PROFILES

    problems = []
    if profile not in PROFILES:
        problems.append(f"unknown profile {profile!r} (use one of {', '.join(PROFILES)})")
    unknown = [name for name in models if name not in TRAINABLE_MODELS]
    if unknown:
        problems.append(
            f"unknown model{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(n) for n in unknown)} (use any of {', '.join(TRAINABLE_MODELS)})"
        )
    if not models:
        problems.append("no model to train (name at least one)")
    bad_seeds = [seed for seed in seeds if isinstance(seed, bool) or not isinstance(seed, int)
                 or seed < 0]  # fmt: skip
    if bad_seeds:
        problems.append(f"seeds must be whole numbers from 0, got {bad_seeds}")
    if not seeds:
        problems.append("no seed (give at least one, e.g. 0)")
    if limit is not None and limit < 1:
        problems.append(f"limit must be at least 1 image per split (or none: all), got {limit}")
    if problems:
        raise ValueError("Nothing was trained: " + "; ".join(problems) + ".")


def record_seeds(
    out: Path,
    *,
    profile: str,
    models: Sequence[str] = RECORDED_MODELS,
    seeds: Sequence[int] = (0, 1, 2),
    image_size: tuple[int, int] | None = None,
    limit: int | None = None,
    replace: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train every model once per seed with Part 3's recipe and record val and test scores.

    Args:
        out: the JSON file (written after every run; runs already in it are kept).
        profile: the profile whose budgets and presets to use.
        models: names for ``models.build`` (``"fcn8s"`` trains in stages).
        seeds: the seeds; each draws the initial weights and the order of the training images.
        image_size: the size every model trains at (whole frames), for tests; ``None``:
            each model's own :func:`training.part3_frames`. Test is scored at 360x480.
        limit: images per split (``None``: all; tests use a few).
        replace: train these models' seeds again even where the record has them (after a
            change of their recipe); each recorded run is replaced once its new run is
            stored, so an interrupted replacement keeps every run it has not redone.
        log: where progress lines go.

    Returns:
        The record.

    Raises:
        ValueError: for an unknown profile or model, a negative seed, a limit below 1, or
            a record in ``out`` made with other settings; all checked before any training.
    """
    check_arguments(profile=profile, models=models, seeds=seeds, limit=limit)
    from course_utils import data, metrics, training
    from course_utils.env import setup
    from course_utils.models import PRESETS

    out = Path(out)
    record: dict[str, Any] = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    wanted = {
        "profile": profile,
        "image_size": None if image_size is None else list(image_size),
        "limit": limit,
        "test_scored_at": "native",
    }
    if record["runs"] and any(record.get(key) != value for key, value in wanted.items()):
        raise ValueError(
            f"{out} records {', '.join(f'{k}={record.get(k)!r}' for k in wanted)}; write "
            f"{', '.join(f'{k}={v!r}' for k, v in wanted.items())} to another file."
        )
    done = set() if replace else {(r["model"], r["seed"]) for r in record["runs"]}
    todo = [(seed, name) for seed in seeds for name in models if (name, seed) not in done]
    camvid = data.info("camvid")
    preset = {"quick": "tiny", "default": "cpu", "full": "paper"}[profile]
    started = time.perf_counter()
    for i, (seed, name) in enumerate(todo, start=1):
        import keras

        # clear_session() first: it resets Keras' precision policy, which setup() then sets,
        # so a run computes in the precision the record names (until December 2026 every
        # run was float32 while the record said what setup() had picked)
        keras.backend.clear_session()
        env = setup(profile, seed=seed)
        frames = (
            training.part3_frames(name)
            if image_size is None
            else training.Part3Frames((int(image_size[0]), int(image_size[1])))
        )
        train = data.load("camvid", "train", image_size=frames.size, batch_size=8,
                          augment=frames.augment(), limit=limit, seed=seed)  # fmt: skip
        val = data.load("camvid", "val", image_size=frames.size, batch_size=8, limit=limit)
        run = training.train_part3(
            name, train, val, profile=profile, preset=preset, input_shape=frames.input_shape,
            num_classes=camvid.num_classes, class_names=camvid.class_names,
            ignore_index=camvid.ignore_index, weights_size=frames.size, verbose=0,
            validate_each_epoch=False,  # the record keeps the final scores, not the curves
        )  # fmt: skip
        scores = run.as_scores()
        # test is scored at CamVid's own 360x480, whatever size a model sees
        per_image, band_per_image = training.confusions_with_band_at_native_size(
            run.model, "camvid", "test", frames.size, BAND_WIDTH, limit=limit
        )
        test_report = metrics.segmentation_report(per_image.sum(0), list(camvid.class_names))
        band_report = metrics.segmentation_report(band_per_image.sum(0), list(camvid.class_names))
        # a model trained on crops takes any size: scored a second way too, with test-time
        # augmentation (several scales and flip); comparisons of architectures use the first
        tta = training.IMAGENET_INFERENCE_AUGMENTATION if frames.crop else None
        tta_per_image = None
        if tta is not None:
            tta_per_image = training.confusions_at_native_size(
                run.model, "camvid", "test", frames.size, limit=limit, flip=tta.flip,
                scales=tta.scales,
            )  # fmt: skip
        record["runs"] = [r for r in record["runs"] if (r["model"], r["seed"]) != (name, seed)]
        record["runs"].append(
            {
                "model": name,
                "seed": seed,
                "steps": scores["steps"],
                "train_seconds": scores["train_seconds"],
                "encoder_copied": scores["encoder_copied"],
                "start": scores["start"],
                "loss": scores["loss"],
                "learning_rate": scores["learning_rate"],
                "val": _split_scores(run.fit.report),
                "test": {**_split_scores(test_report), "band_miou": band_report.miou},
            }
        )
        if tta is not None and tta_per_image is not None:
            tta_report = metrics.segmentation_report(tta_per_image.sum(0), list(camvid.class_names))
            record["runs"][-1]["test_tta"] = {**_split_scores(tta_report), **tta.as_dict()}
        recorded = [r["model"] for r in record["runs"] if "learning_rate" not in r]
        record.update(
            **wanted,
            frames={**record.get("frames", {}),
                    name: {"size": list(frames.size),
                           "crop": list(frames.crop) if frames.crop else None}},
            presets={**record.get("presets", {}),
                     **{m: PRESETS[training.model_family(m)][preset] for m in models}},
            budgets={**record.get("budgets", {}),
                     **{m: training.budget(profile, m).as_dict() for m in models}},
            # each model's peak rate (a record of before 2026-12-06 held one for all)
            learning_rates={**dict.fromkeys(recorded, record.pop("learning_rate", None)),
                            **record.get("learning_rates", {}),
                            **{m: training.part3_learning_rate(m) for m in models}},
            losses={**record.get("losses", {}), name: scores["loss"]},
            machine={**_machine(), "precision": env.precision},
            versions={
                "course": metadata.version("segmentation-course"),
                "tensorflow": env.versions.get("tensorflow"),
                "keras": env.versions.get("keras"),
                "python": platform.python_version(),
            },
            updated=time.strftime("%Y-%m-%d"),
            command=f"python -m course_utils seed-record --profile {profile}",
        )  # fmt: skip
        out.parent.mkdir(parents=True, exist_ok=True)
        _store_confusions(out, f"{name}/{seed}", per_image)
        _store_confusions(out, f"band/{name}/{seed}", band_per_image)
        if tta_per_image is not None:
            _store_confusions(out, f"tta/{name}/{seed}", tta_per_image)
        tmp = out.with_suffix(".partial")
        tmp.write_text(json.dumps(record, indent=1, default=float) + "\n")
        os.replace(tmp, out)
        elapsed = time.perf_counter() - started
        left = elapsed / i * (len(todo) - i)
        log(
            f"[{i}/{len(todo)}] seed {seed} {name:<16} {scores['steps']} steps, "
            f"val mIoU {run.fit.report.miou:.3f}, test mIoU {test_report.miou:.3f} "
            f"({scores['train_seconds'] / 60:.1f} min training; about {left / 60:.0f} min left)"
        )
    return record


def cmd_seed_record(args: argparse.Namespace) -> int:
    """``course seed-record``: check every argument, then train and record; 1 when an
    argument is wrong or ``--out`` holds a record of other settings (nothing trained)."""
    out = Path(args.out) if args.out else output_path(args.profile)
    models = args.models or list(RECORDED_MODELS)
    try:  # every argument, before the first model trains
        check_arguments(profile=args.profile, models=models, seeds=args.seeds, limit=args.limit)
    except ValueError as err:
        print(f"course seed-record: {err}", file=sys.stderr)
        return 1
    print(f"seed record: {out} ({len(models)} models x {len(args.seeds)} seeds)")
    try:
        record_seeds(out, profile=args.profile, models=models, seeds=args.seeds, limit=args.limit,
                     replace=args.replace)  # fmt: skip
    except ValueError as err:  # a record in --out made with other settings: nothing trained
        print(f"course seed-record: {err}", file=sys.stderr)
        return 1
    confusions = confusions_path(out)
    print(f"written: {out} and {confusions.name}")
    packaged = default_path(args.profile)
    if out.name == packaged.name and packaged.parent.is_dir():
        print(
            f"The course ships {packaged.name} from its package: "
            f"cp {out} {confusions} {packaged.parent}/"
        )
    return 0
