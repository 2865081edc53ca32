"""What every checker returns, and how it calls a learner's code."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import Any

from course_utils.exercises._lang import _t


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    The message and the hint are in the language ``COURSE_LANG`` named when the checker ran
    (see ``_lang``); the labels around them ("Not yet", "Hint") in the one it names when the
    feedback is shown.

    Attributes:
        correct: whether the answer is right.
        message: what was checked and what went wrong, specifically.
        hint: a nudge towards the fix (``None`` when correct).
    """

    correct: bool
    message: str
    hint: str | None = None

    def __bool__(self) -> bool:
        return self.correct

    def assert_correct(self) -> None:
        """Show this feedback and raise :class:`ExerciseNotPassed` unless it is correct.

        The form of an autograded test cell (``course nbgrader``):
        ``exercises.check_...(...).assert_correct()``. A grader such as nbgrader counts a
        cell that raises as failed; in a notebook the error shows as this feedback alone,
        without a traceback, and a right answer shows its box as usual.

        Raises:
            ExerciseNotPassed: when the answer is not right (its text is this feedback).
        """
        if not self.correct:
            raise ExerciseNotPassed(self)
        _show(self)

    def __str__(self) -> str:
        text = f"{self._mark()}: {self.message}"
        return text + (f"\n{self._hint_label()}: {self.hint}" if self.hint else "")

    def _repr_html_(self) -> str:
        color, sign = ("#e6f4ea", "&#10004;") if self.correct else ("#fdecea", "&#10008;")
        mark = f"{sign} {self._mark()}"
        hint = f"<br><i>{self._hint_label()}:</i> {html.escape(self.hint)}" if self.hint else ""
        return (
            f'<div style="background:{color};padding:8px;border-radius:4px">'
            f"<b>{mark}</b>: {html.escape(self.message)}{hint}</div>"
        )

    def _mark(self) -> str:
        """The verdict's label, in the language of the display (see ``_lang``)."""
        if self.correct:
            return _t(en="Correct", ko="정답")
        return _t(en="Not yet", ko="아직 아닙니다")

    @staticmethod
    def _hint_label() -> str:
        return _t(en="Hint", ko="힌트")


class ExerciseNotPassed(AssertionError):
    """A checker's verdict was "not yet" where a pass was required
    (:meth:`Feedback.assert_correct`).

    Attributes:
        feedback: the checker's :class:`Feedback`; ``str(error)`` is its text.
    """

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(str(feedback))
        self.feedback = feedback

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the feedback's lines."""
        return str(self.feedback).splitlines()


def _show(feedback: Feedback) -> None:
    """Display ``feedback`` in a notebook (its coloured box), or print it elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # no IPython: plain text
        print(feedback)
        return
    if get_ipython() is None:
        print(feedback)
    else:
        display(feedback)


def _raised(error: str, case: str | None = None) -> str:
    """The message for a learner's function that raised ``error`` (from :func:`_call`),
    optionally on ``case`` (the arguments, written the same in every language)."""
    if case is None:
        return _t(en=f"your function raised {error}.", ko=f"함수에서 예외가 발생했습니다({error}).")
    return _t(
        en=f"your function raised {error} for {case}.",
        ko=f"{case}일 때 함수에서 예외가 발생했습니다({error}).",
    )


def _call(func: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    try:
        return func(*args), None
    except Exception as err:  # noqa: BLE001 - a learner's code may raise anything; report it
        return None, f"{type(err).__name__}: {err}"
