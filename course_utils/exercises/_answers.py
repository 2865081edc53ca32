"""Whether the checkers' feedback may state the expected answer.

The teacher's copy of the course (the notebooks in the repository), run live, states it:
"for n=32, kernel=3, ... you return 32, the right size is 30." Its committed outputs do not:
``course run-notebooks``, which writes them, runs the kernels with answers hidden, since a
learner reads those outputs before trying the exercise. The student edition (``course
student``) hides it: its setup cells call :func:`hide_answers`, and from then on a checker
says what is wrong and hints, but never prints the expected value or answer: "for n=32,
kernel=3, ... you return 32, which is not the right size."

The switch is the environment variable ``COURSE_ANSWERS`` (:data:`ENV_VAR`), read each time
a checker runs, as ``COURSE_LANG`` is: ``hidden`` hides the answers; unset, empty or any
other value shows them. :func:`hide_answers` sets it in the running kernel, so the student
edition behaves the same on Google Colab, in a local JupyterLab and when nbgrader runs a
notebook; a teacher can also set it for a whole server (a JupyterHub). It is a teaching aid,
not a lock: the checkers' source is open, and :func:`show_answers` turns the answers back on.

Each message that names an answer is written twice, with and without it, at its call site:
``_with_answer(_t(en=..., ko=...), _t(en=..., ko=...))`` (:func:`_with_answer`).
``tests/test_exercises_student_mode.py`` runs every checker with wrong answers in both modes
and fails when a student-mode message holds the expected value.
"""

from __future__ import annotations

import os

#: The environment variable that hides the answers.
ENV_VAR = "COURSE_ANSWERS"
#: Its value in the student edition.
HIDDEN = "hidden"


def answers_shown() -> bool:
    """Whether feedback may name the expected answer: ``False`` once ``COURSE_ANSWERS`` is
    ``hidden`` (any case, spaces ignored), ``True`` otherwise. Read at each call."""
    return os.environ.get(ENV_VAR, "").strip().lower() != HIDDEN


def hide_answers() -> None:
    """From now on, in this process, checkers never print the expected answer (the student
    edition's setup cells call this). Sets ``COURSE_ANSWERS=hidden``."""
    os.environ[ENV_VAR] = HIDDEN


def show_answers() -> None:
    """Undo :func:`hide_answers`: checkers name the expected answer again (the teacher's
    copy). Removes ``COURSE_ANSWERS``."""
    os.environ.pop(ENV_VAR, None)


def _with_answer(full: str, withheld: str) -> str:
    """The text for the current mode: ``full`` (it names the expected answer) while answers
    are shown, ``withheld`` (what is wrong, without the answer) once they are hidden.

    Both are already in the current language (two ``_t(en=..., ko=...)`` calls)."""
    return full if answers_shown() else withheld
