"""Import TensorFlow quietly (its C++ start-up lines must not land in notebook cells), and
name the versions a result depends on."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

_QUIET_ENV = {
    # Hides TF's C++ INFO, WARNING and ERROR lines once its logging is initialised: the
    # ERROR-level ones a course run meets are notices, not failures (oneDNN's "DT_INT32 ...
    # Falling back to the default Eigen-based implementation"), and real failures reach
    # Python as exceptions. Set TF_CPP_MIN_LOG_LEVEL yourself to see them.
    "TF_CPP_MIN_LOG_LEVEL": "3",
}


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence file-descriptor-level stderr (C++ logging) inside the block.

    TensorFlow writes a few lines (the oneDNN banner, "could not find cuda
    drivers") to the process's stderr before its log level applies; Jupyter
    forwards those to the cell output, where nbval then sees an unexpected
    stream. Python-level errors still propagate normally; whatever C++ wrote
    is replayed on stderr if the block raises, so nothing useful is lost.
    """
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ else 2
    except (AttributeError, OSError, ValueError):
        fd = 2
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        except BaseException:
            os.dup2(saved, fd)
            sink.seek(0)
            captured = sink.read().decode(errors="replace")
            if captured:
                sys.stderr.write(captured)
            raise
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def import_tensorflow() -> ModuleType:
    """Return the ``tensorflow`` module, importing it without log noise."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    with quiet_stderr():
        import tensorflow as tf

        # Device discovery prints the CUDA-probe lines on machines without a GPU.
        tf.config.list_physical_devices()
    return tf


#: The course's distribution name, whose installed metadata carries its version.
COURSE_DISTRIBUTION = "segmentation-course"


def library_versions() -> dict[str, str]:
    """The versions a trained model or a score depends on: the course, TensorFlow, Keras
    and Python (imports TensorFlow).

    ``setup()`` prints them and ``runs.save_run`` records them beside each run. The
    course's own version is ``"unknown"`` when its package was not installed (a checkout
    on ``sys.path`` without ``pip install -e .``).
    """
    from importlib import metadata

    tf = import_tensorflow()
    import keras

    try:
        course = metadata.version(COURSE_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        course = "unknown"
    return {
        "course": course,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
    }
