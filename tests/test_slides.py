"""Slide decks: every notebook carries slide metadata, and the decks build and work offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils import slides
from course_utils.cli import notebook_paths

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_paths(ROOT / "notebooks")
CACHE = ROOT / "build" / "slides-cache"  # reveal.js and MathJax wheels, kept between runs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_carries_the_course_slide_type(path):
    nb = json.loads(path.read_text())
    tagged = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    wrong = [i for i, cell in enumerate(nb["cells"]) if tagged[i] != slides.slide_type(cell)]
    assert not wrong, f"cells {wrong} of {path.name}: run `python -m course_utils slides --tag`"
    kinds = [slides.slide_type(c) for c in nb["cells"]]
    assert kinds[0] == "slide" and kinds.count("slide") >= 4, "a deck needs a title and sections"


def test_slide_types_follow_headings_and_hide_solutions():
    md = lambda text: {"cell_type": "markdown", "source": [text]}  # noqa: E731
    assert slides.slide_type(md("# Title")) == "slide"
    assert slides.slide_type(md("## Section\ntext")) == "slide"
    assert slides.slide_type(md("### Detail")) == "subslide"
    assert slides.slide_type(md("<details><summary><b>Solution</b>...")) == "notes"
    assert slides.slide_type(md("Some #hashtag prose")) == "-"
    assert slides.slide_type({"cell_type": "code", "source": ["# a comment"]}) == "-"


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return out, slides.build_decks(NOTEBOOKS, out, cache=CACHE)


def test_decks_build_for_every_notebook_and_reference_only_local_files(decks):
    out, built = decks
    assert [d.name for d in built] == [f"{p.stem}.slides.html" for p in NOTEBOOKS]
    index = (out / "index.html").read_text()
    assert all(d.name in index for d in built)
    for deck in built:
        page = deck.read_text()
        resources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page) + re.findall(
            r'<link[^>]*\shref="([^"]+)"', page
        )
        assert resources, deck.name
        for ref in resources:
            assert not re.match(r"^(https?:)?//", ref), f"{deck.name} loads {ref} from the network"
            assert (out / ref).is_file(), f"{deck.name} refers to {ref}, which is missing"
        stem = deck.name.removesuffix(".slides.html")
        cells = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())["cells"]
        wanted = sum(slides.slide_type(c) == "slide" for c in cells)
        assert page.count("<section") >= wanted
        notes = sum(slides.slide_type(c) == "notes" for c in cells)
        assert page.count('class="notes"') >= notes


def test_a_damaged_asset_download_is_refused_and_deleted(tmp_path, monkeypatch):
    spec = slides.ASSET_WHEELS["reveal.js"]
    wheel = tmp_path / "wheels" / spec["file"]
    wheel.parent.mkdir(parents=True)
    wheel.write_bytes(b"not the wheel")
    with pytest.raises(RuntimeError, match="SHA-256") as err:
        slides.fetch_assets(tmp_path)
    assert "run again" in str(err.value)
    assert not wheel.exists() and not (tmp_path / "assets" / "reveal.js").exists()


def test_headings_get_cells_of_their_own_outside_code_fences():
    text = (
        "<details>Solution\n\n```python\n# not a heading\n```\n</details>\n\n"
        "## Next\nprose\n### Detail"
    )
    nb = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": [text]}]}
    assert slides.split_at_headings(nb) == 2
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert sources[0].endswith("</details>") and "# not a heading" in sources[0]
    assert sources[1] == "## Next\nprose" and sources[2] == "### Detail"
    assert len({c["id"] for c in nb["cells"]}) == 3 and nb["cells"][0]["id"] == "a"
    assert slides.split_at_headings(nb) == 0
