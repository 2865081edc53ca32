"""Point every notebook's Colab install cell and "Open in Colab" badge, and the READMEs'
launch links, at the released course.

    python tools/notebook_links.py            # write the cells, badges and README links
    python tools/notebook_links.py --check    # change nothing; exit 1 if one is out of date

(``tools/notebook_links.py`` runs :func:`main` of this module.)

All come from ``pyproject.toml``, the one place that names them: the address is
``[project.urls] Repository`` and the release is ``v<[project] version>``, a tag of that
repository. So a notebook opened from its badge, or from a README link, is the one of that
release, and its first code cell installs the same release::

    course = "segmentation-course @ git+<repository>"
    !pip install -q --no-deps "{course}@v<version>" 2>/dev/null || pip install [same] "{course}"
    from course_utils import colab
    colab.install(use_drive=USE_DRIVE)

that is: the course alone at the tag, or at the default branch when the tag does not exist
(yet); then :func:`course_utils.colab.install` installs only what the runtime lacks of the
``colab`` extra, keeping Colab's own TensorFlow and Keras when they are in range, and says
which ref it got, what it kept and installed, and whether to restart. ``USE_DRIVE = True``
(one line of the cell) keeps the data folder on Google Drive. After changing the version or
the address, run this tool, commit, and push the tag (``git tag v<version> && git push
origin v<version>``).

The badge line is the README's Colab badge followed by a "View on GitHub" link (the
notebook's page on GitHub) and a "Download notebook" link (the raw file), all three at the
same tag (:func:`badge`), on its own line under the title of the notebook's first Markdown
cell. That line is the tool's: running it again replaces the whole line (the badge and any
`` · [text](address)`` links after it), so it is idempotent. In the READMEs (``README.md``,
``README.ko.md``) each Colab badge line is written the same way, with the labels in the
README's language (:data:`README_LABELS`), and every Colab, Binder, GitHub and raw link of a
notebook is pointed at the same repository and tag. Nothing else changes, and notebooks are
written as the repository keeps them: ``json.dumps(nb, indent=1, ensure_ascii=False)`` and a
trailing newline.
It needs only the standard library (``tomli`` on Python 3.10).

The student edition (``course student``, :mod:`course_utils.cli.student`) is published as
the git tag ``v<version>-student`` of the same repository (:meth:`Release.student_edition`):
the release's tree with the student notebooks in ``notebooks/``. Its badges open the
student notebooks there, and its install cells are the same cell with that tag in place of
``v<version>`` (:attr:`Release.target`): the course from the student tag, or from the
default branch when that tag is not published (yet).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (a dependency of the test extra)
    import tomli as tomllib

from course_utils.cli import notebook_rules
from course_utils.paths import checkout_root

#: The checkout whose notebooks, READMEs and ``pyproject.toml`` the tool reads and writes
#: (:func:`course_utils.paths.checkout_root`); the current folder for an installed package.
ROOT = checkout_root() or Path()
NOTEBOOKS = ROOT / "notebooks"
PYPROJECT = ROOT / "pyproject.toml"
#: The files whose Colab and Binder links the tool keeps in step.
READMES = (ROOT / "README.md", ROOT / "README.ko.md")
#: The folder of the notebooks inside the repository (the badges link there).
NOTEBOOK_FOLDER = "notebooks"
#: The git tag of a release's student edition is the release's tag and this: v0.1.0-student.
STUDENT_TAG_SUFFIX = "-student"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
#: The labels of the two links beside the Colab badge: the notebook on GitHub, its raw file.
LINK_LABELS = ("View on GitHub", "Download notebook")
#: The same labels in the READMEs that are not in English.
README_LABELS = {"README.ko.md": ("GitHub에서 보기", "노트북 내려받기")}
#: The Colab badge and the `` · [text](address)`` links after it on the same line.
_BADGE = (
    r"\[!\[Open in Colab\]\(" + re.escape(BADGE_IMAGE) + r"\)\]\((?P<url>[^)\s]*)\)"
    r"(?:[ \t]*·[ \t]*\[[^\]\n]*\]\([^)\s]*\))*"
)
#: A notebook's badge line, whatever it points at (so a stale one is replaced, not doubled);
#: ``course slides`` leaves it out of the decks.
BADGE_LINE = re.compile(r"^" + _BADGE + r"[ \t]*\n*", re.M)
#: A Colab or Binder link to a notebook of any repository at any ref (README links).
_COLAB_LINK = re.compile(
    r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[^/\s)]+/"
    + NOTEBOOK_FOLDER
    + "/"
)
_BINDER_LINK = re.compile(r"https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/[^?#\s)]+")
_GITHUB_LINK = re.compile(
    r"https://github\.com/[\w.-]+/[\w.-]+/blob/[^/\s)]+/" + NOTEBOOK_FOLDER + "/"
)
_RAW_LINK = re.compile(
    r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[^/\s)]+/" + NOTEBOOK_FOLDER + "/"
)
_INSTALL_CELL = """\
# Only on Google Colab: install the course into this runtime (elsewhere this cell does nothing).
# It keeps Colab's TensorFlow and Keras when the course supports them and says what it installed.
USE_DRIVE = False  # True: keep datasets and trained runs on your Google Drive between notebooks
import sys

if "google.colab" in sys.modules:
    course = "{source}"
    !pip install -q --no-deps "{{course}}@{ref}" 2>/dev/null || pip install -q --no-deps "{{course}}"
    from course_utils import colab

    colab.install(use_drive=USE_DRIVE)"""  # noqa: E501 (a notebook line; notebooks allow long lines)


@dataclasses.dataclass(frozen=True)
class Release:
    """Where the course is published and which release the notebooks install.

    Attributes:
        name: the distribution's name (``[project] name``).
        version: its version (``[project] version``); the release's tag is ``v<version>``.
        repository: the GitHub address (``[project.urls] Repository``), without ``.git``.
        ref: the git tag or branch the badges and the install cell point at; empty for the
            release's own tag (:attr:`tag`).
    """

    name: str
    version: str
    repository: str
    ref: str = ""

    @property
    def tag(self) -> str:
        """The git tag of the release: ``v<version>``."""
        return f"v{self.version}"

    @property
    def target(self) -> str:
        """The git ref the notebooks point at: :attr:`ref`, or else the release's tag."""
        return self.ref or self.tag

    def student_edition(self) -> Release:
        """The same release, pointing at its student edition: the tag ``v<version>-student``
        (:data:`STUDENT_TAG_SUFFIX`), whose ``notebooks/`` holds the student notebooks."""
        return dataclasses.replace(self, ref=self.tag + STUDENT_TAG_SUFFIX)

    @property
    def slug(self) -> str:
        """``owner/name`` on GitHub."""
        return self.repository.removeprefix("https://github.com/")

    @property
    def source(self) -> str:
        """The course as pip names it from the repository (default branch), without a ref."""
        return f"{self.name} @ git+{self.repository}"

    @property
    def requirement(self) -> str:
        """What the Colab cell installs first: the course at :attr:`target`."""
        return f"{self.source}@{self.target}"

    def colab_url(self, notebook: str) -> str:
        """The Colab address of ``notebook`` (a file name) at :attr:`target`."""
        return (
            f"https://colab.research.google.com/github/{self.slug}/blob/{self.target}/"
            f"{NOTEBOOK_FOLDER}/{notebook}"
        )

    def github_url(self, notebook: str) -> str:
        """The GitHub page of ``notebook`` (a file name) at :attr:`target`."""
        return f"https://github.com/{self.slug}/blob/{self.target}/{NOTEBOOK_FOLDER}/{notebook}"

    def download_url(self, notebook: str) -> str:
        """The raw file of ``notebook`` (a file name) at :attr:`target`: the ``.ipynb`` itself,
        to save and open in JupyterLab."""
        return (
            f"https://raw.githubusercontent.com/{self.slug}/{self.target}/"
            f"{NOTEBOOK_FOLDER}/{notebook}"
        )


def release(pyproject: Path = PYPROJECT) -> Release:
    """The release named by ``pyproject.toml``.

    Raises:
        ValueError: when the version or the repository address is missing, or the address
            is not a ``https://github.com/owner/name`` one (Colab opens GitHub files only).
    """
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    repository = project.get("urls", {}).get("Repository", "").removesuffix(".git").rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository):
        raise ValueError(
            f"{pyproject}: [project.urls] Repository is {repository!r}; it must be the course's "
            "GitHub address, https://github.com/<owner>/<name> (Colab opens notebooks from GitHub)"
        )
    if not project.get("version"):
        raise ValueError(f"{pyproject}: no [project] version (the release tag is v<version>)")
    return Release(project["name"], project["version"], repository)


def install_cell(rel: Release) -> str:
    """The source of the Colab install cell for ``rel``: the course at :attr:`Release.target`
    (``v<version>``, or the student edition's tag), or else at the default branch."""
    return _INSTALL_CELL.format(source=rel.source, ref=rel.target)


def badge(rel: Release, notebook: str, labels: tuple[str, str] = LINK_LABELS) -> str:
    """The badge line of ``notebook`` (a file name), in Markdown: the "Open in Colab" badge,
    then the links to its GitHub page and to its raw file (``labels`` name them), all at
    :attr:`Release.target`."""
    view, download = labels
    return (
        f"[![Open in Colab]({BADGE_IMAGE})]({rel.colab_url(notebook)})"
        f" · [{view}]({rel.github_url(notebook)})"
        f" · [{download}]({rel.download_url(notebook)})"
    )


def with_badge(text: str, line: str) -> str:
    """``text`` (the first Markdown cell) with ``line`` as its only badge, under the title."""
    title, _, rest = BADGE_LINE.sub("", text).partition("\n")
    rest = rest.lstrip("\n")
    return f"{title}\n\n{line}\n\n{rest}".rstrip("\n")


def _lines(text: str) -> list[str]:
    """A cell's source as nbformat stores it: lines with their newline, the last without."""
    return text.splitlines(keepends=True)


def _cells(nb: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [cell for cell in nb.get("cells", []) if cell.get("cell_type") == kind]


def updated(raw: str, rel: Release, notebook: str) -> str:
    """The notebook text ``raw`` with its install cell and badge written for ``rel``.

    Args:
        raw: the notebook file's text.
        rel: the release to point at.
        notebook: the notebook's file name (the badge links to it).

    Returns:
        The new text; ``raw`` itself when nothing changes.

    Raises:
        ValueError: when the notebook has no Markdown cell, or its first code cell is not
            the Colab cell (it must test ``"google.colab" in sys.modules``).
    """
    nb = json.loads(raw)
    markdown, code = _cells(nb, "markdown"), _cells(nb, "code")
    if not markdown:
        raise ValueError(f"{notebook}: no Markdown cell to put the Colab badge in")
    if not code or "google.colab" not in "".join(code[0].get("source", "")):
        raise ValueError(
            f"{notebook}: the first code cell is not the Colab install cell (see CONTRIBUTING.md)"
        )
    changed = False
    wanted = {
        id(markdown[0]): with_badge("".join(markdown[0]["source"]), badge(rel, notebook)),
        id(code[0]): install_cell(rel),
    }
    for cell in (markdown[0], code[0]):
        if "".join(cell["source"]) != wanted[id(cell)]:
            cell["source"] = _lines(wanted[id(cell)])
            changed = True
    return notebook_rules.dumps(nb) if changed else raw


def readme_updated(text: str, rel: Release, labels: tuple[str, str] = LINK_LABELS) -> str:
    """``text`` (a README) with each Colab badge of a notebook followed by its GitHub and
    download links (:func:`badge`, with ``labels``), and every Colab, Binder, GitHub and raw
    link of a notebook pointed at ``rel``'s repository and :attr:`~Release.target` (the
    notebook and, for Binder, the ``?urlpath=`` each names are kept)."""

    def badge_line(found: re.Match[str]) -> str:
        notebook = found["url"].rsplit("/", 1)[-1]
        return badge(rel, notebook, labels) if notebook.endswith(".ipynb") else found[0]

    text = re.sub(_BADGE, badge_line, text)
    blob = f"{rel.slug}/blob/{rel.target}/{NOTEBOOK_FOLDER}/"
    text = _COLAB_LINK.sub(f"https://colab.research.google.com/github/{blob}", text)
    text = _GITHUB_LINK.sub(f"https://github.com/{blob}", text)
    text = _RAW_LINK.sub(
        f"https://raw.githubusercontent.com/{rel.slug}/{rel.target}/{NOTEBOOK_FOLDER}/", text
    )
    return _BINDER_LINK.sub(f"https://mybinder.org/v2/gh/{rel.slug}/{rel.target}", text)


def readme_labels(path: Path) -> tuple[str, str]:
    """The labels of the links beside a README's Colab badge (:data:`README_LABELS`)."""
    return README_LABELS.get(path.name, LINK_LABELS)


def readme_problems(paths: tuple[Path, ...] = READMES, rel: Release | None = None) -> list[str]:
    """The READMEs whose Colab or Binder links differ from what ``rel`` gives."""
    rel = rel or release()
    return [
        f"{path.name}: a Colab, Binder, GitHub or download link is not the one of "
        f"{rel.target} at {rel.repository}, or a Colab badge lacks its GitHub and download "
        "links: run python tools/notebook_links.py"
        for path in paths
        if path.is_file()
        and readme_updated(text := path.read_text(encoding="utf-8"), rel, readme_labels(path))
        != text
    ]


def write_readmes(paths: tuple[Path, ...] = READMES, rel: Release | None = None) -> list[Path]:
    """Point the READMEs' Colab and Binder links at ``rel``; returns the files written."""
    rel = rel or release()
    written = []
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = readme_updated(text, rel, readme_labels(path))
        if new != text:
            notebook_rules.write_atomically(path, new, expected=text)
            written.append(path)
    return written


def problems(paths: list[Path], rel: Release | None = None) -> list[str]:
    """The notebooks whose install cell or badge differs from what ``rel`` gives.

    Args:
        paths: the notebook files.
        rel: the release; by default the one ``pyproject.toml`` names.

    Returns:
        One line per notebook that is out of date or that the tool cannot handle
        (empty when every notebook is right).
    """
    rel = rel or release()
    found = []
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        try:
            stale = updated(raw, rel, path.name) != raw
        except ValueError as err:
            found.append(str(err))
            continue
        if stale:
            found.append(
                f"{path.name}: the Colab install cell or the badge line (Colab, GitHub and "
                f"download links) is not the one of {rel.target} at {rel.repository}: run "
                "python tools/notebook_links.py"
            )
    return found


def write(paths: list[Path], rel: Release | None = None) -> list[Path]:
    """Write the install cell and badge of ``rel`` into each notebook that differs.

    Args:
        paths: the notebook files.
        rel: the release; by default the one ``pyproject.toml`` names.

    Returns:
        The notebooks written.

    Raises:
        ValueError: when a notebook cannot take them (see :func:`updated`); the notebooks
            before it are written, the ones after it are not.
    """
    chosen = rel or release()
    return notebook_rules.rewrite_notebooks(
        paths, lambda raw, path: updated(raw, chosen, path.name)
    )


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, check) the Colab cell and badge of the notebooks and the
    READMEs' launch links (only the notebooks given, when some are)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb and the READMEs"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or notebook_rules.notebook_paths(NOTEBOOKS)
    readmes = () if args.notebooks else READMES
    try:
        rel = release()
        if args.check:
            found = problems(paths, rel) + readme_problems(readmes, rel)
            for line in found:
                print(line, file=sys.stderr)
            return 1 if found else 0
        for path in write(paths, rel):
            print(f"{path.name}: Colab cell and badge line written for {rel.target}")
        for path in write_readmes(readmes, rel):
            print(f"{path.name}: Colab, Binder, GitHub and download links written for {rel.target}")
    except ValueError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
