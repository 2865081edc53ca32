"""Trained models and their scores, saved by one notebook and reused by later ones.

Runs live in one folder per profile under :func:`course_utils.paths.runs_root`
(``<data_dir>/runs/<profile>/``): a ``quick`` model is never mistaken for a ``default``
one. This module is the only one that knows that layout. Each run is a Keras file
``<name>.keras`` and a ``<name>.json`` of scores and facts (profile, epochs, minutes,
and under ``versions`` the course, TensorFlow, Keras and Python it was saved with). A run
saved by another Keras minor version (the course's lock resolves Keras 3.12 on Python
3.10 and 3.15 on 3.11+) is loaded with a warning.

This module stores and loads runs, nothing more: which run a model starts from (a warm
start) is training policy and lives in :mod:`course_utils.training`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import time
import warnings
from pathlib import Path
from typing import Any

from course_utils import paths


def runs_dir(profile: str, *, create: bool = True) -> Path:
    """The folder of saved runs for one profile.

    Args:
        profile: ``"quick"``, ``"default"`` or ``"full"``.
        create: create the folder when it is missing.
    """
    path = paths.runs_root() / profile
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


@dataclasses.dataclass(frozen=True)
class RunEntry:
    """One trained run saved by a notebook: its model (``.keras``) and scores (``.json``).

    Attributes:
        profile: the profile the run was trained in.
        name: the run's name.
        files: the run's files (the model and its scores).
        size_bytes: their total size.
    """

    profile: str
    name: str
    files: tuple[Path, ...]
    size_bytes: int

    @property
    def complete(self) -> bool:
        """Whether both the model (``.keras``) and its scores (``.json``) are there."""
        return {f.suffix for f in self.files} >= {".keras", ".json"}


def list_runs() -> list[RunEntry]:
    """The trained runs saved in every profile, by profile and name.

    Files being written (hidden ``.<name>.partial`` files) are not listed.
    """
    root = paths.runs_root()
    if not root.is_dir():
        return []
    entries = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        by_name: dict[str, list[Path]] = {}
        for f in sorted(folder.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                by_name.setdefault(f.stem, []).append(f)
        for name, files in sorted(by_name.items()):
            size = sum(f.stat().st_size for f in files)
            entries.append(RunEntry(folder.name, name, tuple(files), size))
    return entries


def save_run(model: Any, name: str, profile: str, scores: dict[str, Any]) -> Path:
    """Save a trained model and its scores; return the model file's path.

    The scores' JSON also records ``versions``: the course, TensorFlow, Keras and Python
    the run was saved with (unless ``scores`` already holds ``versions``, which are kept
    as given), so :func:`load_run` can warn when another Keras loads it.

    Files are written under a temporary name and renamed, so an interrupted save never
    leaves a half file that a later notebook would try to load.
    """
    from course_utils._tf import library_versions

    folder = runs_dir(profile)
    target = folder / f"{name}.keras"
    partial = folder / f".{name}.partial.keras"
    model.save(partial)
    os.replace(partial, target)
    record = {
        "name": name,
        "profile": profile,
        "saved": time.strftime("%Y-%m-%d %H:%M:%S"),
        "versions": scores["versions"] if "versions" in scores else library_versions(),
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

    A run whose scores record another Keras major or minor version than the one running
    (3.12 and 3.15, say; not 3.15.0 and 3.15.1) is loaded with a ``RuntimeWarning`` that
    says which Keras saved it and what to do. A run that records no versions (saved by an
    older course) loads quietly.

    Raises:
        FileNotFoundError: when the run does not exist in this profile.
        ValueError, TypeError: when Keras cannot load it; when another Keras version saved
            it, the message says so and what to do.
    """
    import keras

    path = runs_dir(profile) / f"{name}.keras"
    if not path.is_file():
        raise FileNotFoundError(
            f"No saved model {name!r} for profile {profile!r} (looked for {path}). Run the "
            "notebook that trains it in this profile first."
        )
    mismatch = _keras_mismatch(_saved_versions(path.with_suffix(".json")), keras.__version__)
    if mismatch:
        warnings.warn(
            f"Run {name!r} of profile {profile!r} {mismatch}", RuntimeWarning, stacklevel=2
        )
    try:
        return keras.saving.load_model(path, custom_objects=_custom_objects())
    except (ValueError, TypeError) as err:
        if not mismatch:
            raise
        kind = ValueError if isinstance(err, ValueError) else TypeError
        raise kind(
            f"Could not load run {name!r} of profile {profile!r} ({type(err).__name__}: {err}). "
            f"It {mismatch}"
        ) from err


def _saved_versions(scores_path: Path) -> dict[str, Any]:
    """The ``versions`` a run's scores record; empty when there are none (a run saved by
    an older course) or the scores cannot be read (the model may still load)."""
    try:
        record = json.loads(scores_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    versions = record.get("versions") if isinstance(record, dict) else None
    return versions if isinstance(versions, dict) else {}


def _major_minor(version: Any) -> tuple[int, int] | None:
    """``(3, 12)`` for ``"3.12.0"`` (or ``"3.12.0.dev1"``); ``None`` when unreadable."""
    found = re.match(r"(\d+)\.(\d+)", version) if isinstance(version, str) else None
    return (int(found[1]), int(found[2])) if found else None


def _keras_mismatch(saved: dict[str, Any], running: str) -> str:
    """What to tell the learner when the Keras that saved a run is another major or minor
    version than ``running`` (the end of a sentence that starts with the run); ``""`` when
    they agree, differ only by patch, or the saved version is unknown."""
    saved_keras = saved.get("keras")
    before, now = _major_minor(saved_keras), _major_minor(running)
    if before is None or now is None or before == now:
        return ""
    python = saved.get("python")
    on_python = f" on Python {python}" if isinstance(python, str) else ""
    where = f" (the course's environment on Python {python} has it)" if on_python else ""
    return (
        f"was saved by Keras {saved_keras}{on_python}, and this is Keras {running} "
        f"(Python {platform.python_version()}): its weights may load differently, or not at "
        "all. Train it again with this Keras (run the notebook that trains it, in this "
        f"profile), or load it with Keras {before[0]}.{before[1]}{where}."
    )


def _custom_objects() -> dict[str, Any]:
    """The course's Keras objects by registered name: those of ``models`` and the metric."""
    import keras

    from course_utils import metrics, models

    metric = metrics.MeanIoU
    return {**models.register_custom_objects(), keras.saving.get_registered_name(metric): metric}
