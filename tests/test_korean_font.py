"""Figures can carry Hangul: ``setup()`` gives matplotlib a Korean fallback font (issue 17)."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from course_utils import _fonts


def _draw_hangul(formats: tuple[str, ...] = ("png", "svg", "pdf")) -> None:
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.set_title("합성곱")
    ax.set_xlabel("특성 맵 (feature map), 3x3")
    ax.set_ylabel("의미론적 분할", fontweight="bold")
    for fmt in formats:
        fig.savefig(io.BytesIO(), format=fmt)


def test_the_font_distribution_ships_the_korean_font_files():
    files = _fonts.korean_font_files()
    assert files, (
        f"no Korean font files: install {_fonts.FONT_DISTRIBUTION!r} (a course dependency), "
        "e.g. make env"
    )
    assert {path.suffix for path in files} == {".ttf"}


def test_hangul_labels_draw_without_missing_glyph_warnings():
    with matplotlib.rc_context():
        assert _fonts.use_korean_fallback() == "NanumGothic"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font(s)" fails the test
            _draw_hangul()


def test_bold_labels_find_a_bold_korean_face_without_a_logged_warning(caplog):
    with matplotlib.rc_context():
        _fonts.use_korean_fallback()
        font_manager.fontManager._findfont_cached.cache_clear()  # find again, as a new kernel
        with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
            _draw_hangul(("png",))
    assert not [r for r in caplog.records if "Failed to find font weight" in r.getMessage()]


def test_without_the_fallback_hangul_is_missing_so_the_test_above_means_something():
    with (
        matplotlib.rc_context({"font.family": ["sans-serif"]}),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        _draw_hangul(("png",))
    assert any("missing from font" in str(w.message) for w in caught)


def test_latin_text_keeps_the_default_font_and_the_korean_one_comes_last():
    with matplotlib.rc_context():
        before = list(matplotlib.rcParams["font.family"])
        default = font_manager.findfont(font_manager.FontProperties())
        family = _fonts.use_korean_fallback()
        after = list(matplotlib.rcParams["font.family"])
        assert after[: len(before)] == before and after[-1] == family
        assert font_manager.findfont(font_manager.FontProperties()) == default


def test_the_fallback_is_idempotent():
    with matplotlib.rc_context():
        family = _fonts.use_korean_fallback()
        entries = len(font_manager.fontManager.ttflist)
        assert _fonts.use_korean_fallback() == family
        assert matplotlib.rcParams["font.family"].count(family) == 1
        assert len(font_manager.fontManager.ttflist) == entries


def test_without_any_korean_font_nothing_changes(monkeypatch):
    monkeypatch.setattr(_fonts, "korean_font_files", list)
    monkeypatch.setattr(_fonts, "SYSTEM_FAMILIES", ("No Such Korean Font",))
    with matplotlib.rc_context():
        before = list(matplotlib.rcParams["font.family"])
        assert _fonts.use_korean_fallback() is None
        assert list(matplotlib.rcParams["font.family"]) == before


def test_setup_gives_matplotlib_the_korean_fallback(monkeypatch, capsys):
    import course_utils

    monkeypatch.setenv("COURSE_PROFILE", "quick")
    with matplotlib.rc_context():
        course_utils.setup(mixed_precision="float32")
        assert "NanumGothic" in matplotlib.rcParams["font.family"]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _draw_hangul(("png",))
    assert len(capsys.readouterr().out.strip().splitlines()) == 1, "setup() still prints one line"


@pytest.mark.parametrize("module", ["course_utils.env", "course_utils._fonts"])
def test_importing_does_no_font_work(module):
    """The font is set up lazily, in ``setup()``: importing imports no matplotlib."""
    code = f"import sys, {module}; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
