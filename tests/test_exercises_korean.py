"""The checkers' feedback in Korean (issue 26 §4): ``COURSE_LANG=ko`` switches every message
and hint, read when a checker runs; unset, the feedback stays English.

Two kinds of test: checkers called with wrong answers (the Korean keeps the values and the
code the English names), and a scan of ``course_utils/exercises`` with :mod:`ast` that fails
when a text a learner reads is written in English only (outside ``_t(en=..., ko=...)``).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from course_utils import exercises, ops
from course_utils.exercises import _lang

EXERCISES = Path(exercises.__file__).resolve().parent
#: The modules whose texts a learner reads (``_lang`` is the switch itself).
SOURCES = sorted(p for p in EXERCISES.glob("*.py") if p.name != "_lang.py")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: Two words of letters in a row: a text meant to be read, not a name or a keyword.
ENGLISH = re.compile(r"[A-Za-z]{2,}[,;:.!?'*`)]* \(?[A-Za-z]{2,}")
#: Strings with words in them that a learner never reads: pieces of Keras' own error messages
#: that a checker looks for (HTML tags are left out before the search, see ``_english``).
NOT_TEXT = {
    "matching shapes",  # build_segmentation: Keras' error for Concatenate of unequal sizes
    "found ndim=2",  # build_segmentation: Keras' error for a 2-D tensor where 4-D is due
}


@pytest.fixture
def korean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_LANG", "ko")


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_LANG", raising=False)


def _hangul(text: str | None) -> bool:
    return bool(text and HANGUL.search(text))


def _english(text: str) -> bool:
    """Whether a string of the source reads as English words (markup aside)."""
    return text not in NOT_TEXT and bool(ENGLISH.search(re.sub(r"<[^>]*>", "", text)))


# --- the switch -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("en", "en"),
        ("EN", "en"),
        ("en_US", "en"),
        ("en-GB.UTF-8", "en"),
        ("ko", "ko"),
        ("KO", "ko"),
        (" ko ", "ko"),
        ("ko_KR", "ko"),
        ("ko-KR", "ko"),
        ("ko_KR.UTF-8", "ko"),
    ],
)
def test_course_lang_names_the_language(monkeypatch, value, language):
    if value is None:
        monkeypatch.delenv("COURSE_LANG", raising=False)
    else:
        monkeypatch.setenv("COURSE_LANG", value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a known value never warns
        assert _lang.current_language() == language


def test_an_unknown_language_warns_once_and_gives_english(monkeypatch):
    monkeypatch.setattr(_lang, "_warned", set())
    monkeypatch.setenv("COURSE_LANG", "kr")
    with pytest.warns(UserWarning, match="COURSE_LANG='kr'") as record:
        first = exercises.check_stacked_receptive_field(lambda n: 2 * n)
    ours = [w for w in record if "COURSE_LANG" in str(w.message)]
    assert len(ours) == 1  # one warning, though the checker chose several texts
    text = str(ours[0].message)
    assert "'en' or 'ko'" in text and _hangul(text)  # says what works, in both languages
    assert not first.correct and not _hangul(first.message) and "n=1" in first.message
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not again for the same value
        assert _lang.current_language() == "en"
    monkeypatch.setenv("COURSE_LANG", "fr")
    with pytest.warns(UserWarning, match="COURSE_LANG='fr'"):  # a new value warns again
        assert _lang.current_language() == "en"


def test_the_language_is_read_when_a_checker_runs_not_at_import(monkeypatch):
    """``%env COURSE_LANG=ko`` in a running notebook changes the next check."""
    wrong = lambda n: 2 * n  # noqa: E731
    monkeypatch.delenv("COURSE_LANG", raising=False)
    assert not _hangul(exercises.check_stacked_receptive_field(wrong).message)
    monkeypatch.setenv("COURSE_LANG", "ko")
    assert _hangul(exercises.check_stacked_receptive_field(wrong).message)
    monkeypatch.setenv("COURSE_LANG", "en")
    assert not _hangul(exercises.check_stacked_receptive_field(wrong).message)


# --- checkers in Korean -----------------------------------------------------------------


def _both(feedback: exercises.Feedback, *values: str) -> None:
    """A wrong answer's message and hint are Korean, and together name ``values``."""
    assert not feedback.correct
    assert _hangul(feedback.message), feedback.message
    assert feedback.hint is None or _hangul(feedback.hint), feedback.hint
    text = f"{feedback.message} {feedback.hint}"
    for value in values:
        assert value in text, (value, text)


def test_part1_checkers_speak_korean(korean):
    no_dilation = exercises.check_conv_output_size(lambda n, k, p, s, d: (n + 2 * p - k) // s + 1)
    _both(no_dilation, "n=28, kernel=3, padding=2, stride=1, dilation=2", "dilation * (kernel - 1)")
    assert "팽창" in no_dilation.hint
    crashing = exercises.check_conv_output_size(lambda *a: 1 / 0)
    _both(crashing, "ZeroDivisionError", "n=32")
    flipped = exercises.check_cross_correlation(lambda im, k: ops.conv2d(im, k[::-1, ::-1]))
    _both(flipped, "교차 상관")
    _both(exercises.check_stacked_receptive_field(lambda n: 2 * n), "n=1", "3x3")
    cm = np.array([[5, 3, 1], [0, 6, 2], [4, 0, 7]])
    _both(exercises.check_most_confused("car", cm, ["cat", "dog", "car"], "cat"), "car", "cat")
    feedback = exercises.check_most_confused("horse", cm, ["cat", "dog", "car"], "cat")
    _both(feedback, "'horse'", "cat, dog, car")


def test_part2_and_part3_checkers_speak_korean(korean):
    _both(exercises.check_flatten_dense_params(7 * 7 * 64 * 10, (7, 7, 64), 10), "31,360")
    _both(exercises.check_flatten_dense_params(64 * 10 + 10, (7, 7, 64), 10), "650", "7x7", "h*w*c")
    iou = exercises.check_dice(lambda t, p, c, ignore: 0.5)
    _both(iou, "0.5", "0.", "void")
    _both(exercises.check_tile_count(lambda h, w, tile, margin: 4), "512x512, tile 256, margin 32")
    _both(exercises.check_argmax_index(lambda b, y, x, c, shape: 0), "(3, 5, 7, 4)", "(0, 0, 1, 0)")
    _both(
        exercises.check_transposed_conv_1d(lambda y, k, s: np.zeros(1)),
        "y=[1.0, 2.0], kernel=[1.0, 0.0, -1.0], stride=1",
        "(len(y) - 1) * stride + len(kernel)",
    )
    stamped = exercises.check_transposed_conv_1d(_transposed)
    assert stamped.correct and _hangul(stamped.message)


def _transposed(y, kernel, stride):
    out = np.zeros((len(y) - 1) * stride + len(kernel))
    for i, value in enumerate(y):
        out[i * stride : i * stride + len(kernel)] += value * kernel
    return out


def test_the_verdict_and_the_hint_label_follow_the_language(korean):
    feedback = exercises.check_stacked_receptive_field(lambda n: 2 * n)
    assert str(feedback).startswith("아직 아닙니다: ") and "\n힌트: " in str(feedback)
    assert "힌트" in feedback._repr_html_() and "Not yet" not in feedback._repr_html_()
    assert str(exercises.check_stacked_receptive_field(lambda n: 2 * n + 1)).startswith("정답: ")


def test_a_build_checker_speaks_korean(korean, keras):
    def flattened(features, num_classes):
        x = keras.layers.Flatten()(features)
        return keras.layers.Dense(num_classes, activation="softmax")(x)

    feedback = exercises.check_conv_head(flattened)
    _both(feedback, "(8, 8, 64)", "num_classes=10", "40,970", "650", "Conv2D(num_classes, 1)")

    def top_left(skip, up):
        h, w = up.shape[1], up.shape[2]
        cut = keras.layers.Cropping2D(((0, skip.shape[1] - h), (0, skip.shape[2] - w)))(skip)
        return keras.layers.Concatenate()([up, cut])

    feedback = exercises.check_crop_and_concat(top_left)
    _both(feedback, "(12, 12, 2)", "(2, 2)", "(H - h) // 2")


def test_unset_the_feedback_stays_english(english, keras):
    for feedback in [
        exercises.check_stacked_receptive_field(lambda n: 2 * n),
        exercises.check_conv_output_size(lambda *a: 1 / 0),
        exercises.check_flatten_dense_params(650, (7, 7, 64), 10),
        exercises.check_tile_count(lambda h, w, tile, margin: 4),
    ]:
        assert not feedback.correct
        assert not _hangul(feedback.message) and not _hangul(feedback.hint)
        assert str(feedback).startswith("Not yet: ") and "\nHint: " in str(feedback)


# --- every text has its Korean ----------------------------------------------------------


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_t(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_t"


def _literal(node: ast.AST) -> str | None:
    """The text of a string or an f-string (its literal parts), else ``None``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def _values(node: ast.AST) -> set[str]:
    """The expressions an f-string interpolates, as source (``{got!r}`` -> ``got``)."""
    if not isinstance(node, ast.JoinedStr):
        return set()
    return {ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)}


def _docstrings(tree: ast.Module) -> set[int]:
    """Strings standing alone as statements: docstrings, of modules, classes, functions and
    attributes (the string under an assignment)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and _literal(node.value) is not None
    }


def _texts(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every string and f-string outside ``_t(...)`` and docstrings, with its literal text.

    Type annotations are not texts; nor are the literal parts of an f-string on their own
    (the f-string is one text).
    """
    skip = _docstrings(tree)
    inside: set[int] = set()
    for node in ast.walk(tree):
        if _is_t(node) or isinstance(node, ast.JoinedStr):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
        if isinstance(node, ast.AnnAssign | ast.arg) and node.annotation is not None:
            inside.update(id(n) for n in ast.walk(node.annotation))
    for node in ast.walk(tree):
        text = _literal(node)
        if text is not None and id(node) not in skip | inside:
            yield node, text


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_text_a_learner_reads_is_english_only(path):
    """A message or hint written without ``_t(en=..., ko=...)`` fails here, wherever it is: in
    a ``Feedback(...)``, a variable, a helper's return, or a rule tuple."""
    offenders = [
        f"{path.name}:{node.lineno}: {text!r}"
        for node, text in _texts(_tree(path))
        if _english(text)
    ]
    assert offenders == [], "wrap these in _t(en=..., ko=...):\n" + "\n".join(offenders)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_feedback_is_never_given_a_bare_string(path):
    """Even a one-word message goes through ``_t``: ``Feedback(ok, message, hint)`` takes
    names, calls and ``None``, never a string with a letter in it written in place
    (``f"{error}."`` adds only a full stop)."""

    def bare(node: ast.AST) -> bool:
        if isinstance(node, ast.BinOp):
            return bare(node.left) or bare(node.right)
        return bool(re.search("[A-Za-z]", _literal(node) or ""))

    offenders = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Feedback":
            args = node.args[1:] + [k.value for k in node.keywords if k.arg in ("message", "hint")]
            offenders += [f"{path.name}:{a.lineno}" for a in args if bare(a)]
    assert offenders == []


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            if _is_t(node):
                yield f"{path.name}:{node.lineno}", node  # type: ignore[misc]


def test_every_bilingual_text_has_english_and_korean_with_the_same_values():
    """``_t(en=..., ko=...)`` with literal texts: English without Hangul, Korean with it, and
    the same values interpolated in both (a number shown in one is shown in the other)."""
    calls = list(_calls())
    assert len(calls) > 250  # every message and hint of the checkers
    problems = []
    for where, call in calls:
        kwargs = {k.arg: k.value for k in call.keywords}
        if call.args or set(kwargs) != {"en", "ko"}:
            problems.append(f"{where}: _t takes en= and ko= only")
            continue
        en, ko = _literal(kwargs["en"]), _literal(kwargs["ko"])
        if en is None or ko is None:
            problems.append(f"{where}: en and ko must be written in place (strings, f-strings)")
        elif _hangul(en) or not _hangul(ko):
            problems.append(f"{where}: en must be English and ko Korean: {en!r} / {ko!r}")
        elif _values(kwargs["en"]) != _values(kwargs["ko"]):
            problems.append(
                f"{where}: values differ: {_values(kwargs['en'])} / {_values(kwargs['ko'])}"
            )
    assert problems == []


def test_texts_are_chosen_when_a_checker_runs():
    """No ``_t`` at import: not at module level, not in a default argument (both would freeze
    the language of the session's start)."""
    offenders = []
    for path in SOURCES:
        tree = _tree(path)
        deferred: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.Lambda):
                body = node.body if isinstance(node.body, list) else [node.body]
                deferred.update(id(n) for stmt in body for n in ast.walk(stmt))
        offenders += [
            f"{path.name}:{n.lineno}" for n in ast.walk(tree) if _is_t(n) and id(n) not in deferred
        ]
    assert offenders == []


def test_transposed_convolution_is_never_called_a_reverse_convolution():
    """The glossary's 전치 합성곱; "역합성곱" (deconvolution read as an inverse) is wrong."""
    for path in SOURCES:
        assert "역합성곱" not in path.read_text(encoding="utf-8"), path.name
