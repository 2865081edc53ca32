"""``course run-notebooks``: execute notebooks top to bottom in fresh kernels, and the
pieces ``course prepare`` shares (the profile for the kernels, what a failure means)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from course_utils.cli import notebook_rules
from course_utils.cli.memory_sampler import peak_memory_of_children
from course_utils.cli.timings import merge_timings
from course_utils.profiles import PROFILE_ENV_VAR


@contextmanager
def profile_set(profile: str, answers_hidden: bool = False) -> Iterator[None]:
    """Set ``$COURSE_PROFILE`` for the kernels started inside, then put it back as it was.

    ``answers_hidden``: also set ``$COURSE_ANSWERS=hidden`` (``course_utils.exercises``), so
    that the checkers' feedback in the outputs written names no expected answer. The
    committed outputs are the repository's: a learner reads them before trying an exercise.
    """
    from course_utils.exercises._answers import ENV_VAR as ANSWERS_ENV_VAR
    from course_utils.exercises._answers import HIDDEN

    wanted = {PROFILE_ENV_VAR: profile}
    if answers_hidden:
        wanted[ANSWERS_ENV_VAR] = HIDDEN
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def notebook_failures() -> tuple[type[Exception], ...]:
    """What nbclient raises when a notebook does not run to the end: a cell's error, a cell
    over the time limit, a kernel that died (killed for memory, or a crash)."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    return (CellExecutionError, CellTimeoutError, DeadKernelError)


def failure_text(err: Exception, timeout: int) -> str:
    """What stopped a notebook, in words, with what to do when it is not the cell's error."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(err, DeadKernelError):
        return (
            "the kernel died (most often the machine ran out of memory: close other "
            "notebooks and programs, or use a smaller profile such as --profile quick)"
        )
    if isinstance(err, CellTimeoutError):
        first = str(err).splitlines()[0] if str(err) else "a cell timed out"
        return f"{first} (the limit is --timeout {timeout} seconds per cell; raise it)"
    return str(err)


def execute(path: Path, timeout: int, text: str | None = None) -> Any:
    """Run a notebook top to bottom in a fresh kernel, in its folder; return it with outputs.

    ``text``: the file's content when the caller has read it already (to check, before
    writing the notebook back, that nobody changed it meanwhile).

    Raises:
        KeyboardInterrupt: on Ctrl-C (or SIGTERM), once nbclient has stopped the kernel.
    """
    import nbformat
    from nbclient import NotebookClient

    if text is None:
        text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=True,  # for the slowest-cells line; clean() drops the timestamps
        # The outputs are the client's and no course notebook needs exit hooks: the kernel is
        # stopped at once, at the end and on Ctrl-C (a graceful stop of a busy kernel makes
        # it print a traceback of its own).
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except BaseException:
        # nbclient answers Ctrl-C (SIGINT, or SIGTERM) itself: it stops the kernel, notes
        # the clean-up it started, then raises what it saw (a dead kernel, or an assertion of
        # its second clean-up). That is an interruption: say so as Ctrl-C.
        if getattr(client, "_async_cleanup_kernel_future", None) is not None:
            raise KeyboardInterrupt from None
        raise
    slowest = slowest_cells(nb)
    if slowest:
        shown = "; ".join(f"cell {i} ({line}) {s:.0f} s" for i, line, s in slowest)
        print(f"{path.name}: slowest cells: {shown}", flush=True)
    return nb


def slowest_cells(nb: Any, count: int = 3) -> list[tuple[int, str, float]]:
    """The code cells that took longest in a run with nbclient's ``record_timing``.

    Args:
        nb: an executed notebook (a dict), its cells carrying ``metadata.execution``.
        count: how many cells to return.

    Returns:
        ``(index among all cells, first line of the source, seconds)``, slowest first;
        cells without timestamps are left out.
    """
    from datetime import datetime

    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        stamps = cell.get("metadata", {}).get(notebook_rules.TIMING_KEY, {})
        began = stamps.get("iopub.execute_input") or stamps.get("shell.execute_reply.started")
        ended = stamps.get("shell.execute_reply")
        if cell.get("cell_type") != "code" or not (began and ended):
            continue
        began, ended = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (began, ended))
        seconds = (ended - began).total_seconds()
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        first = next((line.strip() for line in source.splitlines() if line.strip()), "")
        found.append((index, first[:48], seconds))
    return sorted(found, key=lambda row: -row[2])[:count]


def cmd_run_notebooks(args: argparse.Namespace) -> int:
    """Execute the notebooks of ``args.folder`` in order in ``args.profile``, writing their
    outputs back (cleaned by :func:`notebook_rules.clean`) unless ``--no-save``.

    Returns:
        0 when all ran and were written; 1 when one failed (the rest are not run) or was
        edited while it ran (it is not written); 2 when no notebook matches.
    """
    folder = Path(args.folder)
    paths = notebook_rules.notebook_paths(folder, args.only)
    if not paths:
        print(f"No notebooks matching in {folder}.", file=sys.stderr)
        return 2
    not_written: list[str] = []
    timings: dict[str, float] = {}
    peaks: dict[str, float] = {}
    trained: dict[str, dict[str, float]] = {}  # notebook -> the runs it trained: seconds
    with profile_set(args.profile, answers_hidden=not args.no_save):
        try:
            for path in paths:
                began = time.time()
                if not _run_one(path, args, timings, peaks, not_written):
                    return 1
                trained[path.name] = notebook_rules.runs_trained_since(args.profile, began)
        finally:  # the notebooks that finished keep their times, whatever stopped the rest
            if args.timings and timings:
                merge_timings(
                    Path(args.timings), args.column or args.profile, timings, peaks, trained
                )
    if not_written:
        print(
            f"Not written (changed while they ran): {', '.join(not_written)}. Run them again "
            "with --only NAME once they are saved as you want them.",
            file=sys.stderr,
        )
        return 1
    return 0


def _run_one(
    path: Path,
    args: argparse.Namespace,
    timings: dict[str, float],
    peaks: dict[str, float],
    not_written: list[str],
) -> bool:
    """Run one notebook and write it back; ``False`` when it failed (the run stops)."""
    import nbformat

    start = time.perf_counter()
    print(f"{path.name}: running in profile {args.profile} ...", flush=True)
    read = path.read_text(encoding="utf-8")
    try:
        with peak_memory_of_children() as peak:
            nb = execute(path, args.timeout, read)
        peaks[path.name] = round(peak[0])
    except notebook_failures() as err:
        print(
            f"{path.name}: FAILED after {time.perf_counter() - start:.0f} s: "
            f"{failure_text(err, args.timeout)}",
            file=sys.stderr,
        )
        return False
    seconds = time.perf_counter() - start
    timings[path.name] = round(seconds, 1)
    if args.no_save:
        print(f"{path.name}: done in {seconds:.0f} s (outputs not saved)", flush=True)
        return True
    text = nbformat.writes(nbformat.from_dict(notebook_rules.clean(nb)))
    try:
        notebook_rules.write_atomically(
            path, text if text.endswith("\n") else text + "\n", expected=read
        )
    except notebook_rules.NotebookChangedError as err:
        print(f"{path.name}: outputs NOT written: {err}", file=sys.stderr)
        not_written.append(path.name)
        return True
    print(f"{path.name}: done in {seconds:.0f} s, outputs written", flush=True)
    return True
