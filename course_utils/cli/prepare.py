"""Class preparation: train every run that later notebooks reuse, without touching them.

``course prepare --profile default`` executes, in the notebooks' order, each notebook that
saves a trained run (``runs.save_run(model, "name", ...)`` with the name written in its
code), in memory: the notebook files keep their committed outputs. A notebook whose runs
all exist already is skipped, so an interrupted preparation resumes where it stopped.
Which notebooks save which runs is read from the notebooks themselves, so nothing here
names a notebook.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from course_utils.cli.notebook_rules import notebook_paths, runs_trained_since, saved_runs


@dataclasses.dataclass(frozen=True)
class Step:
    """One notebook to execute: the runs it saves and whether they all exist already."""

    path: Path
    runs: tuple[str, ...]
    done: bool


def plan(folder: Path, profile: str) -> list[Step]:
    """The notebooks of ``folder`` that save runs, in order, each marked done or to run."""
    from course_utils import runs

    steps = []
    for path in notebook_paths(folder):
        names = saved_runs(path)
        if names:
            done = all(runs.has_run(name, profile) and _readable(name, profile) for name in names)
            steps.append(Step(path, names, done))
    return steps


def _readable(name: str, profile: str) -> bool:
    """Whether a run's scores file parses (a run cut short by a crash is redone)."""
    from course_utils import runs

    try:
        runs.load_scores(name, profile)
    except (OSError, ValueError):
        return False
    return True


def prepare(
    folder: Path,
    profile: str,
    execute: Callable[[Path], None],
    estimates: Mapping[str, float] | None = None,
    say: Callable[[str], None] = print,
) -> list[Step]:
    """Execute every notebook of ``folder`` whose runs are missing, in order.

    Args:
        folder: the notebooks folder.
        profile: the profile the runs are for (``data/runs/<profile>/``).
        execute: runs one notebook top to bottom without saving it (raises on failure).
        estimates: seconds per notebook file name (the teacher's guide's measured
            times), for the remaining-time estimate; unknown notebooks count as unknown.
        say: where progress lines go.

    Returns:
        The plan, as it was before anything ran.
    """
    steps = plan(folder, profile)
    todo = [s for s in steps if not s.done]
    for step in steps:
        if step.done:
            say(f"{step.path.name}: kept (runs {', '.join(step.runs)} exist in {profile})")
    estimates = estimates or {}
    for i, step in enumerate(todo, start=1):
        left = [estimates.get(s.path.name) for s in todo[i - 1 :]]
        eta = _time_left([x for x in left if x]) if all(left) else "time left unknown"
        say(f"[{i}/{len(todo)}] {step.path.name}: trains {', '.join(step.runs)} ({eta}) ...")
        start = time.perf_counter()
        execute(step.path)
        say(f"[{i}/{len(todo)}] {step.path.name}: done in {time.perf_counter() - start:.0f} s")
    if not todo:
        say(f"Nothing to train: every run of profile {profile} exists.")
    return steps


def _time_left(seconds: list[float]) -> str:
    minutes = sum(seconds) / 60
    return "under a minute left" if minutes < 1 else f"about {minutes:.0f} min left"


def cmd_prepare(args: argparse.Namespace) -> int:
    """``course prepare``: train, in ``args.profile``, every run the notebooks of
    ``args.folder`` save and that is missing, each notebook in a fresh kernel, in memory.

    Returns:
        0 when every run exists; 1 when a notebook failed (run the command again to resume).
    """
    from course_utils import paths, runs
    from course_utils.cli import notebook_runner
    from course_utils.cli.memory_sampler import peak_memory_of_children
    from course_utils.cli.timings import measured_seconds, merge_timings
    from course_utils.data.cache import shown_path

    folder = Path(args.folder)
    estimates = measured_seconds(paths.timings_path(folder.parent), args.profile)
    print(
        f"Training the runs the notebooks of {folder} save, profile {args.profile}, into "
        f"{shown_path(runs.runs_dir(args.profile))} (the notebook files are not changed):",
        flush=True,
    )
    timings: dict[str, float] = {}
    peaks: dict[str, float] = {}
    trained: dict[str, dict[str, float]] = {}  # notebook -> the runs it trained: seconds
    running: list[Path] = []  # the notebook being run, for the failure message

    def execute(path: Path) -> None:
        running[:] = [path]
        start, began = time.perf_counter(), time.time()
        with peak_memory_of_children() as peak:
            notebook_runner.execute(path, args.timeout)
        timings[path.name] = round(time.perf_counter() - start, 1)
        peaks[path.name] = round(peak[0])
        trained[path.name] = runs_trained_since(args.profile, began)

    with notebook_runner.profile_set(args.profile):
        try:
            prepare(folder, args.profile, execute, estimates, say=lambda s: print(s, flush=True))
        except notebook_runner.notebook_failures() as err:
            print(
                f"FAILED: {running[0].name if running else 'a notebook'}: "
                f"{notebook_runner.failure_text(err, args.timeout)}\n"
                "Run `course prepare` again to resume.",
                file=sys.stderr,
            )
            return 1
        finally:
            if args.timings and timings:
                merge_timings(
                    Path(args.timings), args.column or args.profile, timings, peaks, trained
                )
    print(
        f"Ready: every run of profile {args.profile} exists. The seed record notebook 11 "
        f"reads is committed in docs/; `course seed-record --profile {args.profile}` makes "
        "it anew (3 seeds x 6 models: 18 training runs, each about as long as one above)."
    )
    return 0
