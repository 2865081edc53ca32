"""Korean learners (issue 17): the glossary, README.ko.md, the Korean objectives and their
block in every notebook (written by ``tools/insert_korean.py``)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from course_utils.cli import notebook_rules

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GLOSSARY = ROOT / "docs" / "glossary.ko.md"
README = ROOT / "README.md"
README_KO = ROOT / "README.ko.md"
OBJECTIVES = ROOT / "docs" / "objectives.ko.json"
_spec = importlib.util.spec_from_file_location("insert_korean", ROOT / "tools" / "insert_korean.py")
insert_korean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(insert_korean)


def _korean() -> dict:
    return json.loads(OBJECTIVES.read_text(encoding="utf-8"))


def _first_markdown(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])


def _glossary() -> list[tuple[int, str, str, str]]:
    """(notebook number of the section, Korean, English, note) for every table row."""
    rows, section = [], -1
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (\d\d) · ", line)
        if heading:
            section = int(heading.group(1))
        elif line.startswith("|") and not line.startswith(("|---", "| 한국어 |")):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            assert len(cells) == 3, f"not three columns: {line}"
            rows.append((section, *cells))
    return rows


# --- glossary -------------------------------------------------------------------------

#: The translations issue 17 asks for, word for word (English column -> Korean column).
REQUIRED = {
    "convolution": "합성곱",
    "pooling": "풀링",
    "fully connected layer": "완전 연결층",
    "transposed convolution": "전치 합성곱",
    "dilated (atrous) convolution": "팽창(아트러스) 합성곱",
    "depthwise separable convolution": "깊이별 분리 합성곱",
    "unpooling": "언풀링",
    "bilinear interpolation": "이중선형 보간",
    "semantic segmentation": "의미론적 분할",
    "instance segmentation": "인스턴스 분할",
    "panoptic segmentation": "파놉틱 분할",
}
#: Terms the course uses that the glossary must cover (matched in the English column).
COURSE_TERMS = [
    "kernel", "filter", "feature map", "padding", "stride", "dilation", "receptive field",
    "max pooling", "global average pooling", "softmax", "logits", "cross-entropy",
    "batch normalisation", "dropout", "data augmentation", "overfitting", "validation set",
    "test set", "encoder-decoder", "skip connection", "upsampling", "max unpooling",
    "nearest-neighbour interpolation", "checkerboard artefact", "pointwise convolution",
    "ASPP", "output stride", "object detection", "bounding box", "mask", "void label",
    "class imbalance", "median frequency balancing", "Dice", "IoU", "mIoU", "pixel accuracy",
    "boundary", "bootstrap", "seed", "learning rate", "optimizer", "epoch", "step",
    "warm start", "transfer learning", "fine-tuning", "residual block", "bottleneck",
    "Inception module",
]  # fmt: skip


def test_the_glossary_has_at_least_60_terms_in_three_columns():
    rows = _glossary()
    assert len(rows) >= 60
    assert all(korean and english and note for _, korean, english, note in rows)
    english = [e for _, _, e, _ in rows]
    assert len(english) == len(set(english)), "an English term is listed twice"


def test_the_glossary_has_the_required_translations():
    translations = {english: korean for _, korean, english, _ in _glossary()}
    wrong = {e: (translations.get(e), k) for e, k in REQUIRED.items() if translations.get(e) != k}
    assert not wrong, f"(glossary, required): {wrong}"


def test_the_glossary_covers_the_course_terms():
    english = " / ".join(e for _, _, e, _ in _glossary())
    assert [t for t in COURSE_TERMS if t not in english] == []


def test_the_glossary_is_in_course_order():
    """Sections follow the notebooks, 00 to 11, and the page says that it is so sorted."""
    sections = list(dict.fromkeys(section for section, *_ in _glossary()))
    assert sections == sorted(sections) and sections[0] == 0 and -1 not in sections
    assert sections[-1] == len(NOTEBOOKS) - 1
    assert "과정 순서" in GLOSSARY.read_text(encoding="utf-8")


# --- README.ko.md ---------------------------------------------------------------------


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end > 0 else None]


def test_readme_ko_has_the_readme_commands():
    blocks = re.findall(
        r"```bash\n(.*?)```", _section(README.read_text(), "## The two commands"), re.S
    )
    assert len(blocks) == 2 and "make lab" in blocks[0] and "make test" in blocks[1]
    korean = README_KO.read_text(encoding="utf-8")
    for block in blocks:
        assert f"```bash\n{block}```" in korean


def test_readme_ko_lists_every_notebook_with_its_korean_title():
    korean = README_KO.read_text(encoding="utf-8")
    listed_in_readme = set(
        re.findall(r"`(\d\d_\w+)`", _section(README.read_text(), "## The notebooks"))
    )
    assert listed_in_readme == {p.stem for p in NOTEBOOKS}
    titles = _korean()
    for path in NOTEBOOKS:
        assert f"[`{path.stem}`](notebooks/{path.name})" in korean, path.name
        assert titles[path.name]["title"].split(" · ", 1)[1] in korean, path.name


def _github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", [README_KO, GLOSSARY], ids=lambda p: p.name)
def test_links_of_the_korean_pages_resolve(page):
    text = page.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert any("glossary.ko.md" in link for link in links) or page == GLOSSARY
    for link in links:
        if link.startswith(("http://", "https://")):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve()
        assert path.exists(), f"{page.name}: {link}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
            assert anchor in {_github_anchor(h) for h in headings}, f"{page.name}: {link}"


# --- docs/objectives.ko.json and the notebooks --------------------------------------------


def test_objectives_json_has_every_notebook_and_is_stored_like_a_notebook():
    raw = OBJECTIVES.read_text(encoding="utf-8")
    korean = json.loads(raw)
    assert raw == json.dumps(korean, indent=1, ensure_ascii=False) + "\n"
    assert list(korean) == [p.name for p in NOTEBOOKS]
    for name, entry in korean.items():
        assert set(entry) == {"title", "objectives"}
        assert entry["title"].startswith(f"{name[:2]} · ")
        assert entry["objectives"] and all(isinstance(o, str) and o for o in entry["objectives"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_korean_objectives_match_the_english_ones(path):
    """One Korean bullet per English bullet, with the same code in each (a notebook that
    gained an objective fails here until its translation is added to the JSON)."""
    english = insert_korean.english_objectives(_first_markdown(path))
    korean = _korean()[path.name]["objectives"]
    assert len(english) == len(korean), (
        f"{len(english)} English objectives, {len(korean)} Korean: update {OBJECTIVES.name}"
    )
    for en, ko in zip(english, korean, strict=True):
        assert sorted(re.findall(r"`[^`]+`", en)) == sorted(re.findall(r"`[^`]+`", ko)), ko


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_its_korean_block(path):
    first = _first_markdown(path)
    block = insert_korean.render_block(_korean()[path.name])
    assert first.count(insert_korean.START) == 1 and first.endswith(block), (
        f"{path.name}: run python tools/insert_korean.py"
    )


# --- tools/insert_korean.py -----------------------------------------------------------


@pytest.fixture
def copies(tmp_path):
    """Two notebooks without a Korean block, and their Korean entries, in ``tmp_path``."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    names = [NOTEBOOKS[0].name, NOTEBOOKS[-1].name]
    for name in names:
        nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
        cell["source"] = insert_korean.strip_block("".join(cell["source"])).splitlines(True)
        (folder / name).write_text(notebook_rules.dumps(nb), encoding="utf-8")
    objectives = tmp_path / "objectives.ko.json"
    objectives.write_text(json.dumps({n: _korean()[n] for n in names}, ensure_ascii=False))
    return folder, objectives


def _run(folder: Path, objectives: Path, *extra: str) -> int:
    return insert_korean.main([*extra, "--notebooks", str(folder), "--objectives", str(objectives)])


def test_insert_korean_writes_once_keeps_the_format_and_changes_only_the_first_cell(copies, capsys):
    folder, objectives = copies
    before = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    assert _run(folder, objectives, "--check") == 1
    assert "run python tools/insert_korean.py" in capsys.readouterr().out
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} == before
    assert _run(folder, objectives) == 0
    after = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    assert _run(folder, objectives) == 0 and _run(folder, objectives, "--check") == 0
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} == after
    for name, text in after.items():
        nb, old = json.loads(text), json.loads(before[name])
        assert text == json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        assert "\\u" not in text.split("<!-- ko -->")[1][:200], "Hangul is stored as is"
        index = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown")
        new_first, old_first = nb["cells"][index], old["cells"][index]
        assert new_first["source"][: len(old_first["source"]) - 1] == old_first["source"][:-1]
        assert insert_korean.strip_block("".join(new_first["source"])) == "".join(
            old_first["source"]
        )
        assert "**학습 목표.**" in "".join(new_first["source"])
        del nb["cells"][index], old["cells"][index]
        assert nb == old


def test_insert_korean_replaces_a_stale_block(copies):
    folder, objectives = copies
    assert _run(folder, objectives) == 0
    korean = json.loads(objectives.read_text(encoding="utf-8"))
    name = sorted(korean)[0]
    korean[name]["objectives"][0] = "바뀐 목표 `course_utils.setup()`"
    objectives.write_text(json.dumps(korean, ensure_ascii=False), encoding="utf-8")
    assert _run(folder, objectives, "--check") == 1
    assert _run(folder, objectives) == 0
    first = _first_markdown(folder / name)
    assert first.count("<!-- ko -->") == 1 and first.count("<!-- /ko -->") == 1
    assert "- 바뀐 목표 `course_utils.setup()`" in first


def test_insert_korean_reports_missing_translations(copies, capsys):
    folder, objectives = copies
    korean = json.loads(objectives.read_text(encoding="utf-8"))
    first, second = sorted(korean)
    korean[first]["objectives"].pop()
    del korean[second]
    objectives.write_text(json.dumps(korean, ensure_ascii=False), encoding="utf-8")
    assert _run(folder, objectives, "--check") == 1
    out = capsys.readouterr().out
    assert f"{first}: " in out and "English objectives" in out
    assert f"{second}: no Korean title and objectives" in out


def test_the_english_objectives_are_read_from_the_list_only():
    text = (
        "# 99 · T\n\n**Learning objectives.** By the end you can\n\n- one;\n- two,\n"
        "  continued;\n- three.\n\nA paragraph.\n\n- not an objective\n\n"
        + insert_korean.render_block({"title": "99 · 제목", "objectives": ["하나"]})
    )
    assert insert_korean.english_objectives(text) == ["one;", "two, continued;", "three."]
