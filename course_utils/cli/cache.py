"""``course cache``: the datasets, trained runs and rejected files in the data folder."""

from __future__ import annotations

import argparse

from course_utils.cli._format import human_size


def cmd_cache(args: argparse.Namespace) -> int:
    """List what the data folder holds, with sizes; ``--clear-rejected`` deletes the files
    that failed their checksum."""
    from course_utils.data.cache import (
        cached,
        clear_rejected,
        data_dir,
        rejected_dir,
        rejected_files,
    )
    from course_utils.runs import list_runs

    print(f"data folder: {data_dir()}")
    if args.clear_rejected:
        count = clear_rejected()
        print(f"deleted {count} rejected file(s) from {rejected_dir()}")
        return 0
    entries, runs, rejected = cached(), list_runs(), rejected_files()
    if not (entries or runs or rejected):
        print("(empty: nothing fetched yet)")
        return 0
    total = 0
    if entries:
        print("datasets:")
        for entry in entries:
            print(f"  {entry.name:<16} {entry.files:>7} files  {human_size(entry.size_bytes):>9}")
        total += sum(e.size_bytes for e in entries)
    if runs:
        print("trained runs (saved by the notebooks, per profile):")
        for run in runs:
            note = "" if run.complete else "  (incomplete: model or scores missing)"
            print(f"  {run.profile:<8} {run.name:<32} {human_size(run.size_bytes):>9}{note}")
        total += sum(r.size_bytes for r in runs)
    if rejected:
        size = sum(r.size_bytes for r in rejected)
        print(
            f"rejected files: {len(rejected)} in {rejected_dir()}, {human_size(size)} "
            "(they failed their checksum; nothing uses them)"
        )
        for item in rejected:
            print(f"  {item.path.relative_to(rejected_dir())}  {human_size(item.size_bytes)}")
        print("  to delete them: python -m course_utils cache --clear-rejected")
        total += size
    print(f"total {human_size(total)}")
    return 0
