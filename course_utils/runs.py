"""Trained models and their scores, saved by one notebook and reused by later ones.

Runs live in ``<data_dir>/runs/<profile>/``: a ``quick`` model is never mistaken for a
``default`` one. Each run is a Keras file ``<name>.keras`` and a ``<name>.json`` of scores
and facts (profile, epochs, minutes, library versions).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
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
    """Load a saved model (custom course layers included).

    Raises:
        FileNotFoundError: when the run does not exist in this profile.
    """
    import keras

    import course_utils.metrics.keras_metric  # noqa: F401  registers the course's metric
    import course_utils.models.layers  # noqa: F401  and its layers and losses
    import course_utils.models.losses  # noqa: F401
    import course_utils.models.normalization  # noqa: F401

    path = runs_dir(profile) / f"{name}.keras"
    if not path.is_file():
        raise FileNotFoundError(
            f"No saved model {name!r} for profile {profile!r} (looked for {path}). Run the "
            "notebook that trains it in this profile first."
        )
    return keras.saving.load_model(path)


@dataclass
class WarmStart:
    """What :func:`warm_start` did.

    Attributes:
        copied: names of the layers copied into the model (empty: it starts from random weights).
        note: one line saying which, and why, for the notebook's printout.
    """

    copied: list[str]
    note: str


def warm_start(
    model: Any, source: str, profile: str, skip: tuple[str, ...] = ("logits",)
) -> WarmStart:
    """Start a model from a saved run's layers of the same names, when that run exists.

    Part 3 starts FCN, SegNet and DeepLabV3+ from the VGG-11 encoder notebook 03 trained
    on CIFAR-10 (run ``"vgg11_cifar10_encoder"``). A missing run, one built at another
    width (the ``quick`` profile's tiny models, say), or a model with no layer of the
    run's names (U-Net) is not an error: the model keeps its random weights and the note
    says why.

    Args:
        model: the model to initialise (changed in place).
        source: the run's name.
        profile: the profile whose runs to look in.
        skip: layer names never copied (the classifier's ``logits`` by default).

    Returns:
        A :class:`WarmStart` with the layers copied and a printable note.
    """
    from course_utils.models.transfer import copy_weights_by_name

    if not has_run(source, profile):
        return WarmStart(
            [],
            f"{model.name}: no run {source!r} in profile {profile!r}; random start "
            "(run the notebook that trains it first for a head start)",
        )
    try:
        copied = copy_weights_by_name(load_run(source, profile), model, skip=skip)
    except ValueError as error:
        return WarmStart([], f"{model.name}: run {source!r} does not fit ({error}); random start")
    return WarmStart(
        copied,
        f"{model.name}: {len(copied)} layers from run {source!r} ({', '.join(copied[:3])}, ...)",
    )
