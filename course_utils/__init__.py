"""Helper package of the image-segmentation course.

Import it at the top of every notebook and call :func:`setup` first::

    import course_utils
    env = course_utils.setup()

Importing the package does no work and does not import TensorFlow: each part below is
loaded on first use (``course_utils.ops`` works without ``import course_utils.ops``), and
TensorFlow only when a function needs it.

Parts:
    ops: NumPy reference versions of the layers the course explains (core: every part
        may import it).
    palettes: the colour maps shared by ``data`` and ``viz`` (core, pure Python).
    data: datasets (download, cache, validation, ``tf.data`` pipelines).
    metrics: confusion matrix, mIoU and friends, and the Keras ``MeanIoU``.
    viz: figures (masks, overlays, error maps).
    models: the course's Keras models, layers and losses.
    widgets: the interactive explorers of the notebooks.
    exercises: the checkers of the notebooks' exercises.
    training: the common training recipe of Part 3 and warm starts.
    runs: saved models and scores, shared between notebooks.
    env: :func:`setup` and the :class:`Env` it returns.
    random_state: side experiments that leave a notebook's random streams as they were
        (core: imports nothing from the package).
    profiles: the ``quick`` / ``default`` / ``full`` profiles.
    paths: where the course's files are (data folder, runs, records, timings, build output;
        core: imports nothing from the package).
    seed_record: the committed seed record, read to judge a notebook's claims.
    colab: what the notebooks' first cell runs on Google Colab: installs only what the
        runtime lacks, and offers Google Drive as the data folder.
    cli: the ``course`` command and the maintainers' and teachers' tools (slides, notebook
        rules, class preparation, the seed record's recording, ...). Nothing above imports it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Env",
    "setup",
    "ops",
    "palettes",
    "data",
    "metrics",
    "viz",
    "models",
    "widgets",
    "exercises",
    "training",
    "runs",
    "seed_record",
    "env",
    "random_state",
    "profiles",
    "paths",
    "colab",
    "cli",
]

_FROM_ENV = {"Env", "setup"}
_SUBMODULES = set(__all__) - _FROM_ENV - {"__version__"}

if TYPE_CHECKING:
    from course_utils import (
        cli,
        colab,
        data,
        env,
        exercises,
        metrics,
        models,
        ops,
        palettes,
        paths,
        profiles,
        random_state,
        runs,
        seed_record,
        training,
        viz,
        widgets,
    )
    from course_utils.env import Env, setup


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"course_utils.{name}")
    if name in _FROM_ENV:
        return getattr(importlib.import_module("course_utils.env"), name)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
