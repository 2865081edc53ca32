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
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from course_utils.cli import notebook_rules
from course_utils.cli.notebook_rules import clean, notebook_paths
from course_utils.profiles import DEFAULT_PROFILE, PROFILE_ENV_VAR, PROFILES


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _cmd_check(args: argparse.Namespace) -> int:
    from course_utils.data import DatasetError, data_dir, mirror_dir
    from course_utils.env import setup

    if args.for_class:
        return _check_class()
    setup(profile=args.profile)
    print(f"data folder: {data_dir()}")
    try:
        mirror = mirror_dir()
    except DatasetError as err:  # a mirror that has gone away: say so, check the rest
        print(f"dataset mirror: PROBLEM: {err}")
        return 1
    print(f"dataset mirror: {mirror if mirror else 'none (downloads from the public URLs)'}")
    return 0


def _check_class() -> int:
    from course_utils.cli import readiness
    from course_utils.data.cache import data_dir, shown_path

    print(f"Pre-class check (data folder: {shown_path(data_dir())})", flush=True)
    findings = []
    for check in readiness.CHECKS:  # one at a time: importing TensorFlow takes a while
        finding = check()
        findings.append(finding)
        state = "ok" if finding.ok else "TO FIX"
        print(f"  {state:<7} {finding.what + ':':<10} {finding.detail}", flush=True)
    print(readiness.verdict(findings))
    return 0 if all(f.ok for f in findings) else 1


def _fetch_course() -> int:
    from course_utils.data.course_datasets import (
        COURSE_DATASETS,
        course_status,
        download_size,
        fetch_course,
    )

    sizes = ", ".join(f"{n} {_human(download_size(n))}" for n in COURSE_DATASETS)
    total = sum(download_size(n) for n in COURSE_DATASETS)
    todo = sum(s.bytes_to_fetch for s in course_status())
    print(
        f"The course datasets: {sizes}; {_human(total)} in all, "
        f"{_human(todo)} of it still to download.",
        flush=True,
    )
    failed = 0
    for outcome in fetch_course():
        if outcome.fetched is None:
            failed += 1
            print(f"{outcome.name}: FAILED: {outcome.error}", file=sys.stderr)
        elif outcome.fetched != outcome.name:
            reason = outcome.error.split(". ", 1)[0].rstrip(".")
            print(
                f"{outcome.name}: its official files could not be fetched ({reason}); "
                f"fetched the copy that stands in for it, {outcome.fetched}, into "
                f"{outcome.path} (the notebooks use it and say so)."
            )
        else:
            print(f"{outcome.name}: ready in {outcome.path}")
    if failed:
        print(f"{failed} course dataset(s) could not be fetched: see above.", file=sys.stderr)
        return 1
    print("All course datasets are in the data folder: the notebooks can run offline.")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from course_utils.data import DatasetError, datasets, fetch
    from course_utils.data.catalog import SOURCES

    if args.course and (args.all or args.names):
        print("Give dataset names, --course or --all, not several of them.", file=sys.stderr)
        return 2
    if args.course:
        return _fetch_course()
    names = [n for n in datasets() if n in SOURCES and not SOURCES[n].mirror_only]
    names = names if args.all else args.names
    if not names:
        print(
            "Name datasets to fetch, --course (those the notebooks use) or --all. Known: "
            + ", ".join(datasets())
        )
        return 2
    failed = 0
    for name in names:
        try:
            path = fetch(name)
            print(f"{name}: ready in {path}")
        except (DatasetError, ValueError) as err:
            failed += 1
            print(f"{name}: FAILED: {err}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_cache(args: argparse.Namespace) -> int:
    from course_utils.data.cache import (
        cached,
        cached_runs,
        clear_rejected,
        data_dir,
        rejected_dir,
        rejected_files,
    )

    print(f"data folder: {data_dir()}")
    if args.clear_rejected:
        count = clear_rejected()
        print(f"deleted {count} rejected file(s) from {rejected_dir()}")
        return 0
    entries, runs, rejected = cached(), cached_runs(), rejected_files()
    if not (entries or runs or rejected):
        print("(empty: nothing fetched yet)")
        return 0
    total = 0
    if entries:
        print("datasets:")
        for entry in entries:
            print(f"  {entry.name:<16} {entry.files:>7} files  {_human(entry.size_bytes):>9}")
        total += sum(e.size_bytes for e in entries)
    if runs:
        print("trained runs (saved by the notebooks, per profile):")
        for run in runs:
            note = "" if run.complete else "  (incomplete: model or scores missing)"
            print(f"  {run.profile:<8} {run.name:<32} {_human(run.size_bytes):>9}{note}")
        total += sum(r.size_bytes for r in runs)
    if rejected:
        size = sum(r.size_bytes for r in rejected)
        print(
            f"rejected files: {len(rejected)} in {rejected_dir()}, {_human(size)} "
            "(they failed their checksum; nothing uses them)"
        )
        for item in rejected:
            print(f"  {item.path.relative_to(rejected_dir())}  {_human(item.size_bytes)}")
        print("  to delete them: python -m course_utils cache --clear-rejected")
        total += size
    print(f"total {_human(total)}")
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    from course_utils.cli import lab

    return lab.launch(args.folder, port=args.port, ip=args.ip, remote=args.remote)


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _cmd_export_runs(args: argparse.Namespace) -> int:
    from course_utils.cli.runs_archive import RunsArchiveError, export_runs

    try:
        done = export_runs(args.profile, args.out)
    except RunsArchiveError as err:
        print(err, file=sys.stderr)
        return 1
    print(
        f"{done.path}: {_runs(len(done.runs))} of profile {done.profile} "
        f"({done.files} files, {_human(done.size_bytes)}, SHA-256 of each in its manifest): "
        + ", ".join(done.runs)
    )
    print(f"SHA-256 {done.sha256} (give it to whoever imports the archive)")
    print(
        f"On another machine: course import-runs {done.path.name} --sha256 {done.sha256} "
        "(a file or its https:// address)"
    )
    return 0


def _cmd_import_runs(args: argparse.Namespace) -> int:
    from course_utils.data.cache import shown_path
    from course_utils.cli.runs_archive import RunsArchiveError, import_runs

    try:
        done = import_runs(args.source, sha256=args.sha256)
    except RunsArchiveError as err:
        print(err, file=sys.stderr)
        return 1
    replaced = f" (replaced: {', '.join(done.replaced)})" if done.replaced else ""
    print(
        f"Checked every SHA-256 and installed {_runs(len(done.runs))} of profile {done.profile} "
        f"into {shown_path(done.folder)}{replaced}: " + ", ".join(done.runs)
    )
    if done.kept_aside is not None:
        print(
            f"Your own files of the runs replaced are kept aside in {shown_path(done.kept_aside)} "
            "(nothing reads them there; delete that folder when you no longer need them)."
        )
    return 0


def _merge_timings(
    path: Path,
    column: str,
    timings: dict[str, float],
    peaks: dict[str, float] | None = None,
    trained: dict[str, float] | None = None,
) -> None:
    """Add this run's wall times (and peak memory, MB, and the training seconds of the runs
    trained) to ``path`` under ``column`` (a profile, or a profile and a setting such as
    ``"default, float32"``); keeps the other columns and notebooks."""
    record = json.loads(path.read_text()) if path.exists() else {}
    for key, values in (
        ("seconds", timings),
        ("peak_mb", peaks or {}),
        ("train_seconds", trained or {}),
    ):
        if values:
            record.setdefault(key, {}).setdefault(column, {}).update(values)
            record[key][column] = dict(sorted(record[key][column].items()))
    path.write_text(json.dumps(record, indent=2) + "\n")


TIMINGS_START, TIMINGS_END = "<!-- timings:start -->", "<!-- timings:end -->"


def timings_table(record: dict, folder: Path) -> str:
    """A Markdown table of the measured wall time of every notebook in each column.

    The columns are the record's profiles (``quick``, ``default``, ``full``), then its
    other measured columns (e.g. ``"default, float32"``), then the names listed in
    ``record["not_measured"]``, whose every cell says so: a time is measured or absent,
    never estimated.
    """
    seconds_of = record.get("seconds", {})
    profiles = [p for p in PROFILES if p in seconds_of]
    profiles += [c for c in seconds_of if c not in profiles]
    profiles += [c for c in record.get("not_measured", []) if c not in profiles]

    def cell(profile: str, name: str) -> str:
        seconds = seconds_of.get(profile, {}).get(name)
        if seconds is None:
            return "not measured"
        return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"

    peaks_of = record.get("peak_mb", {})

    def memory(column: str, name: str) -> str:
        mb = peaks_of[column].get(name)
        if mb is None:
            return "not measured"
        return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"

    memory_columns = [c for c in profiles if c in peaks_of]
    headers = profiles + [f"peak memory, {c}" for c in memory_columns]
    lines = ["| notebook | " + " | ".join(headers) + " |", "|---|" + "---|" * len(headers)]
    for path in notebook_paths(folder):
        cells = [cell(p, path.name) for p in profiles]
        cells += [memory(c, path.name) for c in memory_columns]
        lines.append(f"| `{path.stem}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


LAPTOP_START, LAPTOP_END = "<!-- laptop:start -->", "<!-- laptop:end -->"

#: The timings column measured with the precision a laptop without bfloat16 gets.
FLOAT32_COLUMN = "default, float32"


def laptop_table(record: dict, folder: Path) -> str:
    """A Markdown table: each notebook's estimated ``default`` wall time on the laptop the
    step budgets were calibrated on (``training.CALIBRATION``: 6 min per Part 3 model).

    A Part 3 model's ratio is the laptop's 6 minutes over this machine's float32 training
    time for the same steps (``record["train_seconds"][FLOAT32_COLUMN]``, written by
    ``course prepare --timings``). A notebook's estimate is its float32 wall time here times
    the ratio of the model it trains (the run it saves), or the median ratio when it trains
    none. Tracing, plotting and Python do not slow down as much as training, so scaling the
    whole notebook errs on the long side.

    Raises:
        KeyError: when the record has no float32 wall times or no training times.
    """
    import statistics

    from course_utils import training
    from course_utils.cli import prepare

    seconds = record["seconds"][FLOAT32_COLUMN]
    laptop_seconds = 60 * float(training.CALIBRATION["minutes"])  # type: ignore[arg-type]
    ratios: dict[str, float] = {}
    for run, here in record["train_seconds"][FLOAT32_COLUMN].items():
        try:
            training.model_family(run)
        except ValueError:  # not a Part 3 model (the CIFAR-10 encoder): no calibration
            continue
        ratios[run] = laptop_seconds / here
    if not ratios:
        raise KeyError("no Part 3 model's float32 training time in the record")
    median = statistics.median(ratios.values())
    lines = [
        "| notebook | float32 here | ratio | estimated on the laptop |",
        "|---|---|---|---|",
    ]
    for path in notebook_paths(folder):
        if path.name not in seconds:
            continue
        main = next((r for r in prepare.saved_runs(path) if r in ratios), None)
        ratio = ratios[main] if main else median
        why = f"{ratio:.1f} ({main})" if main else f"{ratio:.1f} (median)"
        lines.append(
            f"| `{path.stem}` | {_duration(seconds[path.name])} | {why} "
            f"| {_duration(seconds[path.name] * ratio)} |"
        )
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _replace_between(text: str, start: str, end: str, table: str) -> str:
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{start}\n{table}\n{end}{tail}"


def _cmd_timings_table(args: argparse.Namespace) -> int:
    record = json.loads(Path(args.timings).read_text())
    table = timings_table(record, Path(args.folder))
    if not args.write:
        print(table)
        return 0
    doc = Path(args.write)
    text = doc.read_text()
    made = []
    if TIMINGS_START in text and TIMINGS_END in text:
        text = _replace_between(text, TIMINGS_START, TIMINGS_END, table)
        made.append("timing")
    if LAPTOP_START in text and LAPTOP_END in text:
        text = _replace_between(
            text, LAPTOP_START, LAPTOP_END, laptop_table(record, Path(args.folder))
        )
        made.append("laptop estimate")
    if not made:
        print(
            f"{doc} has neither {TIMINGS_START} ... {TIMINGS_END} nor "
            f"{LAPTOP_START} ... {LAPTOP_END} markers.",
            file=sys.stderr,
        )
        return 1
    doc.write_text(text)
    print(f"{doc}: {' and '.join(made)} table updated")
    return 0


@contextmanager
def _profile_set(profile: str) -> Iterator[None]:
    """Set ``$COURSE_PROFILE`` for the kernels started inside, then put it back as it was."""
    before = os.environ.get(PROFILE_ENV_VAR)
    os.environ[PROFILE_ENV_VAR] = profile
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PROFILE_ENV_VAR, None)
        else:
            os.environ[PROFILE_ENV_VAR] = before


def _notebook_failures() -> tuple[type[Exception], ...]:
    """What nbclient raises when a notebook does not run to the end: a cell's error, a cell
    over the time limit, a kernel that died (killed for memory, or a crash)."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    return (CellExecutionError, CellTimeoutError, DeadKernelError)


def _failure_text(err: Exception, timeout: int) -> str:
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


def _execute(path: Path, timeout: int, text: str | None = None) -> Any:
    """Run a notebook top to bottom in a fresh kernel, in its folder; return it with outputs.

    ``text``: the file's content when the caller has read it already (to check, before
    writing the notebook back, that nobody changed it meanwhile).
    """
    import nbformat
    from nbclient import NotebookClient

    if text is None:
        text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=True,  # for the slowest-cells line; clean() drops the timestamps
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
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


def _cmd_run_notebooks(args: argparse.Namespace) -> int:
    import nbformat

    folder = Path(args.folder)
    paths = notebook_paths(folder, args.only)
    if not paths:
        print(f"No notebooks matching in {folder}.", file=sys.stderr)
        return 2
    not_written = []
    timings: dict[str, float] = {}
    peaks: dict[str, float] = {}
    with _profile_set(args.profile):
        try:
            for path in paths:
                start = time.perf_counter()
                print(f"{path.name}: running in profile {args.profile} ...", flush=True)
                read = path.read_text(encoding="utf-8")
                try:
                    with _peak_memory_of_children() as peak:
                        nb = _execute(path, args.timeout, read)
                    peaks[path.name] = round(peak[0])
                except _notebook_failures() as err:
                    print(
                        f"{path.name}: FAILED after {time.perf_counter() - start:.0f} s: "
                        f"{_failure_text(err, args.timeout)}",
                        file=sys.stderr,
                    )
                    return 1
                seconds = time.perf_counter() - start
                timings[path.name] = round(seconds, 1)
                if args.no_save:
                    print(f"{path.name}: done in {seconds:.0f} s (outputs not saved)", flush=True)
                    continue
                text = nbformat.writes(nbformat.from_dict(clean(nb)))
                try:
                    notebook_rules.write_atomically(
                        path, text if text.endswith("\n") else text + "\n", expected=read
                    )
                except notebook_rules.NotebookChangedError as err:
                    print(f"{path.name}: outputs NOT written: {err}", file=sys.stderr)
                    not_written.append(path.name)
                    continue
                print(f"{path.name}: done in {seconds:.0f} s, outputs written", flush=True)
        finally:  # the notebooks that finished keep their times, whatever stopped the rest
            if args.timings and timings:
                _merge_timings(Path(args.timings), args.column or args.profile, timings, peaks)
    if not_written:
        print(
            f"Not written (changed while they ran): {', '.join(not_written)}. Run them again "
            "with --only NAME once they are saved as you want them.",
            file=sys.stderr,
        )
        return 1
    return 0


@contextmanager
def _peak_memory_of_children(interval_s: float = 0.1) -> Iterator[list[float]]:
    """Sample, ten times a second, the memory (RSS, MB) of all processes started from here.

    Yields a one-item list whose item is the peak so far: the kernel's memory plus that
    of any process it starts (notebook 11's memory probes), which is what a notebook needs
    from a machine with little memory (Binder gives 1-2 GB).
    """
    import threading

    import psutil  # comes with ipykernel, which running notebooks needs anyway

    peak = [0.0]
    stop = threading.Event()
    me = psutil.Process()

    def sample() -> None:
        while True:  # a first sample at once: a short notebook may end within one interval
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # it ended between the listing and the reading
                    continue
            peak[0] = max(peak[0], total / 2**20)
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def _cmd_prepare(args: argparse.Namespace) -> int:
    from course_utils import runs
    from course_utils.cli import prepare
    from course_utils.data.cache import shown_path

    folder = Path(args.folder)
    timings_path = folder.parent / "docs" / "timings.json"
    estimates = {}
    if timings_path.is_file():
        estimates = json.loads(timings_path.read_text()).get("seconds", {}).get(args.profile, {})
    print(
        f"Training the runs the notebooks of {folder} save, profile {args.profile}, into "
        f"{shown_path(runs.runs_dir(args.profile))} (the notebook files are not changed):",
        flush=True,
    )
    timings: dict[str, float] = {}
    peaks: dict[str, float] = {}

    trained: dict[str, float] = {}

    running: list[Path] = []  # the notebook being run, for the failure message

    def execute(path: Path) -> None:
        running[:] = [path]
        start = time.perf_counter()
        with _peak_memory_of_children() as peak:
            _execute(path, args.timeout)
        timings[path.name] = round(time.perf_counter() - start, 1)
        peaks[path.name] = round(peak[0])
        for name in prepare.saved_runs(path):  # each run's own training time, for the ratios
            seconds = runs.load_scores(name, args.profile).get("train_seconds")
            if seconds:
                trained[name] = float(seconds)

    with _profile_set(args.profile):
        try:
            prepare.prepare(
                folder, args.profile, execute, estimates, say=lambda line: print(line, flush=True)
            )
        except _notebook_failures() as err:
            print(
                f"FAILED: {running[0].name if running else 'a notebook'}: "
                f"{_failure_text(err, args.timeout)}\n"
                "Run `course prepare` again to resume.",
                file=sys.stderr,
            )
            return 1
        finally:
            if args.timings and timings:
                _merge_timings(
                    Path(args.timings), args.column or args.profile, timings, peaks, trained
                )
    print(
        f"Ready: every run of profile {args.profile} exists. The seed record notebook 11 "
        f"reads is committed in docs/; `course seed-record --profile {args.profile}` makes "
        "it anew (3 seeds x 6 models: 18 training runs, each about as long as one above)."
    )
    return 0


def _cmd_slides(args: argparse.Namespace) -> int:
    from course_utils.cli import slides

    paths = notebook_paths(Path(args.folder), args.only)
    if args.tag:

        def tagged(raw: str, _path: Path) -> str:
            nb = json.loads(raw)
            changed = slides.split_at_headings(nb) + slides.tag_slides(nb)
            return notebook_rules.dumps(nb) if changed else raw

        for path in notebook_rules.rewrite_notebooks(paths, tagged):
            print(f"{path.name}: slide metadata updated")
        return 0
    try:
        decks = slides.build_decks(paths, Path(args.out))
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{len(decks)} decks in {args.out}/ (open {args.out}/index.html; press s for notes)")
    return 0


def _cmd_seed_record(args: argparse.Namespace) -> int:
    from course_utils import seed_record

    out = Path(args.out) if args.out else seed_record.output_path(args.profile)
    args.models = args.models or list(seed_record.RECORDED_MODELS)
    try:  # every argument, before the first model trains
        seed_record.check_arguments(
            profile=args.profile, models=args.models, seeds=args.seeds, limit=args.limit
        )
    except ValueError as err:
        print(f"course seed-record: {err}", file=sys.stderr)
        return 1
    print(f"seed record: {out} ({len(args.models)} models x {len(args.seeds)} seeds)")
    try:
        seed_record.record_seeds(
            out, profile=args.profile, models=args.models, seeds=args.seeds, limit=args.limit
        )
    except ValueError as err:  # a record in --out made with other settings: nothing trained
        print(f"course seed-record: {err}", file=sys.stderr)
        return 1
    confusions = seed_record.confusions_path(out)
    print(f"written: {out} and {confusions.name}")
    packaged = seed_record.default_path(args.profile)
    if out.name == packaged.name and packaged.parent.is_dir():
        print(
            f"The course ships {packaged.name} from its package: "
            f"cp {out} {confusions} {packaged.parent}/"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="print versions, devices, profile and data folder")
    p.add_argument("--profile", default=None)
    p.add_argument(
        "--class",
        dest="for_class",
        action="store_true",
        help="before a class: Python, TensorFlow/Keras, course datasets, disk space; "
        "the last line says what to fix",
    )
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("fetch", help="download datasets ahead of time")
    p.add_argument("names", nargs="*")
    p.add_argument("--all", action="store_true", help="every dataset with a public URL")
    p.add_argument(
        "--course", action="store_true", help="the datasets the notebooks use (size printed first)"
    )
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("lab", help="open the notebooks in JupyterLab (what `make lab` runs)")
    p.add_argument("folder", nargs="?", default="notebooks")
    p.add_argument("--port", type=int, default=None, help="default: 8888, or the next free one")
    p.add_argument("--ip", default=None, help="address to listen on (0.0.0.0: every interface)")
    p.add_argument(
        "--remote", action="store_true", help="open no browser; say how to reach the server"
    )
    p.set_defaults(func=_cmd_lab)

    p = sub.add_parser("export-runs", help="pack one profile's trained runs into an archive")
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES, type=str.lower)
    p.add_argument("--out", default=None, help="default: build/runs-<profile>.tar.gz")
    p.set_defaults(func=_cmd_export_runs)

    p = sub.add_parser("import-runs", help="verify and install an archive of export-runs")
    p.add_argument("source", metavar="FILE|URL", help="an archive's path or its https:// address")
    p.add_argument(
        "--sha256",
        default=None,
        help="the archive's SHA-256, as export-runs printed it: anything else is refused",
    )
    p.set_defaults(func=_cmd_import_runs)

    p = sub.add_parser("cache", help="list cached datasets, trained runs and rejected files")
    p.add_argument(
        "--clear-rejected", action="store_true", help="delete the files that failed their checksum"
    )
    p.set_defaults(func=_cmd_cache)

    p = sub.add_parser("run-notebooks", help="execute all notebooks in order, writing outputs")
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES, type=str.lower)
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
    p.set_defaults(func=_cmd_run_notebooks)

    p = sub.add_parser(
        "prepare", help="train every run later notebooks reuse (resumes; notebooks untouched)"
    )
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES, type=str.lower)
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    p.add_argument("--timings", default=None, help="also write each notebook's wall time here")
    p.add_argument("--column", default=None, help="the timings column (default: the profile)")
    p.set_defaults(func=_cmd_prepare)

    p = sub.add_parser("seed-record", help="train Part 3's models over seeds; val and test scores")
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES, type=str.lower)
    p.add_argument(
        "--models", nargs="+", default=None, help="default: every Part 3 model and the controls"
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--limit", type=int, default=None, help="images per split (default: all)")
    p.add_argument(
        "--out", default=None, help="default: docs/seed_record_<profile>.json in the current folder"
    )
    p.set_defaults(func=_cmd_seed_record)

    p = sub.add_parser("timings-table", help="the notebooks' measured wall times as Markdown")
    p.add_argument("--timings", default="docs/timings.json")
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--write", default=None, help="replace the table between markers in this file")
    p.set_defaults(func=_cmd_timings_table)

    p = sub.add_parser("slides", help="build offline reveal.js slide decks of the notebooks")
    p.add_argument("--folder", default="notebooks")
    p.add_argument("--only", default=None, help="only notebooks whose name contains this")
    p.add_argument("--out", default="build/slides")
    p.add_argument("--tag", action="store_true", help="set the notebooks' slide metadata instead")
    p.set_defaults(func=_cmd_slides)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``course`` and ``python -m course_utils``."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))
