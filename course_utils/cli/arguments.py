"""What the ``course`` parser needs beyond :mod:`argparse`: the dataset names as ``choices``,
``--version``, and the line that ends an interrupted command.

:mod:`course_utils.cli.main` builds the parser from these; none of them does any work when
it is imported (the dataset registry is read only when a dataset name is checked or listed,
the distribution's metadata only for ``--version``), so ``course --help`` stays quick.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: The exit code of a command stopped with Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130

#: What an interrupted command leaves behind, said in its one line (see :func:`interrupted`).
AFTER_INTERRUPT = {
    "check": (
        "it changes nothing of yours (--class keeps a record of the file hashes it computed, "
        "written whole or not at all)"
    ),
    "fetch": (
        "the files already verified stay in the data folder, the one in progress was "
        "discarded (nothing half-written is kept); run the same command again to continue"
    ),
    "lab": "JupyterLab was stopped; the notebooks are as it last saved them",
    "export-runs": (
        "the archive is written whole or not at all (a partial file is removed); run the "
        "same command again"
    ),
    "import-runs": (
        "an import installs all of an archive's runs or none of them; run the same command "
        "again, or course cache to see the runs there"
    ),
    "cache": (
        "listing changes nothing; --clear-rejected may have deleted only some of the "
        "rejected files (nothing else)"
    ),
    "run-notebooks": (
        "the notebooks that finished were written, the one running was left as it was (a "
        "notebook is written whole or not at all), the finished ones' times were recorded; "
        "run the rest with --only NAME"
    ),
    "prepare": (
        "the runs trained so far are saved (a run is saved whole or not at all); run the "
        "same command again to resume"
    ),
    "seed-record": (
        "the record holds every run finished so far (it is rewritten whole after each); run "
        "the same command again to continue"
    ),
    "timings-table": "the file given to --write is unchanged or fully written, never half",
    "slides": (
        "the decks folder may hold only some decks, the last one perhaps cut short; run the "
        "same command again to write them all (--tag: each notebook is tagged whole or not "
        "at all)"
    ),
    "student": (
        "the output folder may hold only some notebooks, each whole; run the same command "
        "again to write them all"
    ),
    "nbgrader": (
        "the output folder may hold only some notebooks, each whole; run the same command "
        "again to write them all"
    ),
    "prose-numbers": "it only reads the notebooks: nothing was changed",
}


def interrupted(command: str | None) -> int:
    """Say in one line, on stderr, that ``command`` was interrupted and what it left behind
    (:data:`AFTER_INTERRUPT`); return :data:`INTERRUPTED`, the exit code.

    Args:
        command: the subcommand that was running, or ``None`` when Ctrl-C came before one
            started (while the arguments were read).
    """
    after = AFTER_INTERRUPT.get(command or "", "no command had started: nothing was changed")
    start = "\n" if sys.stderr.isatty() else ""  # off the line the terminal's ^C is on
    name = f"course {command}" if command else "course"
    print(f"{start}{name}: interrupted; {after}.", file=sys.stderr, flush=True)
    return INTERRUPTED


def version_text() -> str:
    """The ``course --version`` line: the installed distribution's version, where the
    ``course_utils`` that runs comes from, and the Python version."""
    from importlib import metadata, util

    try:
        version = metadata.version("segmentation-course")
    except metadata.PackageNotFoundError:
        version = "(not installed: run from a checkout)"
    spec = util.find_spec("course_utils")
    here = Path(spec.origin).parent if spec and spec.origin else "?"
    return (
        f"course (segmentation-course) {version}; course_utils from {here}; "
        f"Python {platform.python_version()}"
    )


class VersionAction(argparse.Action):
    """``--version``: print :func:`version_text` and exit 0 (read only when asked for)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the version of the course and of Python, then exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(version_text())
        parser.exit(0)


class DatasetNames:
    """The names ``course fetch`` accepts, as argparse ``choices``: every dataset of the
    registry with files to fetch (not ``shapes``, which is built in).

    The registry is read on first use, so building the parser does not import the data
    package. An empty list counts as one of them: on Python 3.10 and 3.11, argparse checks
    the empty default of a ``nargs="*"`` argument against its choices (later versions do
    not), and ``course fetch --course`` names no dataset.
    """

    def __init__(self) -> None:
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        """The names, sorted."""
        if self._names is None:
            from course_utils.data.catalog import CATALOG, SOURCES

            self._names = sorted(name for name in SOURCES if name in CATALOG)
        return self._names

    def __contains__(self, value: object) -> bool:
        return value == [] or value in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())
