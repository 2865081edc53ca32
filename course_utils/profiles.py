"""Run profiles: one code path, three sizes of run.

``quick``
    tests and CI: small subsets, a few steps; every notebook well under 2 minutes.
``default``
    a laptop CPU: meaningful results, each notebook in about 10 minutes.
``full``
    a GPU: paper-like input sizes and schedules.

The course package knows only the names; each notebook states its own sizes in
its configuration cell with :meth:`course_utils.Env.choose`.
"""

from __future__ import annotations

import os

PROFILES: tuple[str, ...] = ("quick", "default", "full")
DEFAULT_PROFILE = "default"
PROFILE_ENV_VAR = "COURSE_PROFILE"
#: Below this much memory (MB) a run that names no profile gets ``quick``: ``default``
#: notebooks peak at 1.3-4.6 GB, and Binder gives 1-2 GB.
SMALL_MACHINE_MB = 3000


def resolve_profile(profile: str | None = None) -> str:
    """Return the profile to use: the argument, else ``$COURSE_PROFILE``, else ``default``
    (``quick`` on a machine with less than :data:`SMALL_MACHINE_MB` of memory, such as
    Binder: see :func:`profile_note`).

    Raises:
        ValueError: if the name is not one of :data:`PROFILES`.
    """
    source = "argument"
    if profile is None:
        profile = os.environ.get(PROFILE_ENV_VAR) or _machine_default()
        source = f"${PROFILE_ENV_VAR}"
    name = profile.strip().lower()
    if name not in PROFILES:
        raise ValueError(
            f"Unknown profile {profile!r} (from the {source}). "
            f"Use one of {', '.join(PROFILES)}: quick for tests, default for a laptop CPU, "
            "full for a GPU."
        )
    return name


def profile_note(profile: str | None = None) -> str | None:
    """Why the profile is not the one a learner expects, or ``None``: a run that names no
    profile on a small machine gets ``quick``, and the learner should be told."""
    if profile is not None or os.environ.get(PROFILE_ENV_VAR):
        return None
    if _machine_default() == DEFAULT_PROFILE:
        return None
    from course_utils._memory import memory_limit_mb

    return (
        f"profile quick: this machine gives {memory_limit_mb() / 1024:.1f} GB of memory, under "
        f"{SMALL_MACHINE_MB / 1000:g} GB, where the default profile's notebooks run out. Set "
        f"{PROFILE_ENV_VAR}=default before setup() to choose it anyway."
    )


def _machine_default() -> str:
    from course_utils._memory import memory_limit_mb

    return "quick" if memory_limit_mb() < SMALL_MACHINE_MB else DEFAULT_PROFILE
