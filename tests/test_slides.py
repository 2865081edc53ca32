"""Slide decks: every notebook carries slide metadata, and the decks build and work offline."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from course_utils.cli import slides
from course_utils.cli.notebook_rules import notebook_paths

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebook_paths(ROOT / "notebooks")


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
    return out, slides.build_decks(NOTEBOOKS, out)


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
        # the badge line (its image is on the network) is left out whole, links included
        assert "colab-badge.svg" not in page and "Download notebook" not in page, deck.name


def test_assets_come_from_the_installed_packages_without_the_network(tmp_path, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"copy_assets ran a command: {args}")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    folders = slides.copy_assets(tmp_path)
    assert [f.name for f in folders] == list(slides.ASSET_PACKAGES)
    assert (tmp_path / "reveal.js" / "dist" / "reveal.js").is_file()
    assert (tmp_path / "reveal.js" / "plugin" / "notes" / "notes.js").is_file()
    assert (tmp_path / "mathjax" / "tex-svg.js").stat().st_size > 1_000_000


def test_asset_pins_match_the_slides_extra():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = set(extra["optional-dependencies"]["slides"])
    wanted = {f"{s['distribution']}=={s['version']}" for s in slides.ASSET_PACKAGES.values()}
    assert pins == wanted


def test_a_damaged_installed_asset_is_refused(tmp_path, monkeypatch):
    from importlib import metadata

    real = metadata.distribution("sphinx-mathjax-offline")
    damaged = tmp_path / "tex-svg.js"
    damaged.write_bytes(b"not MathJax")

    class Edited:
        version = real.version
        files = [f for f in real.files if str(f).endswith("mathjax/tex-svg.js")]

    for file in Edited.files:
        monkeypatch.setattr(file, "locate", lambda: damaged)
    monkeypatch.setattr(
        metadata, "distribution", lambda name: Edited if "mathjax" in name else real
    )
    monkeypatch.setitem(slides.ASSET_PACKAGES, "reveal.js", slides.ASSET_PACKAGES["mathjax"])
    with pytest.raises(RuntimeError, match="does not match the hash pip recorded"):
        slides.copy_assets(tmp_path / "out")


def test_a_missing_or_other_version_says_how_to_install(tmp_path, monkeypatch):
    spec = {**slides.ASSET_PACKAGES["mathjax"], "version": "9.9.9"}
    monkeypatch.setitem(slides.ASSET_PACKAGES, "mathjax", spec)
    with pytest.raises(RuntimeError, match=r"version 0\.0\.2 is installed.*\[slides\]"):
        slides.copy_assets(tmp_path)
    missing = {**spec, "distribution": "no-such-asset-package"}
    monkeypatch.setitem(slides.ASSET_PACKAGES, "mathjax", missing)
    with pytest.raises(RuntimeError, match="it is not installed"):
        slides.copy_assets(tmp_path)


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


def test_decks_without_notes_have_no_solution_and_no_stored_feedback(decks, tmp_path, capsys):
    """``course slides --no-notes``: decks for students, cut as the student edition is."""
    from course_utils.cli.main import main as course

    path = NOTEBOOKS[3]
    assert course(["slides", "--no-notes", "--only", path.stem, "--out", str(tmp_path)]) == 0
    assert "no solution notes" in capsys.readouterr().out
    page = (tmp_path / f"{path.stem}.slides.html").read_text()
    teacher = (decks[0] / f"{path.stem}.slides.html").read_text()
    assert "Solution</b>" in teacher and 'class="notes"' in teacher
    assert "Solution</b>" not in page and 'class="notes"' not in page
    revealed = re.findall(r"the module has ([\d,]+)", teacher)
    assert revealed, "the teacher's deck shows a checker's stored answer"
    assert not any(value in page for value in revealed)
    assert "check_inception_params" in page, "the exercises stay"
