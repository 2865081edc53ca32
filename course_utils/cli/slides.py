"""Slide decks of the notebooks: reveal.js pages that work offline, for lectures.

Every notebook carries slide metadata (``cell.metadata.slideshow.slide_type``), set by
:func:`slide_type` and checked by the tests: a new slide at each ``#``/``##`` heading, a
sub-slide at each ``###`` heading, the hidden exercise solutions as speaker notes (press
``s`` in a deck), the Colab install cell left out, everything else on the slide it
follows. :func:`build_decks` turns the
notebooks into ``<out>/<notebook>.slides.html`` with nbconvert and copies reveal.js and
MathJax beside them, so the decks need no network: no CDN is referenced.
``build_decks(..., notes=False)`` (``course slides --no-notes``) makes decks for students:
the solution notes cut as the student edition cuts them (``course_utils.cli.student``), and
the exercises' stored feedback, which names the expected values, cleared.

reveal.js and MathJax come from two packages on PyPI that ship them as plain files
(``sphinx-revealjs`` and ``sphinx-mathjax-offline``), installed and locked with the rest
of the course (the ``slides`` extra): :func:`copy_assets` copies the files it needs from
the installed packages after checking each against the hash pip recorded at install
time. Building decks needs no network.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import re
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypedDict

from course_utils.cli import notebook_links


class AssetPackage(TypedDict):
    """An installed package that carries front-end files, and which of them to copy."""

    distribution: str
    version: str
    prefix: str
    keep: tuple[str, ...]


#: The installed packages that carry the front-end files, pinned by version (the same
#: pins as the ``slides`` extra in ``pyproject.toml``; a test keeps them in step).
ASSET_PACKAGES: dict[str, AssetPackage] = {
    "reveal.js": {
        "distribution": "sphinx-revealjs",
        "version": "3.2.1",
        "prefix": "sphinx_revealjs/_static/revealjs/",
        "keep": ("dist/", "plugin/notes/"),
    },
    "mathjax": {
        "distribution": "sphinx-mathjax-offline",
        "version": "0.0.2",
        "prefix": "sphinx-mathjax-offline/static/mathjax/",
        "keep": ("tex-svg.js",),
    },
}

TEMPLATE_DIR = Path(__file__).parent / "slides_template"
#: The "Open in Colab" badge line of a notebook's first cell, with its GitHub and download
#: links (tools/notebook_links.py): its image is on the network, so the decks, which work
#: offline, leave the whole line out.
COLAB_BADGE = notebook_links.BADGE_LINE


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


def copy_assets(out: Path) -> list[Path]:
    """Copy reveal.js and MathJax from their installed packages into ``out / <name>``.

    Every file is checked against the SHA-256 that pip recorded when it installed the
    package, so a damaged or edited installation is refused rather than copied.

    Returns:
        The folders written, one per entry of :data:`ASSET_PACKAGES`.

    Raises:
        RuntimeError: when a package is missing or not the pinned version (say how to
            install it), or an installed file does not match its recorded hash.
    """
    from importlib import metadata

    folders = []
    for name, spec in ASSET_PACKAGES.items():
        wanted = f"{spec['distribution']}=={spec['version']}"
        try:
            dist = metadata.distribution(spec["distribution"])
        except metadata.PackageNotFoundError:
            dist = None
        if dist is None or dist.version != spec["version"]:
            found = f"version {dist.version} is installed" if dist else "it is not installed"
            raise RuntimeError(
                f"The slides need {wanted} (it carries {name}), but {found}. Install the "
                "course with its slides extra: pip install -e '.[slides]' (make test does)."
            )
        keep = tuple(spec["prefix"] + part for part in spec["keep"])
        files = [f for f in dist.files or () if str(f).startswith(keep)]
        if not files:
            raise RuntimeError(f"{wanted} is installed without its {name} files; reinstall it.")
        target = Path(out) / name
        for file in files:
            data = Path(str(file.locate())).read_bytes()
            if file.hash is None or _record_hash(data) != file.hash.value:
                raise RuntimeError(
                    f"{file} of {wanted} does not match the hash pip recorded: the "
                    "installation is damaged or was edited. Reinstall it: "
                    f"pip install --force-reinstall {wanted}"
                )
            dest = target / str(file).removeprefix(spec["prefix"])
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        folders.append(target)
    return folders


def _without_colab_badge(nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """nbconvert preprocessor: every Markdown cell without its Colab badge line."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = COLAB_BADGE.sub("", cell.source)
    return nb, resources


def _record_hash(data: bytes) -> str:
    """A file's SHA-256 as a wheel's RECORD writes it (URL-safe base64, no padding)."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _without_solutions(path: Path) -> Any:
    """The notebook at ``path`` without its solutions and its exercises' stored outputs
    (steps 1 to 3 of the student edition, ``course_utils.cli.student``)."""
    import nbformat

    from course_utils.cli import student

    return student.without_solutions(nbformat.read(path, as_version=4), path.name)


def build_decks(notebooks: Iterable[Path], out: Path, notes: bool = True) -> list[Path]:
    """Turn notebooks into offline reveal.js decks in ``out``; return the deck files.

    Also writes ``out / "index.html"`` listing the decks, and copies reveal.js and MathJax
    into ``out`` from their installed packages (:func:`copy_assets`).

    Args:
        notebooks: the ``.ipynb`` files.
        out: the folder of the decks.
        notes: keep the solutions as speaker notes and the exercises' stored feedback (the
            teacher's decks); ``False`` drops both (decks for students).
    """
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    config = Config()
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATE_DIR)]
    config.SlidesExporter.template_name = "course_reveal"
    config.SlidesExporter.reveal_url_prefix = "reveal.js"
    config.SlidesExporter.reveal_scroll = True
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.mathjax_url = "mathjax/tex-svg.js"
    exporter = SlidesExporter(config=config)
    exporter.register_preprocessor(_without_colab_badge, enabled=True)
    decks = []
    for path in sorted(Path(p) for p in notebooks):
        if notes:
            body, _ = exporter.from_filename(str(path))
        else:  # cut before the exporter reads the slide types (they change)
            body, _ = exporter.from_notebook_node(
                _without_solutions(path), resources={"metadata": {"name": path.stem}}
            )
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


def cmd_slides(args: argparse.Namespace) -> int:
    """``course slides``: build the decks into ``args.out``, or (``--tag``) set the
    notebooks' slide metadata instead; 1 when a deck cannot be built."""
    import json

    from course_utils.cli import notebook_rules

    paths = notebook_rules.notebook_paths(Path(args.folder), args.only)
    if args.tag:

        def tagged(raw: str, _path: Path) -> str:
            nb = json.loads(raw)
            changed = split_at_headings(nb) + tag_slides(nb)
            return notebook_rules.dumps(nb) if changed else raw

        for path in notebook_rules.rewrite_notebooks(paths, tagged):
            print(f"{path.name}: slide metadata updated")
        return 0
    try:
        decks = build_decks(paths, Path(args.out), notes=getattr(args, "notes", True))
    except (RuntimeError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    notes = "press s for notes" if getattr(args, "notes", True) else "no solution notes"
    print(f"{len(decks)} decks in {args.out}/ (open {args.out}/index.html; {notes})")
    return 0
