"""Hangul in figures: a Korean font as matplotlib's fallback, after the default font.

Matplotlib's default font (DejaVu Sans) has no Hangul, so a Korean label is drawn as
empty boxes with a "Glyph ... missing from font(s)" warning. :func:`use_korean_fallback`
(called by ``setup()``) registers a Korean font and appends it to ``font.family``:
matplotlib (3.6 and later) then draws each character with the first font of that list
that has it, so Latin text keeps the default font and Hangul comes from the Korean one.

The font files come from the PyPI package ``koreanize-matplotlib`` (Nanum Gothic, SIL
Open Font Licence), a dependency of the course. Its files are only read, never imported:
importing that package makes Nanum Gothic the *main* font of every figure (and fails on
Python 3.12 and later, where it still imports ``distutils``). Without it, a Korean font
already installed on the machine (Noto Sans CJK, Nanum, Malgun Gothic, Apple SD Gothic
Neo) serves as well.

Nothing here runs at import time: matplotlib is imported inside the functions.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

#: The PyPI distribution that ships the Korean font files, and those files inside it
#: (regular and bold, so that bold titles stay bold in Hangul too). Nanum's "Bold" file
#: declares weight 600; "ExtraBold" declares 700, the weight ``fontweight="bold"`` asks
#: for. Without it every bold label in a figure logs "findfont: Failed to find font
#: weight bold for NanumGothic, now using 600" into the notebook's output.
FONT_DISTRIBUTION = "koreanize-matplotlib"
FONT_FILES = (
    "koreanize_matplotlib/fonts/NanumGothic.ttf",
    "koreanize_matplotlib/fonts/NanumGothicBold.ttf",
    "koreanize_matplotlib/fonts/NanumGothicExtraBold.ttf",
)
#: Korean font families that may already be installed (Debian's fonts-noto-cjk and
#: fonts-nanum, Windows, macOS), used when the distribution above is missing.
SYSTEM_FAMILIES = (
    "Noto Sans CJK KR",
    "NanumGothic",
    "Malgun Gothic",
    "Apple SD Gothic Neo",
    "AppleGothic",
)


def korean_font_files() -> list[Path]:
    """The Korean font files shipped by :data:`FONT_DISTRIBUTION` (empty when it is missing)."""
    try:
        dist = metadata.distribution(FONT_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return []
    files = [Path(str(dist.locate_file(name))) for name in FONT_FILES]
    return [path for path in files if path.is_file()]


def use_korean_fallback() -> str | None:
    """Make matplotlib draw Hangul: register a Korean font and append it to ``font.family``.

    Idempotent: a second call registers nothing twice and appends nothing twice. The fonts
    already in ``font.family`` stay first, so figures without Hangul do not change.

    Returns:
        The family name of the Korean font now in ``font.family`` (e.g. ``"NanumGothic"``),
        or ``None`` when no Korean font is available (Hangul then shows as boxes).
    """
    import matplotlib
    from matplotlib import font_manager

    manager = font_manager.fontManager
    registered = {entry.fname for entry in manager.ttflist}
    family = None
    for path in korean_font_files():
        if str(path) not in registered:
            manager.addfont(str(path))
        family = family or font_manager.FontProperties(fname=str(path)).get_name()
    if family is None:
        installed = {entry.name for entry in manager.ttflist}
        family = next((name for name in SYSTEM_FAMILIES if name in installed), None)
    if family is None:
        return None
    families = list(matplotlib.rcParams["font.family"])
    if family not in families:
        matplotlib.rcParams["font.family"] = [*families, family]
    return family
