"""The language of the checkers' feedback: English, or Korean with ``COURSE_LANG=ko``.

Every text a learner reads in a :class:`~course_utils.exercises.Feedback` is written in
both languages at its call site, ``_t(en=f"...", ko=f"...")``, and :func:`_t` returns the
one :func:`current_language` names *when the checker runs*: nothing is read or chosen at
import, so ``%env COURSE_LANG=ko`` in a running notebook takes effect at the next check.
Keeping the two texts side by side (rather than a table keyed by the English) keeps the
values of an f-string in both, and lets a test check that no English-only text remains.
"""

from __future__ import annotations

import os
import warnings

#: The environment variable that chooses the language.
ENV_VAR = "COURSE_LANG"
#: The languages the feedback is written in; the first is the default.
LANGUAGES = ("en", "ko")

_warned: set[str] = set()  # unknown values already warned about, each once per session


def current_language() -> str:
    """The language of the feedback: ``"en"`` (the default) or ``"ko"``.

    Read from ``COURSE_LANG`` at each call. Case, a region and an encoding are ignored
    (``ko_KR``, ``ko-KR``, ``ko_KR.UTF-8`` and ``KO`` are all Korean; ``en_US`` is English);
    unset or empty means English. Any other value warns once (a ``UserWarning`` naming the
    accepted values) and gives English: a typo never stops a checker.
    """
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return LANGUAGES[0]
    language = raw.replace("-", "_").split(".")[0].split("_")[0].lower()
    if language in LANGUAGES:
        return language
    if raw not in _warned:
        _warned.add(raw)
        warnings.warn(
            f"{ENV_VAR}={raw!r} is not a language of the course's feedback; using English. "
            f"Set {ENV_VAR} to 'en' or 'ko' (ko_KR and ko-KR work too). / "
            f"{ENV_VAR}={raw!r}은(는) 지원하지 않는 언어라서 영어로 표시합니다. 한국어로 보려면 "
            f"{ENV_VAR}=ko로 설정하세요.",
            UserWarning,
            stacklevel=3,
        )
    return LANGUAGES[0]


def _t(*, en: str, ko: str) -> str:
    """The text in the current language: ``en`` or ``ko`` (both already formatted)."""
    return ko if current_language() == "ko" else en
