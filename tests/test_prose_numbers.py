"""``course prose-numbers``: every decimal of a notebook's prose is one its outputs print, or
one the allowlist explains (course_utils/cli/prose_numbers_allowed.json). No TensorFlow."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.cli.prose_numbers import (
    ALLOWED_PATH,
    load_allowed,
    output_text,
    prose_numbers,
    unmatched,
)

main = importlib.import_module("course_utils.cli.main")  # the module (cli.main is its main())

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: Notebooks whose prose states numbers that their outputs do not print and that no
#: allowlist entry may explain (measured results): the prose is to be fixed, then the
#: notebook leaves this set.
TO_FIX: set[str] = set()  # notebooks whose prose is known to need a fix (none)


def _notebook(markdown: str | list, *outputs: str, html: str = "") -> dict:
    """A notebook: Markdown cells, then one code cell that printed ``outputs`` (and an
    HTML result, if any)."""
    texts = [markdown] if isinstance(markdown, str) else markdown
    cells = [{"cell_type": "markdown", "metadata": {}, "source": text} for text in texts]
    results = [{"output_type": "stream", "name": "stdout", "text": text} for text in outputs]
    if html:
        results.append(
            {
                "output_type": "execute_result",
                "data": {"text/html": html, "text/plain": "<Table>"},
                "metadata": {},
                "execution_count": 1,
            }
        )
    cells.append({"cell_type": "code", "metadata": {}, "source": "run()", "outputs": results})
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _texts(markdown: str, *outputs: str) -> list[str]:
    return [number.text for number in unmatched(_notebook(markdown, *outputs))]


# --- what is checked --------------------------------------------------------------------


def test_decimals_are_found_with_their_cell_and_sentence():
    nb = _notebook(["# Title", "It scored 0.328. Then +0.046 more, and 60.7% of 12 pixels."])
    found = prose_numbers(nb)
    assert [(n.cell, n.text) for n in found] == [(1, "0.328"), (1, "+0.046"), (1, "60.7%")]
    assert found[0].context == "It scored 0.328."
    assert found[2].context == "Then +0.046 more, and 60.7% of 12 pixels."


def test_integers_versions_and_scientific_notation_are_not_checked():
    nb = _notebook("In 2015, 152 layers; Python 3.10.12; a rate of 5e-4 or 1.5e-3; v0.1.0.")
    assert prose_numbers(nb) == []


def test_code_latex_links_and_korean_blocks_are_skipped():
    markdown = (
        "Set `alpha = 0.25` and see $x = 0.75$ or $$y = 1.5$$.\n\n"
        "[notebook 0.5](https://example.org/v1.25/page) and https://example.org/2.5.\n\n"
        '<img width="0.5"> text\n\n'
        "<!-- ko -->\n점수 0.999\n<!-- /ko -->\n\n"
        "<details><summary><b>Solution</b></summary>\n\n```python\nx = 0.123\n```\n</details>\n"
    )
    assert [n.text for n in prose_numbers(_notebook(markdown))] == ["0.5"]  # the link's text


def test_a_table_row_is_its_numbers_context():
    nb = _notebook("| model | mIoU |\n|---|---|\n| FCN-8s | 0.414 |\n| U-Net | 0.327 |\n")
    assert [n.context for n in prose_numbers(nb)] == ["| FCN-8s | 0.414 |", "| U-Net | 0.327 |"]


def test_sources_and_outputs_as_lists_of_lines():
    nb = _notebook([["It scored\n", "0.328 on val.\n"]], "ignored")
    nb["cells"][-1]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": ["mIoU\n", "0.3281\n"]}
    ]
    assert [n.context for n in prose_numbers(nb)] == ["It scored 0.328 on val."]
    assert unmatched(nb) == []


def test_output_text_reads_streams_plain_text_and_html_without_tags():
    nb = _notebook("", "loss 0.25\n", html="<style>td { width: 12.5% }</style><td>0.75</td>")
    text = output_text(nb)
    assert "loss 0.25" in text and "0.75" in text and "<Table>" in text
    assert "12.5" not in text and "<td>" not in text


# --- matching ---------------------------------------------------------------------------


def test_a_number_the_outputs_print_passes_and_a_stale_one_is_reported():
    nb = _notebook("FCN-16s scored 0.328 and the control 0.271.", "mIoU 0.328\ncontrol 0.282\n")
    (stale,) = unmatched(nb)
    assert (stale.cell, stale.text) == (0, "0.271")
    assert stale.context == "FCN-16s scored 0.328 and the control 0.271."


def test_an_output_number_matches_when_it_rounds_to_the_prose():
    out = "gap +0.0461, interval 0.0455 to 0.0487, sd 0.00499"
    assert _texts("A gap of 0.046, sd 0.005 and at most 0.049.", out) == []
    assert _texts("A gap of 0.047.", "gap 0.0461") == ["0.047"]
    assert _texts("To be precise: 0.0462.", "gap 0.046") == ["0.0462"]  # more digits than shown


def test_half_up_and_half_to_even_both_match():
    assert _texts("Both 0.12 and 0.13.", "0.125") == []


def test_an_output_with_fewer_digits_matches_trailing_zeros():
    assert _texts("A Dice of 2.0 and 0.50.", "dice 2 and 0.5") == []


def test_signs_are_ignored():
    assert _texts("It fell by 0.014 and rose +0.02 (-0.0461).", "-0.014 +0.020 0.0461") == []
    assert _texts("A change of \u22120.014.", "+0.014") == []


def test_percentages_match_fractions_and_back():
    assert _texts("Membranes cover 22.4% of the pixels.", "share 0.224") == []
    assert _texts("Membranes cover 0.224 of the pixels.", "share 22.4%") == []
    assert _texts("An accuracy of 60.7%.", "accuracy: 60.7%") == []
    assert _texts("An accuracy of 60.7%.", "accuracy 0.6070") == []
    assert _texts("An accuracy of 60.8%.", "accuracy 0.607") == ["60.8%"]
    assert _texts("A share of 0.607.", "60.7") == ["0.607"]  # no % in the output: no fraction


def test_thousands_separators():
    assert _texts("It has 1,945.25 of them.", "1945.25") == []


def test_millions_match_the_printed_count():
    out = "fcn8s_lite0: 3,432,681 parameters (this notebook's FCN-8s: 948,977)"
    assert _texts("Its head has 3.43 M against 0.95 M, of 1.28 million.", out) == ["1.28"]
    assert _texts("AlexNet: 62.4 M.", "alexnet   62.4 M") == []
    assert _texts("It has 3.4 parameters.", out) == ["3.4"], "no M: not read as millions"
    assert _texts("A list of 6.0 and 8.0.", "(6,000, 8,000)") == []  # the parts stay numbers


def test_the_allowlist_lets_a_number_through():
    nb = _notebook("The paper reports 59.4; we measured 0.41.", "0.414")
    assert [n.text for n in unmatched(nb)] == ["59.4"]
    assert unmatched(nb, {"59.4"}) == []
    assert unmatched(nb, {"59.40"}) != [], "a number is allowed as the prose writes it"


# --- the command ------------------------------------------------------------------------


def _write(folder: Path, name: str, nb: dict) -> None:
    (folder / name).write_text(json.dumps(nb), encoding="utf-8")


def test_the_command_lists_each_notebooks_numbers_and_exits_1(tmp_path, capsys):
    _write(tmp_path, "01_a.ipynb", _notebook("Fine: 0.25.", "0.25"))
    _write(tmp_path, "02_b.ipynb", _notebook("Stale: 0.31.", "0.25"))
    assert main.main(["prose-numbers", "--folder", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "01_a.ipynb: 1 number checked, 0 in no output" in captured.out
    assert "02_b.ipynb: 1 number checked, 1 in no output" in captured.out
    assert "  cell 0: 0.31 | Stale: 0.31." in captured.out
    assert "1 number of the prose in no output" in captured.err


def test_the_command_exits_0_when_every_number_is_printed(tmp_path, capsys):
    _write(tmp_path, "01_a.ipynb", _notebook("Fine: 0.25.", "0.25"))
    _write(tmp_path, "02_b.ipynb", _notebook("Stale: 0.31.", "0.25"))
    assert main.main(["prose-numbers", "--folder", str(tmp_path), "--only", "01_"]) == 0
    assert "02_b" not in capsys.readouterr().out


def test_the_command_without_a_notebook_is_a_usage_error(tmp_path, capsys):
    assert main.main(["prose-numbers", "--folder", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no notebook" in captured.err


def test_the_command_imports_no_tensorflow():
    code = (
        "import sys; from course_utils.cli import prose_numbers; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.split() == ["False", "False"], done.stdout + done.stderr


# --- the course's notebooks and the allowlist -------------------------------------------


def test_the_allowlist_names_notebooks_that_exist_with_reasons():
    allowed = load_allowed()
    assert ALLOWED_PATH.is_file() and allowed
    assert set(allowed) <= {path.name for path in NOTEBOOKS}
    for name, numbers in allowed.items():
        for number, reason in numbers.items():
            assert isinstance(reason, str) and reason.strip(), f"{name}: {number} has no reason"


@pytest.mark.parametrize("name", sorted(load_allowed()))
def test_every_allowlist_entry_is_still_in_its_notebooks_prose(name):
    """An allowlist must not rot: an entry whose number left the prose goes."""
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    written = {number.text for number in prose_numbers(nb)}
    gone = sorted(set(load_allowed()[name]) - written)
    assert gone == [], f"{name}: no longer in the prose, remove from {ALLOWED_PATH.name}: {gone}"


_TO_FIX = pytest.mark.xfail(
    strict=False,
    reason="its prose states measured numbers that its outputs do not print (differences "
    "worked out by hand, docs/method.md's experiments): the prose is to be fixed",
)


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=_TO_FIX) if p.name in TO_FIX else p for p in NOTEBOOKS],
    ids=lambda p: p.name,
)
def test_every_number_of_the_prose_is_printed_or_allowed(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = unmatched(nb, load_allowed().get(path.name, {}))
    lines = [f"cell {n.cell}: {n.text} | {n.context}" for n in found]
    assert found == [], f"{path.name}: run course prose-numbers\n" + "\n".join(lines)
