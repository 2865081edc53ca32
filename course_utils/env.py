"""``setup()``: the first call of every notebook (profile, seeds, devices, precision)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import random
import warnings
from pathlib import Path
from typing import TypeVar

from course_utils import random_state
from course_utils.profiles import profile_note, resolve_profile

T = TypeVar("T")

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")

#: Overrides ``mixed_precision="auto"`` without editing a notebook, e.g.
#: ``COURSE_PRECISION=float32`` to run as a laptop without bfloat16 would.
PRECISION_ENV_VAR = "COURSE_PRECISION"
_BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}


@dataclasses.dataclass
class Env:
    """What :func:`setup` found and chose. Notebooks read their settings from it.

    Attributes:
        profile: ``"quick"``, ``"default"`` or ``"full"``.
        seed: the seed given to Python, NumPy and TensorFlow.
        precision: the Keras dtype policy in force (``"float32"``,
            ``"mixed_bfloat16"`` or ``"mixed_float16"``). Models keep float32 logits.
        devices: human-readable device names, e.g. ``["CPU"]`` or ``["GPU:0 (A100)"]``.
        gpus: number of visible GPUs.
        versions: library versions (the course, TensorFlow, Keras, Python), as
            :func:`course_utils._tf.library_versions` reads them.
    """

    profile: str
    seed: int
    precision: str
    devices: list[str]
    gpus: int
    versions: dict[str, str]

    def choose(self, *, quick: T, default: T, full: T) -> T:
        """Return the value given for the current profile.

        Example:
            >>> epochs = env.choose(quick=1, default=15, full=80)  # doctest: +SKIP
        """
        return {"quick": quick, "default": default, "full": full}[self.profile]

    @property
    def data_dir(self) -> Path:
        """Where datasets are cached (see :func:`course_utils.paths.data_dir`)."""
        from course_utils.paths import data_dir

        return data_dir()

    def summary(self) -> str:
        """One line: versions, devices, profile, precision, seed."""
        v = self.versions
        return (
            f"TensorFlow {v['tensorflow']}, Keras {v['keras']}, Python {v['python']} | "
            f"devices: {', '.join(self.devices)} | profile: {self.profile} | "
            f"precision: {self.precision} | seed: {self.seed}"
        )


def cpu_flags() -> set[str]:
    """Return the CPU feature flags (Linux ``/proc/cpuinfo``; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def choose_precision(
    requested: str, gpu_compute_capabilities: list[tuple[int, int] | None], flags: set[str]
) -> str:
    """Decide the Keras dtype policy.

    ``"auto"`` picks ``mixed_float16`` when every GPU has tensor cores (compute
    capability 7.0 or newer), ``mixed_bfloat16`` on a CPU-only machine whose CPU
    computes bfloat16 natively (AVX512_BF16 or AMX), and ``float32`` otherwise.

    Args:
        requested: one of :data:`PRECISIONS`.
        gpu_compute_capabilities: one entry per visible GPU (``None`` if unknown).
        flags: CPU feature flags, as from :func:`cpu_flags`.

    Raises:
        ValueError: for an unknown ``requested`` value.
    """
    if requested not in PRECISIONS:
        raise ValueError(
            f"mixed_precision={requested!r} is not one of {PRECISIONS}. "
            "Use 'auto' unless you are comparing precisions on purpose."
        )
    if requested != "auto":
        return requested
    if gpu_compute_capabilities:
        if all(cc is not None and cc >= (7, 0) for cc in gpu_compute_capabilities):
            return "mixed_float16"
        return "float32"
    if flags & _BF16_CPU_FLAGS:
        return "mixed_bfloat16"
    return "float32"


class _DropMessages(logging.Filter):
    """Drop log records that contain a given text."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def _add_log_filter(logger: logging.Logger, text: str) -> None:
    if not any(isinstance(f, _DropMessages) and f.text == text for f in logger.filters):
        logger.addFilter(_DropMessages(text))


def setup(
    profile: str | None = None,
    seed: int = 0,
    mixed_precision: str = "auto",
    deterministic: bool = True,
) -> Env:
    """Prepare TensorFlow for a lesson and print one line about the machine.

    Reads the profile from ``profile`` or ``$COURSE_PROFILE``; seeds Python, NumPy and
    TensorFlow; turns on GPU memory growth; picks a precision policy; keeps TensorFlow's
    C++ log lines out of the output; gives matplotlib a Korean fallback font, so figures
    can carry Hangul labels
    (:func:`course_utils._fonts.use_korean_fallback`), and a colour cycle that
    colour-blind readers can tell apart (:func:`course_utils.viz.use_curve_colors`); in a
    notebook, stores a figure of photographs as JPEG and any other as PNG
    (:func:`course_utils._pictures.use_compact_figures`).

    Args:
        profile: ``"quick"``, ``"default"`` or ``"full"``; ``None`` reads ``$COURSE_PROFILE``.
        seed: seed for every random generator.
        mixed_precision: ``"auto"``, ``"float32"``, ``"mixed_bfloat16"`` or ``"mixed_float16"``;
            ``"auto"`` takes ``$COURSE_PRECISION`` when it is set.
        deterministic: turn on TensorFlow's op determinism, so the same seed trains the
            same model, bit for bit, on a loaded machine or an idle one
            (``benchmarks/determinism.py`` measures what it costs). Once on, it stays on
            in this process.

    Returns:
        The :class:`Env` with everything chosen.
    """
    name = resolve_profile(profile)
    if mixed_precision == "auto":
        mixed_precision = os.environ.get(PRECISION_ENV_VAR, "").strip() or "auto"
        if mixed_precision not in PRECISIONS:
            raise ValueError(
                f"${PRECISION_ENV_VAR}={mixed_precision!r} is not one of {PRECISIONS}. "
                f"Unset it, or set it to float32 to run as a CPU without bfloat16 would."
            )
    if mixed_precision not in PRECISIONS:
        choose_precision(mixed_precision, [], set())  # raises the explanatory error

    from course_utils._tf import import_tensorflow, library_versions, quiet_stderr

    tf = import_tensorflow()
    import keras
    import numpy as np

    with quiet_stderr():
        gpus = tf.config.list_physical_devices("GPU")
    devices: list[str] = []
    capabilities: list[tuple[int, int] | None] = []
    for index, gpu in enumerate(gpus):
        # RuntimeError: already initialised by an earlier setup() call; growth is decided.
        with contextlib.suppress(RuntimeError):
            tf.config.experimental.set_memory_growth(gpu, True)
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(details.get("compute_capability"))
        devices.append(f"GPU:{index} ({details.get('device_name', 'unknown')})")
    if not gpus:
        devices.append(f"CPU only ({os.cpu_count()} cores; no GPU found, training runs on the CPU)")

    precision = choose_precision(mixed_precision, capabilities, cpu_flags() if not gpus else set())
    keras.mixed_precision.set_global_policy(precision)

    # Keras warns on every fit() with a tf.data pipeline that its own shuffle flag is unused;
    # the course's pipelines shuffle themselves, so the warning is only noise in cell output.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed", category=UserWarning)
    # Notebooks build and train several models on purpose (variants, comparisons); each
    # traces its own functions, and TensorFlow then warns about "excessive retracing".
    _add_log_filter(tf.get_logger(), "triggered tf.function retracing")

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    random_state.reset_keras_seed_generator()
    if deterministic:
        tf.config.experimental.enable_op_determinism()

    # Hangul in figures (the course's material is Korean): a Korean font after the default one.
    from course_utils._fonts import use_korean_fallback

    use_korean_fallback()
    # Curves and bars in colours that stay apart for red-green colour blindness.
    from course_utils.viz import use_curve_colors

    use_curve_colors()
    # Figures of photographs stored as JPEG, the others as PNG: notebooks stay small.
    from course_utils._pictures import use_compact_figures

    use_compact_figures()

    env = Env(
        profile=name,
        seed=seed,
        precision=precision,
        devices=devices,
        gpus=len(gpus),
        versions=library_versions(),
    )
    print(env.summary())
    note = profile_note(profile)
    if note:
        print(note)
    return env
