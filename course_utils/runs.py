"""Trained models and their scores, saved by one notebook and reused by later ones.

Runs live in ``<data_dir>/runs/<profile>/``: a ``quick`` model is never mistaken for a
``default`` one. Each run is a Keras file ``<name>.keras`` and a ``<name>.json`` of scores
and facts (profile, epochs, minutes, library versions).

This module stores and loads runs, nothing more: which run a model starts from (a warm
start) is training policy and lives in :mod:`course_utils.training`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def runs_dir(profile: str) -> Path:
    """The folder of saved runs for one profile (created if needed)."""
    from course_utils.data.cache import data_dir

    path = data_dir() / "runs" / profile
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_run(model: Any, name: str, profile: str, scores: dict[str, Any]) -> Path:
    """Save a trained model and its scores; return the model file's path.

    Files are written under a temporary name and renamed, so an interrupted save never
    leaves a half file that a later notebook would try to load.
    """
    folder = runs_dir(profile)
    target = folder / f"{name}.keras"
    partial = folder / f".{name}.partial.keras"
    model.save(partial)
    os.replace(partial, target)
    record = {
        "name": name,
        "profile": profile,
        "saved": time.strftime("%Y-%m-%d %H:%M:%S"),
        **scores,
    }
    tmp = folder / f".{name}.json.partial"
    tmp.write_text(json.dumps(record, indent=2, default=float) + "\n")
    os.replace(tmp, folder / f"{name}.json")
    return target


def has_run(name: str, profile: str) -> bool:
    """Whether a saved run exists (model and scores)."""
    folder = runs_dir(profile)
    return (folder / f"{name}.keras").is_file() and (folder / f"{name}.json").is_file()


def load_scores(name: str, profile: str) -> dict[str, Any]:
    """The scores saved with a run.

    Raises:
        FileNotFoundError: naming the notebook-independent run name and profile to produce it.
    """
    path = runs_dir(profile) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"No saved run {name!r} for profile {profile!r} (looked for {path}). Run the notebook "
            "that trains it in this profile first."
        )
    return json.loads(path.read_text())


def load_run(name: str, profile: str) -> Any:
    """Load a saved model, custom course layers, losses and metric included.

    The course's Keras objects are passed to Keras explicitly
    (:func:`course_utils.models.register_custom_objects` and ``metrics.MeanIoU``), so a run
    loads in a fresh process whatever was imported before.

    Raises:
        FileNotFoundError: when the run does not exist in this profile.
    """
    import keras

    path = runs_dir(profile) / f"{name}.keras"
    if not path.is_file():
        raise FileNotFoundError(
            f"No saved model {name!r} for profile {profile!r} (looked for {path}). Run the "
            "notebook that trains it in this profile first."
        )
    return keras.saving.load_model(path, custom_objects=_custom_objects())


def _custom_objects() -> dict[str, Any]:
    """The course's Keras objects by registered name: those of ``models`` and the metric."""
    import keras

    from course_utils import metrics, models

    metric = metrics.MeanIoU
    return {**models.register_custom_objects(), keras.saving.get_registered_name(metric): metric}
