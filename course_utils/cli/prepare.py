"""Class preparation: train every run that later notebooks reuse, without touching them.

``course prepare --profile default`` executes, in the notebooks' order, each notebook that
saves a trained run (``runs.save_run(model, "name", ...)`` with the name written in its
code), in memory: the notebook files keep their committed outputs. A notebook whose runs
all exist already is skipped, so an interrupted preparation resumes where it stopped.
Which notebooks save which runs is read from the notebooks themselves, so nothing here
names a notebook.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from course_utils.cli.notebook_rules import notebook_paths

#: ``runs.save_run(<model>, "<name>", ...)`` with the run's name as a string literal.
_SAVE_RUN = re.compile(r"save_run\(\s*[\w.\[\]]+\s*,\s*[\"'](\w+)[\"']", re.S)


@dataclasses.dataclass(frozen=True)
class Step:
    """One notebook to execute: the runs it saves and whether they all exist already."""

    path: Path
    runs: tuple[str, ...]
    done: bool


def saved_runs(path: Path) -> tuple[str, ...]:
    """The run names a notebook saves (string literals passed to ``runs.save_run``)."""
    cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    code = "\n".join("".join(c["source"]) for c in cells if c.get("cell_type") == "code")
    return tuple(dict.fromkeys(_SAVE_RUN.findall(code)))


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
