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


def resolve_profile(profile: str | None = None) -> str:
    """Return the profile to use: the argument, else ``$COURSE_PROFILE``, else ``default``.

    Raises:
        ValueError: if the name is not one of :data:`PROFILES`.
    """
    source = "argument"
    if profile is None:
        profile = os.environ.get(PROFILE_ENV_VAR) or DEFAULT_PROFILE
        source = f"${PROFILE_ENV_VAR}"
    name = profile.strip().lower()
    if name not in PROFILES:
        raise ValueError(
            f"Unknown profile {profile!r} (from the {source}). "
            f"Use one of {', '.join(PROFILES)}: quick for tests, default for a laptop CPU, "
            "full for a GPU."
        )
    return name
