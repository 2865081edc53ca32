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

#: The timings column measured with the precision a laptop without bfloat16 gets.
FLOAT32_COLUMN = "default, float32"


def merge_timings(
    path: Path,
    column: str,
    timings: dict[str, float],
    peaks: dict[str, float] | None = None,
    trained: dict[str, float] | None = None,
) -> None:
    """Add this run's wall times (and peak memory, MB, and the training seconds of the runs
    trained) to ``path`` under ``column`` (a profile, or a profile and a setting such as
    ``"default, float32"``); keeps the other columns and notebooks. The file is written
    whole or not at all (an interruption leaves it as it was)."""
    record = json.loads(path.read_text()) if path.exists() else {}
    for key, values in (
        ("seconds", timings),
        ("peak_mb", peaks or {}),
        ("train_seconds", trained or {}),
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
            f"| `{path.stem}` | {duration(seconds[path.name])} | {why} "
            f"| {duration(seconds[path.name] * ratio)} |"
        )
    return "\n".join(lines)


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
