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
course prose-numbers [--only 07_]    the decimals of the notebooks' prose that no output
                                     shows (and no allowlist entry explains)

``course`` alone prints the help (exit code 0) and ``course --version`` the version;
``course COMMAND --help`` gives a command's description and examples. Exit codes (also in
the help's epilog, :data:`EPILOG`): 0 done, 1 failed or a check found something to fix, 2
usage error, 130 interrupted. Ctrl-C ends a command with one line on stderr that says what
it left behind (:data:`course_utils.cli.arguments.AFTER_INTERRUPT`), never a traceback.
The parser's helpers (dataset names as ``choices``, ``--version``, that line) live in
:mod:`course_utils.cli.arguments`; this module only parses and dispatches.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from course_utils import paths
from course_utils.cli.arguments import DatasetNames, VersionAction, interrupted
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
    "prose-numbers": "prose_numbers",
}

DESCRIPTION = (
    "The image-segmentation course's command: datasets, JupyterLab, trained runs, the\n"
    "notebooks' outputs and the teaching material (slides, student edition, nbgrader)."
)

#: The end of ``course --help``: how to learn more, and the exit codes (README says the same).
EPILOG = """\
"course COMMAND --help" says what a command does, with its options and examples.
"course" alone prints this help (exit code 0).

exit codes:
  0    done (for a check: everything is ready)
  1    the command failed, or a check found something to fix: the message says what to do
       (course lab: JupyterLab's own exit code once it ran)
  2    usage error: an unknown command, option or dataset name, or arguments that name
       nothing to do
  130  interrupted (Ctrl-C): its one line says what the command left behind

Error messages go to stderr, results to stdout (the table of course check --class, rows
to fix included, is its result).
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``course`` and ``python -m course_utils``: parse, then run the
    command's ``cmd_<command>`` (see :data:`COMMANDS`); its return value is the exit code
    (:data:`EPILOG` lists them). Without a command, the help; after Ctrl-C, one line and 130."""
    command = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `course` alone: the help, on stdout, and exit code 0
            parser.print_help()
            return 0
        command = args.command
        module = importlib.import_module(f"course_utils.cli.{COMMANDS[command]}")
        return int(getattr(module, "cmd_" + command.replace("-", "_"))(args))
    except KeyboardInterrupt:
        return interrupted(command)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="course", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for add in (_add_check, _add_fetch, _add_lab, _add_runs_archives, _add_cache,
                _add_run_notebooks, _add_prepare, _add_seed_record, _add_timings_table,
                _add_slides, _add_student, _add_nbgrader, _add_prose_numbers):  # fmt: skip
        add(sub)
    return parser


def _command(
    sub: argparse._SubParsersAction, name: str, summary: str, description: str, *examples: str
) -> argparse.ArgumentParser:
    """A subcommand: ``summary`` in ``course --help``; ``description`` (lines as written) and
    ``examples`` (one command each, with an optional ``#`` comment) in its own ``--help``."""
    return sub.add_parser(
        name, help=summary, description=description,
        epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip


def _profile_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES, type=str.lower)


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "check", "print versions, devices, profile and data folder",
        "Print the versions of Python, TensorFlow and Keras, the devices TensorFlow sees, the\n"
        "profile and the data folder; with --class, check that this machine is ready for a class.",
        "course check",
        "course check --class     # before a class: the last line says what to fix",
    )  # fmt: skip
    p.add_argument("--profile", default=None, help="the profile to report (default: the one set)")
    p.add_argument(
        "--class",
        dest="for_class",
        action="store_true",
        help="before a class: Python, TensorFlow/Keras, course datasets, disk space; "
        "the last line says what to fix",
    )


def _add_fetch(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "fetch", "download datasets ahead of time (before going offline)",
        "Download datasets into the data folder ahead of time, every file checked against its\n"
        "SHA-256, so that the notebooks run offline. Files already there are not fetched again.",
        "course fetch --course            # the datasets the notebooks use (size printed first)",
        "course fetch camvid isbi2012",
    )  # fmt: skip
    p.add_argument(
        "names", nargs="*", metavar="NAME", choices=DatasetNames(),
        help="a dataset: %(choices)s (shapes is built in and needs no download)",
    )  # fmt: skip
    p.add_argument("--all", action="store_true", help="every dataset with a public URL")
    p.add_argument(
        "--course", action="store_true", help="the datasets the notebooks use (size printed first)"
    )


def _add_lab(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "lab", "open the notebooks in JupyterLab (what `make lab` runs)",
        "Start JupyterLab on the notebooks; once it answers, the last line printed is the\n"
        "address to open, token included. Ctrl-C is JupyterLab's: it asks before it stops.",
        "course lab",
        "course lab --port 8899 --remote  # on a remote machine: prints the ssh command to use",
    )  # fmt: skip
    p.add_argument("folder", nargs="?", default="notebooks", help="default: notebooks")
    p.add_argument("--port", type=int, default=None, help="default: 8888, or the next free one")
    p.add_argument("--ip", default=None, help="address to listen on (0.0.0.0: every interface)")
    p.add_argument(
        "--remote", action="store_true", help="open no browser; say how to reach the server"
    )


def _add_runs_archives(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "export-runs", "pack one profile's trained runs into an archive",
        "Pack one profile's trained runs (data/runs/<profile>/) into one .tar.gz with the\n"
        "SHA-256 of every file; print the archive's own SHA-256 for whoever imports it.",
        "course export-runs --profile default   # writes build/runs-default.tar.gz",
    )  # fmt: skip
    _profile_option(p)
    p.add_argument("--out", default=None, help="default: build/runs-<profile>.tar.gz")
    p = _command(
        sub, "import-runs", "verify and install an archive of export-runs",
        "Check an archive of export-runs, from a file or an https:// address (paths, manifest,\n"
        "every SHA-256), then install its runs; a failed check installs nothing.",
        "course import-runs runs-default.tar.gz --sha256 <hash>",
        "course import-runs https://example.org/runs-default.tar.gz --sha256 <hash>",
    )  # fmt: skip
    p.add_argument("source", metavar="FILE|URL", help="an archive's path or its https:// address")
    p.add_argument(
        "--sha256",
        default=None,
        help="the archive's SHA-256, as export-runs printed it: anything else is refused",
    )


def _add_cache(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "cache", "list cached datasets, trained runs and rejected files",
        "List what the data folder holds, with sizes: datasets, trained runs, and the files\n"
        "that failed their checksum (kept aside; --clear-rejected deletes them).",
        "course cache",
        "course cache --clear-rejected",
    )  # fmt: skip
    p.add_argument(
        "--clear-rejected", action="store_true", help="delete the files that failed their checksum"
    )


def _add_run_notebooks(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "run-notebooks", "execute all notebooks in order, writing outputs",
        "Execute the notebooks in order, each in a fresh kernel, and write their outputs back\n"
        "(not into a notebook edited meanwhile); it stops at the first that fails.",
        "course run-notebooks --profile quick --only 07_",
    )  # fmt: skip
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
    p = _command(
        sub, "prepare", "train every run later notebooks reuse (resumes; notebooks untouched)",
        "Train, ahead of a class, every run that later notebooks reuse, by running the\n"
        "notebooks that save them (their files are not changed); it resumes where it stopped.",
        "course prepare --profile default",
    )  # fmt: skip
    _profile_option(p)
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    p.add_argument("--timings", default=None, help="also write each notebook's wall time here")
    p.add_argument("--column", default=None, help="the timings column (default: the profile)")


def _add_seed_record(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "seed-record", "train Part 3's models over seeds; val and test scores",
        "Train every Part 3 model with several seeds and record their val and test scores\n"
        "(docs/seed_record_<profile>.json); runs already recorded are kept, so it resumes.",
        "course seed-record --profile quick --models unet segnet --seeds 0 1",
    )  # fmt: skip
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
    p = _command(
        sub, "timings-table", "the notebooks' measured wall times as Markdown",
        "Print the notebooks' measured wall times (docs/timings.json) as a Markdown table, or\n"
        "write the tables between the markers of a document.",
        "course timings-table --write docs/teaching.md",
    )  # fmt: skip
    p.add_argument("--timings", default=str(paths.timings_path()))
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--write", default=None, help="replace the table between markers in this file")


def _add_slides(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "slides", "build offline reveal.js slide decks of the notebooks",
        "Build an offline reveal.js deck of every notebook, the exercise solutions as speaker\n"
        "notes (press s); --tag sets the notebooks' slide metadata instead.",
        "course slides",
        "course slides --no-notes --out build/slides-students   # for students: no solutions",
    )  # fmt: skip
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
    p = _command(
        sub, "student", "the student edition: no solutions, answers hidden",
        "Write the student edition: every notebook without its exercise solutions, checkers\n"
        "that never print the answer, Colab badges and links at the student copies.",
        "course student --out build/student",
    )  # fmt: skip
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
    p = _command(
        sub, "nbgrader", "an nbgrader course folder: answers, autograded tests, locked cells",
        "Write the notebooks as an nbgrader course folder (source/<notebook>/): answer cells,\n"
        "the checkers as autograded tests, every other cell locked.",
        "course nbgrader --out build/nbgrader --points 2",
    )  # fmt: skip
    _student_options(p, "nbgrader")
    p.add_argument(
        "--points", type=int, default=1, help="points of each exercise's test (default: 1)"
    )


def _add_prose_numbers(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub, "prose-numbers", "find numbers in the notebooks' prose that no output shows",
        "Check that every decimal in a notebook's Markdown (0.328, +0.046, 60.7%) is one its\n"
        "code outputs print, rounded; list the others with their sentence (exit code 1). A\n"
        "number that rightly has no output (a paper's figure, a setting) is listed with a reason\n"
        "in course_utils/cli/prose_numbers_allowed.json.",
        "course prose-numbers",
        "course prose-numbers --only 07_     # one notebook",
    )  # fmt: skip
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--only", default=None, help="only notebooks whose name contains this")
