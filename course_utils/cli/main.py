"""Command line for teachers and learners: ``python -m course_utils`` or ``course``.

course check                         environment: versions, devices, profile, data folder
course check --class                 before a class: Python, TensorFlow, course datasets, disk;
                                     the last line says what to run if something is missing
course fetch --course                the datasets the notebooks use, size printed first
course fetch camvid isbi2012         download datasets ahead of time (before going offline)
course fetch --all
course lab [--port 8899] [--remote]  JupyterLab on the notebooks (what `make lab` runs)
course export-runs --profile default pack data/runs/default/ with SHA-256s into one archive
course import-runs FILE|URL          verify such an archive (https:// only; --sha256 pins
                                     it), then install its runs
course cache                         datasets, trained runs and rejected files, with sizes
course cache --clear-rejected        delete the files that failed their checksum
course run-notebooks --profile default
                                     execute every notebook in order, writing outputs
course seed-record --profile default train every Part 3 model with seeds 0-2, scored on
                                     val and test, into docs/seed_record_default.json
course slides [--no-notes]           offline reveal.js decks (--no-notes: for students)
course student [--out DIR]           the student edition: no solutions, the checkers never
                                     print the answer, badges at the student copies
course nbgrader [--out DIR]          the same as an nbgrader course folder (source/):
                                     answers, autograded checker tests, locked cells
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from course_utils import paths
from course_utils.profiles import DEFAULT_PROFILE, PROFILES

#: Each subcommand's module in ``course_utils.cli``: it holds ``cmd_<command>(args)``
#: (``-`` as ``_``), imported only when that command runs.
COMMANDS = {
    "check": "check",
    "fetch": "fetch",
    "lab": "lab",
    "export-runs": "share_runs",
    "import-runs": "share_runs",
    "cache": "cache",
    "run-notebooks": "notebook_runner",
    "prepare": "prepare",
    "seed-record": "seed_record",
    "timings-table": "timings",
    "slides": "slides",
    "student": "student",
    "nbgrader": "nbgrader_export",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``course`` and ``python -m course_utils``: parse, then run the
    command's ``cmd_<command>`` (see :data:`COMMANDS`); its return value is the exit code."""
    args = build_parser().parse_args(argv)
    module = importlib.import_module(f"course_utils.cli.{COMMANDS[args.command]}")
    return int(getattr(module, "cmd_" + args.command.replace("-", "_"))(args))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_check, _add_fetch, _add_lab, _add_runs_archives, _add_cache,
                _add_run_notebooks, _add_prepare, _add_seed_record, _add_timings_table,
                _add_slides, _add_student, _add_nbgrader):  # fmt: skip
        add(sub)
    return parser


def _profile_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES, type=str.lower)


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="print versions, devices, profile and data folder")
    p.add_argument("--profile", default=None)
    p.add_argument(
        "--class",
        dest="for_class",
        action="store_true",
        help="before a class: Python, TensorFlow/Keras, course datasets, disk space; "
        "the last line says what to fix",
    )


def _add_fetch(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fetch", help="download datasets ahead of time")
    p.add_argument("names", nargs="*")
    p.add_argument("--all", action="store_true", help="every dataset with a public URL")
    p.add_argument(
        "--course", action="store_true", help="the datasets the notebooks use (size printed first)"
    )


def _add_lab(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lab", help="open the notebooks in JupyterLab (what `make lab` runs)")
    p.add_argument("folder", nargs="?", default="notebooks")
    p.add_argument("--port", type=int, default=None, help="default: 8888, or the next free one")
    p.add_argument("--ip", default=None, help="address to listen on (0.0.0.0: every interface)")
    p.add_argument(
        "--remote", action="store_true", help="open no browser; say how to reach the server"
    )


def _add_runs_archives(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-runs", help="pack one profile's trained runs into an archive")
    _profile_option(p)
    p.add_argument("--out", default=None, help="default: build/runs-<profile>.tar.gz")
    p = sub.add_parser("import-runs", help="verify and install an archive of export-runs")
    p.add_argument("source", metavar="FILE|URL", help="an archive's path or its https:// address")
    p.add_argument(
        "--sha256",
        default=None,
        help="the archive's SHA-256, as export-runs printed it: anything else is refused",
    )


def _add_cache(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="list cached datasets, trained runs and rejected files")
    p.add_argument(
        "--clear-rejected", action="store_true", help="delete the files that failed their checksum"
    )


def _add_run_notebooks(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run-notebooks", help="execute all notebooks in order, writing outputs")
    _profile_option(p)
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--only", default=None, help="run only notebooks whose name contains this")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    p.add_argument("--timings", default=None, help="write wall times to this JSON file")
    p.add_argument("--no-save", action="store_true", help="time only; leave the files as they are")
    p.add_argument(
        "--column",
        default=None,
        help='the timings column to write (default: the profile), e.g. "default, float32"',
    )


def _add_prepare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prepare", help="train every run later notebooks reuse (resumes; notebooks untouched)"
    )
    _profile_option(p)
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    p.add_argument("--timings", default=None, help="also write each notebook's wall time here")
    p.add_argument("--column", default=None, help="the timings column (default: the profile)")


def _add_seed_record(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seed-record", help="train Part 3's models over seeds; val and test scores")
    _profile_option(p)
    p.add_argument(
        "--models", nargs="+", default=None, help="default: every Part 3 model and the controls"
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--limit", type=int, default=None, help="images per split (default: all)")
    p.add_argument(
        "--out", default=None, help="default: docs/seed_record_<profile>.json in the current folder"
    )
    p.add_argument(
        "--replace", action="store_true",
        help="train the named models' seeds again, replacing their recorded runs",
    )  # fmt: skip


def _add_timings_table(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("timings-table", help="the notebooks' measured wall times as Markdown")
    p.add_argument("--timings", default=str(paths.timings_path()))
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--write", default=None, help="replace the table between markers in this file")


def _add_slides(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("slides", help="build offline reveal.js slide decks of the notebooks")
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--only", default=None, help="only notebooks whose name contains this")
    p.add_argument("--out", default=str(paths.build_dir() / "slides"))
    p.add_argument("--tag", action="store_true", help="set the notebooks' slide metadata instead")
    p.add_argument(
        "--no-notes",
        dest="notes",
        action="store_false",
        help="decks for students: no solution notes and no stored exercise feedback",
    )


def _student_options(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("notebooks", nargs="*", help="default: every NN_*.ipynb of --folder")
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--out", default=str(paths.build_dir() / out))
    p.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty folder that this command did not make",
    )


def _add_student(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("student", help="the student edition: no solutions, answers hidden")
    _student_options(p, "student")
    p.add_argument(
        "--repository",
        default=None,
        help="the GitHub repository of the student copies (default: pyproject's Repository)",
    )
    p.add_argument(
        "--ref", default=None, help="their git tag or branch (default: v<version>-student)"
    )


def _add_nbgrader(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "nbgrader", help="an nbgrader course folder: answers, autograded tests, locked cells"
    )
    _student_options(p, "nbgrader")
    p.add_argument(
        "--points", type=int, default=1, help="points of each exercise's test (default: 1)"
    )
