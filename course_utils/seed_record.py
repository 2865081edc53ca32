"""The seed record: every Part 3 model trained with several seeds, scored on val and test.

One training run is one draw: a gap between two models means something only when it is
larger than how far one model moves between seeds. ``course seed-record``
(:mod:`course_utils.cli.seed_record`) trains each model once per seed with exactly the
notebooks' recipe, scores it on the validation and the test split, and writes a JSON
record (machine, date, versions, per-seed mIoU and per-class IoU, and on test the mIoU of
the pixels within :data:`BAND_WIDTH` pixels of a label edge). The course commits each
profile's record as ``docs/seed_record_<profile>.json`` and ships the same file inside the
package (``course_utils/records/``, so that an installed wheel has it too; a test keeps
the two equal). This module reads it: notebook 11 reads the packaged record
(:func:`default_path`) and judges its claims against that spread.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from course_utils import paths

#: The models of Part 3, in the course's order.
PART3_MODELS: tuple[str, ...] = ("encoder_decoder", "fcn8s", "segnet", "unet", "deeplabv3plus")

#: Controls that a claim of the course is judged against, recorded like the models: U-Net
#: without its skips (same widths, same budget) for "U-Net's skips help thin structures",
#: and FCN-32s trained on through FCN-8s's stages without skips (``training.FCN_SKIP_CONTROL``)
#: for "FCN's skips help, beyond the extra steps of their stages" (notebook 07's control).
CONTROLS: tuple[str, ...] = ("unet_noskip", "fcn8s_noskip")

#: The architectures that can take ImageNet's EfficientNet-Lite0 as their encoder, on it
#: (SegNet cannot: its decoder needs the max-pooling indices of a VGG encoder).
IMAGENET_MODELS: tuple[str, ...] = ("fcn8s_lite0", "unet_lite0", "deeplabv3plus_lite0")

#: The controls of the starts: an architecture that has all three starts (ImageNet,
#: notebook 03's CIFAR-10 encoder, random weights) for notebook 11's headline.
START_CONTROLS: tuple[str, ...] = ("deeplabv3plus_scratch",)

#: The models a record holds: what ``course seed-record`` trains when no models are named.
RECORDED_MODELS: tuple[str, ...] = PART3_MODELS + CONTROLS + IMAGENET_MODELS + START_CONTROLS

#: Claim 3's finer score: test pixels within this many pixels of a label edge in the
#: 360x480 masks (``metrics.boundary_band``), recorded as ``test.band_miou``.
BAND_WIDTH = 3

#: A record's file name.
RECORD_NAME = "seed_record_{profile}.json"

#: The file beside a record that keeps every run's per-image confusion matrices on
#: ``test`` (``int32 (images, classes, classes)`` under the key ``"<model>/<seed>"``, and
#: those of the boundary band under ``"band/<model>/<seed>"``), so that an image bootstrap
#: and the seed spread come from the same runs.
CONFUSIONS_SUFFIX = "_test_confusions.npz"


def default_path(profile: str, root: Path | None = None) -> Path:
    """The record of ``profile`` that the course ships (``course_utils/records/``).

    Args:
        profile: ``"quick"``, ``"default"`` or ``"full"``.
        root: a repository folder: then its committed ``docs/seed_record_<profile>.json``
            (:func:`course_utils.paths.docs_dir`).
    """
    folder = paths.packaged_records_dir() if root is None else paths.docs_dir(root)
    return folder / RECORD_NAME.format(profile=profile)


def confusions_path(record_path: Path) -> Path:
    """The per-image test confusions kept beside the record at ``record_path``."""
    record_path = Path(record_path)
    return record_path.with_name(record_path.stem + CONFUSIONS_SUFFIX)


def test_confusions(
    record_path: Path, model: str, band: bool = False, augmented: bool = False
) -> list[Any]:
    """One model's per-image test confusions, one array per seed in seed order.

    Args:
        band: the confusions of the pixels within :data:`BAND_WIDTH` of a label edge.
        augmented: those of the score with test-time augmentation (``test_tta``, recorded
            for the models that take any input size).

    Raises:
        FileNotFoundError: when the record has no confusions file beside it.
        KeyError: when it holds no run of ``model``.
    """
    import numpy as np

    path = confusions_path(record_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"No per-image confusions at {path}: records made before December 2026 have "
            "none. Make the record again with: python -m course_utils seed-record"
        )
    prefix = f"band/{model}" if band else f"tta/{model}" if augmented else model
    with np.load(path) as stored:
        keys = sorted((k for k in stored.files if k.rsplit("/", 1)[0] == prefix),
                      key=lambda k: int(k.rsplit("/", 1)[1]))  # fmt: skip
        if not keys:
            raise KeyError(f"{path} holds no run of {model!r}.")
        return [stored[k] for k in keys]


def load_record(path: Path) -> dict[str, Any]:
    """A record written by ``course seed-record`` (:mod:`course_utils.cli.seed_record`).

    Raises:
        FileNotFoundError: saying which command makes it.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"No seed record at {path}. Make it with: python -m course_utils seed-record "
            f"--profile {Path(path).stem.removeprefix('seed_record_') or 'default'} "
            "(in default, each of its Part 3 models trains 6 minutes per seed on a 2-core "
            "laptop CPU)."
        )
    return json.loads(Path(path).read_text())


def summary(record: dict[str, Any], split: str = "test") -> dict[str, dict[str, float]]:
    """Per model: ``n``, ``mean``, ``sd`` (nan for one seed), ``min``, ``max`` of mIoU.

    Args:
        split: ``"val"``, ``"test"``, or ``"test_tta"`` (test with test-time augmentation,
            held by the runs of the models that take any input size; the others are left out).
    """
    by_model: dict[str, list[float]] = {}
    for run in record["runs"]:
        if split in run:
            by_model.setdefault(run["model"], []).append(run[split]["miou"])
    return {
        model: {
            "n": len(scores),
            "mean": statistics.mean(scores),
            "sd": statistics.stdev(scores) if len(scores) > 1 else float("nan"),
            "min": min(scores),
            "max": max(scores),
        }
        for model, scores in by_model.items()
    }


def model_runs(record: dict[str, Any], model: str) -> list[dict[str, Any]]:
    """The record's runs of one model, in seed order (empty when it has none)."""
    return sorted((r for r in record["runs"] if r["model"] == model), key=lambda r: r["seed"])


def seed_scores(
    record: dict[str, Any], model: str, split: str = "test", score: str = "miou"
) -> list[float]:
    """The per-seed score of one model on one split, in seed order.

    Args:
        score: a key of a run's split scores: ``"miou"``, ``"pixel_accuracy"``, or
            ``"band_miou"`` (test only); runs recorded without it are left out.
    """
    return [r[split][score] for r in model_runs(record, model) if score in r.get(split, {})]


def class_iou_mean(
    record: dict[str, Any], model: str, class_name: str, split: str = "test"
) -> float:
    """One class's IoU on one split, the mean over the record's seeds of a model (nan when
    no seed scored it: a class absent from the images a small record scores is ``null``)."""
    values = [r[split]["per_class_iou"].get(class_name) for r in model_runs(record, model)]
    scored = [v for v in values if v is not None]
    return statistics.mean(scored) if scored else float("nan")
