"""Command line for teachers and learners: ``python -m course_utils`` or ``course``.

course check                         environment: versions, devices, profile, data folder
course fetch camvid isbi2012         download datasets ahead of time (before going offline)
course fetch --all
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

from course_utils.notebook_rules import clean, notebook_paths
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

    setup(profile=args.profile)
    print(f"data folder: {data_dir()}")
    try:
        mirror = mirror_dir()
    except DatasetError as err:  # a mirror that has gone away: say so, check the rest
        print(f"dataset mirror: PROBLEM: {err}")
        return 1
    print(f"dataset mirror: {mirror if mirror else 'none (downloads from the public URLs)'}")
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from course_utils.data import DatasetError, datasets, fetch
    from course_utils.data.catalog import SOURCES

    names = [n for n in datasets() if n in SOURCES and not SOURCES[n].mirror_only]
    names = names if args.all else args.names
    if not names:
        print("Name datasets to fetch, or --all. Known: " + ", ".join(datasets()))
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


def _merge_timings(path: Path, profile: str, timings: dict[str, float]) -> None:
    """Add this run's wall times to ``path`` (keeps other profiles and notebooks)."""
    record = json.loads(path.read_text()) if path.exists() else {}
    record.setdefault("seconds", {}).setdefault(profile, {}).update(timings)
    record["seconds"][profile] = dict(sorted(record["seconds"][profile].items()))
    path.write_text(json.dumps(record, indent=2) + "\n")


TIMINGS_START, TIMINGS_END = "<!-- timings:start -->", "<!-- timings:end -->"


def timings_table(record: dict, folder: Path) -> str:
    """A Markdown table of the measured wall time of every notebook in each profile."""
    profiles = [p for p in PROFILES if p in record.get("seconds", {})]

    def cell(profile: str, name: str) -> str:
        seconds = record["seconds"][profile].get(name)
        if seconds is None:
            return "not measured"
        return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"

    lines = [
        "| notebook | " + " | ".join(profiles) + " |",
        "|---|" + "---|" * len(profiles),
    ]
    for path in notebook_paths(folder):
        lines.append(
            f"| `{path.stem}` | " + " | ".join(cell(p, path.name) for p in profiles) + " |"
        )
    return "\n".join(lines)


def _cmd_timings_table(args: argparse.Namespace) -> int:
    record = json.loads(Path(args.timings).read_text())
    table = timings_table(record, Path(args.folder))
    if not args.write:
        print(table)
        return 0
    doc = Path(args.write)
    text = doc.read_text()
    if TIMINGS_START not in text or TIMINGS_END not in text:
        print(f"{doc} has no {TIMINGS_START} ... {TIMINGS_END} markers.", file=sys.stderr)
        return 1
    head, rest = text.split(TIMINGS_START, 1)
    tail = rest.split(TIMINGS_END, 1)[1]
    doc.write_text(f"{head}{TIMINGS_START}\n{table}\n{TIMINGS_END}{tail}")
    print(f"{doc}: timing table updated")
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


def _cmd_run_notebooks(args: argparse.Namespace) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    folder = Path(args.folder)
    paths = notebook_paths(folder, args.only)
    if not paths:
        print(f"No notebooks matching in {folder}.", file=sys.stderr)
        return 2
    with _profile_set(args.profile):
        timings = {}
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(
                nb,
                timeout=args.timeout,
                kernel_name="python3",
                resources={"metadata": {"path": str(folder)}},
            )
            start = time.perf_counter()
            print(f"{path.name}: running in profile {args.profile} ...", flush=True)
            try:
                client.execute()
            except CellExecutionError as err:
                print(
                    f"{path.name}: FAILED after {time.perf_counter() - start:.0f} s\n{err}",
                    file=sys.stderr,
                )
                return 1
            seconds = time.perf_counter() - start
            timings[path.name] = round(seconds, 1)
            if args.no_save:
                print(f"{path.name}: done in {seconds:.0f} s (outputs not saved)", flush=True)
                continue
            nbformat.write(nbformat.from_dict(clean(nb)), path)
            print(f"{path.name}: done in {seconds:.0f} s, outputs written", flush=True)
    if args.timings:
        _merge_timings(Path(args.timings), args.profile, timings)
    return 0


def _cmd_slides(args: argparse.Namespace) -> int:
    from course_utils import slides

    paths = notebook_paths(Path(args.folder), args.only)
    if args.tag:
        for path in paths:
            nb = json.loads(path.read_text())
            if slides.split_at_headings(nb) + slides.tag_slides(nb):
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
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

    out = Path(args.out) if args.out else seed_record.default_path(args.profile)
    args.models = args.models or list(seed_record.RECORDED_MODELS)
    print(f"seed record: {out} ({len(args.models)} models x {len(args.seeds)} seeds)")
    seed_record.record_seeds(
        out, profile=args.profile, models=args.models, seeds=args.seeds, limit=args.limit
    )
    print(f"written: {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(prog="course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="print versions, devices, profile and data folder")
    p.add_argument("--profile", default=None)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("fetch", help="download datasets ahead of time")
    p.add_argument("names", nargs="*")
    p.add_argument("--all", action="store_true", help="every dataset with a public URL")
    p.set_defaults(func=_cmd_fetch)

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
    p.set_defaults(func=_cmd_run_notebooks)

    p = sub.add_parser("seed-record", help="train Part 3's models over seeds; val and test scores")
    p.add_argument("--profile", default=DEFAULT_PROFILE, choices=PROFILES, type=str.lower)
    p.add_argument(
        "--models", nargs="+", default=None, help="default: every Part 3 model and the controls"
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--limit", type=int, default=None, help="images per split (default: all)")
    p.add_argument("--out", default=None, help="default: docs/seed_record_<profile>.json")
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
