"""Numbers in a notebook's prose that none of its outputs shows (``course prose-numbers``).

The course's rule: a result the prose states is one the notebook's code printed. After a
re-run the outputs change and the prose can go stale; this finds the numbers to re-read.

What is checked: every decimal written in a Markdown cell with at least one digit after
the point (``0.328``, ``+0.046``, ``-0.0461``, ``60.7%``, ``1.7 s``); integers are not.
Skipped: code spans and fenced code, LaTeX (``$...$``), link targets and bare URLs, HTML
tags, version numbers (``3.10.12``), numbers in scientific notation (``5e-4``) and the
Korean blocks between ``<!-- ko -->`` and ``<!-- /ko -->`` (they translate, they report
nothing).

When a prose number matches (:func:`unmatched`): some number of the code outputs (stream
text, ``text/plain``, and ``text/html`` without its tags) is within half a unit of the
prose's last digit, so that it rounds to it (half up or half to even: ``0.0461`` and
``0.0455`` match ``0.046``); signs are ignored. A prose percentage also matches a fraction
a hundred times smaller (``60.7%`` and ``0.607``), a plain prose number an output
percentage (``0.607`` and ``60.7%``), and a number of millions (``3.43 M``, ``1.28
million``) an output a million times larger (``3,432,681``). A short number (``0.5``) may
match an unrelated output: the check finds numbers no output explains, it proves no other.

Numbers that rightly appear in no output (a paper's figure, a setting of the recipe, a
definition) are listed with a reason in :data:`ALLOWED_PATH`, per notebook.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from course_utils.cli.notebook_rules import notebook_paths

#: The allowlist: ``{"07_fcn.ipynb": {"59.4": "why no output shows it"}, ...}``; the key
#: is the number as the prose writes it (sign and ``%`` included).
ALLOWED_PATH = Path(__file__).with_name("prose_numbers_allowed.json")

#: Blocks of a Markdown cell that are not prose: Korean translations and fenced code.
_BLOCKS = re.compile(r"<!--\s*ko\s*-->.*?<!--\s*/ko\s*-->|```.*?```", re.S)
#: Inline text that is not prose: code spans, LaTeX, link targets, bare URLs, HTML tags.
_INLINE = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]+\$|\]\([^)]*\)|https?://\S+|<[^>\n]*>", re.S)
#: A decimal of the prose: optional sign, thousands commas, digits after the point, optional %.
_PROSE_NUMBER = re.compile(
    r"(?<![\w.,])[+\-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+(?![\d.]\d|\d|[eE][+\-]?\d)%?"
)
#: What follows a prose number written in millions (``3.43 M``, ``1.28 million``).
_MILLIONS = re.compile(r"\s?(?:M|million)\b")
#: Any number of the outputs (integers and scientific notation too), with an optional %;
#: and an integer with thousands commas (``3,432,681``), read whole as well.
_OUTPUT_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+\-]?\d+)?%?")
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
_MARKUP = re.compile(r"<(style|script)\b.*?</\1>|<[^>]*>", re.S | re.I)
#: Output numbers at or above this are left out (ids, seeds, byte counts: no prose decimal).
_LARGEST = Decimal(10) ** 15
#: Output values, sorted, by the prose number's kind (:attr:`ProseNumber.kind`).
_Outputs = dict[str, list[Decimal]]
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n|\n[-*] ")


@dataclass(frozen=True)
class ProseNumber:
    """A decimal written in a Markdown cell.

    Attributes:
        cell: the cell's index in the notebook (every cell counted, from 0).
        text: the number as written, sign and ``%`` included (``"+0.046"``, ``"60.7%"``).
        context: the sentence it is in, on one line.
        millions: whether it counts millions (``3.43 M``, ``1.28 million``).
    """

    cell: int
    text: str
    context: str
    millions: bool = False

    @property
    def kind(self) -> str:
        """``"%"`` for a percentage, ``"M"`` for millions, else ``""``."""
        return "%" if self.text.endswith("%") else "M" if self.millions else ""

    @property
    def value(self) -> Decimal:
        """Its absolute value, percent sign and thousands commas dropped."""
        return Decimal(self.text.lstrip("+-\u2212").rstrip("%").replace(",", ""))

    @property
    def decimals(self) -> int:
        """How many digits it has after the point."""
        return len(self.text.rstrip("%").split(".")[1])


def prose_numbers(notebook: dict[str, Any]) -> list[ProseNumber]:
    """Every decimal worth checking in the notebook's Markdown cells, in order.

    Args:
        notebook: a notebook as a dict (the JSON of an ``.ipynb``).

    Returns:
        One :class:`ProseNumber` per occurrence.
    """
    found = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        text = _blank(_BLOCKS, _text(cell.get("source", "")))
        prose = _blank(_INLINE, text)
        for match in _PROSE_NUMBER.finditer(prose):
            context = _sentence(text, prose, match.start(), match.end())
            millions = bool(_MILLIONS.match(prose, match.end()))
            found.append(ProseNumber(index, match.group(), context, millions))
    return found


def output_text(notebook: dict[str, Any]) -> str:
    """All the text of the notebook's code-cell outputs, one output after another: stream
    text, ``text/plain``, and ``text/html`` with its tags (and style sheets) removed."""
    parts = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            parts.append(_text(output.get("text", "")))
            data = output.get("data", {})
            parts.append(_text(data.get("text/plain", "")))
            parts.append(_MARKUP.sub(" ", _text(data.get("text/html", ""))))
    return "\n".join(part for part in parts if part)


def unmatched(
    notebook: dict[str, Any],
    allowed: Iterable[str] = (),
    numbers: Iterable[ProseNumber] | None = None,
) -> list[ProseNumber]:
    """The prose numbers that no output number rounds to and that ``allowed`` does not list.

    Args:
        notebook: a notebook as a dict.
        allowed: numbers as the prose writes them (:attr:`ProseNumber.text`) that need no
            output, such as the notebook's entries of :func:`load_allowed`.
        numbers: the notebook's :func:`prose_numbers`, when the caller has them already.

    Returns:
        The :class:`ProseNumber` s to re-read, in order.
    """
    outputs = _output_values(output_text(notebook))
    allowed = set(allowed)
    return [
        number
        for number in (prose_numbers(notebook) if numbers is None else numbers)
        if number.text not in allowed and not _matches(number, outputs)
    ]


def load_allowed(path: Path = ALLOWED_PATH) -> dict[str, dict[str, str]]:
    """The allowlist: per notebook file name, each allowed number with its reason."""
    return dict(json.loads(Path(path).read_text(encoding="utf-8")))


def cmd_prose_numbers(args: argparse.Namespace) -> int:
    """``course prose-numbers``: print, per notebook, the prose numbers no output shows
    and the allowlist does not list; 1 when there are any, 2 when no notebook matches."""
    paths = notebook_paths(Path(args.folder), args.only)
    if not paths:
        print(f"course prose-numbers: no notebook in {args.folder}/ matches", file=sys.stderr)
        return 2
    allowed = load_allowed()
    total = 0
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        numbers = prose_numbers(notebook)
        found = unmatched(notebook, allowed.get(path.name, {}), numbers)
        print(f"{path.name}: {_numbers(len(numbers))} checked, {len(found)} in no output")
        for number in found:
            print(f"  cell {number.cell}: {number.text} | {number.context}")
        total += len(found)
    if total:
        print(
            f"course prose-numbers: {_numbers(total)} of the prose in no output: update "
            f"the prose, or list them with a reason in {ALLOWED_PATH}",
            file=sys.stderr,
        )
        return 1
    return 0


def _numbers(count: int) -> str:
    return f"{count} number" if count == 1 else f"{count} numbers"


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def _blank(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with what ``pattern`` matches replaced by spaces (positions kept)."""
    return pattern.sub(lambda match: " " * len(match.group()), text)


def _sentence(text: str, prose: str, start: int, end: int) -> str:
    """The sentence around ``start:end`` (ends found in ``prose``, words taken from
    ``text``), or the line when it is a table row; whitespace collapsed."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:].lstrip().startswith("|"):
        line_end = text.find("\n", end)
        return " ".join(text[line_start : line_end if line_end >= 0 else len(text)].split())
    before = [m.end() for m in _SENTENCE_END.finditer(prose, 0, start)]
    after = _SENTENCE_END.search(prose, end)
    sentence = text[before[-1] if before else 0 : after.end() if after else len(text)]
    return " ".join(sentence.split())


def _output_values(text: str) -> _Outputs:
    """The absolute values of the output's numbers, sorted, for each kind of prose number:
    as printed, and their percentages as fractions (plain prose numbers); also a hundred
    times larger (prose percentages); also in millions (prose millions)."""
    values, fractions = set(), set()
    for match in _OUTPUT_NUMBER.finditer(text):
        number = match.group()
        value = Decimal(number.rstrip("%"))
        if value < _LARGEST:
            values.add(value)
            if number.endswith("%"):
                fractions.add(value / 100)
    values |= {Decimal(match.group().replace(",", "")) for match in _GROUPED.finditer(text)}
    return {
        "": sorted(values | fractions),
        "%": sorted(values | {value * 100 for value in values}),
        "M": sorted(values | {value.scaleb(-6) for value in values}),
    }


def _matches(number: ProseNumber, outputs: _Outputs) -> bool:
    """Whether an output number is within half a unit of the prose number's last digit:
    it rounds to it, half up or half to even."""
    candidates = outputs[number.kind]
    half = Decimal(5).scaleb(-number.decimals - 1)
    low = bisect_left(candidates, number.value - half)
    return low < len(candidates) and candidates[low] <= number.value + half
