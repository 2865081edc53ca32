"""The notebooks' measured wall times (``docs/timings.json``) and their Markdown tables
(``course timings-table``); ``course run-notebooks`` and ``course prepare`` write them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course_utils.cli._format import duration
from course_utils.cli.notebook_rules import notebook_paths, write_atomically
from course_utils.profiles import PROFILES

TIMINGS_START, TIMINGS_END = "<!-- timings:start -->", "<!-- timings:end -->"
LAPTOP_START, LAPTOP_END = "<!-- laptop:start -->", "<!-- laptop:end -->"

#: The timings column measured here as the calibration laptop computes: float32, and
#: oneDNN's kernels capped at its instruction set (``ONEDNN_MAX_CPU_ISA=AVX2
#: COURSE_PRECISION=float32 course run-notebooks --column "default, float32, AVX2"``).
AVX2_COLUMN = "default, float32, AVX2"
#: How many times longer the calibration laptop takes than this machine capped at AVX2:
#: the lowest and the highest of four ratios measured on it (docs/method.md, *Time on the
#: learner's laptop*): notebook 03's transfer cell (92 s there, 37 s here) and its encoder
#: cell (179 s there, 56 s here).
LAPTOP_RATIO = (2.5, 3.2)


def merge_timings(
    path: Path,
    column: str,
    timings: dict[str, float],
    peaks: dict[str, float] | None = None,
    trained: dict[str, dict[str, float]] | None = None,
) -> None:
    """Add this run's wall times (and peak memory, MB, and per notebook the runs it trained
    with their training seconds) to ``path`` under ``column`` (a profile, or a profile and
    a setting such as ``"default, float32"``); keeps the other columns and notebooks. The
    file is written whole or not at all (an interruption leaves it as it was)."""
    record = json.loads(path.read_text()) if path.exists() else {}
    for key, values in (
        ("seconds", timings),
        ("peak_mb", peaks or {}),
        ("trained", {k: v for k, v in (trained or {}).items() if v}),
    ):
        if values:
            record.setdefault(key, {}).setdefault(column, {}).update(values)
            record[key][column] = dict(sorted(record[key][column].items()))
    write_atomically(path, json.dumps(record, indent=2) + "\n")


def measured_seconds(path: Path, column: str) -> dict[str, float]:
    """The wall time of each notebook (file name: seconds) in one column of a timings file;
    empty when there is no such file."""
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("seconds", {}).get(column, {}))


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
        return "not measured" if seconds is None else duration(seconds)

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


def laptop_table(record: dict, folder: Path) -> str:
    """A Markdown table: each notebook's estimated ``default`` wall time on the laptop the
    step budgets were calibrated on (2-core AVX2 CPU, float32; ``training.CALIBRATION``).

    Each notebook was timed here as that laptop computes (:data:`AVX2_COLUMN`: float32,
    oneDNN capped at AVX2); the laptop takes :data:`LAPTOP_RATIO` times as long (the lowest
    and highest ratio measured on it), so the estimate is a range. The Part 3 training in
    each notebook (the training seconds of the runs it trained) is shown beside it.

    Raises:
        KeyError: when the record has no wall times in :data:`AVX2_COLUMN`.
    """
    from course_utils import training

    seconds = record["seconds"][AVX2_COLUMN]
    trained = record.get("trained", {}).get(AVX2_COLUMN, {})
    low, high = LAPTOP_RATIO
    lines = [
        "| notebook | here (float32, AVX2) | of it, Part 3 training | estimated on the laptop |",
        "|---|---|---|---|",
    ]
    for path in notebook_paths(folder):
        if path.name not in seconds:
            continue
        models = {}
        for run, run_seconds in trained.get(path.name, {}).items():
            try:
                training.model_family(run)
            except ValueError:  # not a Part 3 model (the CIFAR-10 encoder)
                continue
            models[run] = run_seconds
        here = seconds[path.name]
        training_cell = (
            f"{duration(sum(models.values()))} ({', '.join(models)})" if models else "none"
        )
        lines.append(
            f"| `{path.stem}` | {duration(here)} | {training_cell} "
            f"| {_minutes(here * low)} to {_minutes(here * high)} |"
        )
    return "\n".join(lines)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _replace_between(text: str, start: str, end: str, table: str) -> str:
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{start}\n{table}\n{end}{tail}"


def cmd_timings_table(args: argparse.Namespace) -> int:
    """Print the timings table, or (``--write DOC``) replace the tables between the
    markers of ``DOC`` (written whole or not at all); 1 when ``DOC`` has no markers."""
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
    write_atomically(doc, text)
    print(f"{doc}: {' and '.join(made)} table updated")
    return 0
