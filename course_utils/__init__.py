"""Helper package of the image-segmentation course.

Import it at the top of every notebook and call :func:`setup` first::

    import course_utils
    env = course_utils.setup()

Importing the package does no work and does not import TensorFlow: the
submodules ``data``, ``metrics``, ``viz`` and ``models`` are loaded on first use,
and TensorFlow only when a function needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Env", "setup", "data", "metrics", "viz", "__version__"]

_SUBMODULES = {"data", "metrics", "viz", "models", "training", "widgets", "exercises", "cli"}

if TYPE_CHECKING:
    from course_utils.env import Env, setup


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"course_utils.{name}")
    if name in {"setup", "Env"}:
        from course_utils import env

        return getattr(env, name)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
