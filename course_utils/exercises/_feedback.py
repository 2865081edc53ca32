"""What every checker returns, and how it calls a learner's code."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

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

    def __str__(self) -> str:
        mark = "Correct" if self.correct else "Not yet"
        text = f"{mark}: {self.message}"
        return text + (f"\nHint: {self.hint}" if self.hint else "")

    def _repr_html_(self) -> str:
        color, mark = (
            ("#e6f4ea", "&#10004; Correct") if self.correct else ("#fdecea", "&#10008; Not yet")
        )
        hint = f"<br><i>Hint:</i> {html.escape(self.hint)}" if self.hint else ""
        return (
            f'<div style="background:{color};padding:8px;border-radius:4px">'
            f"<b>{mark}</b>: {html.escape(self.message)}{hint}</div>"
        )


def _call(func: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    try:
        return func(*args), None
    except Exception as err:  # noqa: BLE001 - a learner's code may raise anything; report it
        return None, f"{type(err).__name__}: {err}"
