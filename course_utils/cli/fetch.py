"""``course fetch``: download datasets ahead of time (before going offline)."""

from __future__ import annotations

import argparse
import sys

from course_utils.cli._format import human_size


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch the datasets named, ``--course`` (those the notebooks use) or ``--all``.

    Returns:
        0 when all are ready, 1 when one failed, 2 for arguments that name nothing.
    """
    from course_utils.data import DatasetError, datasets, fetch
    from course_utils.data.catalog import SOURCES

    if args.course and (args.all or args.names):
        print(
            "course fetch: give dataset names, --course or --all, not several of them.",
            file=sys.stderr,
        )
        return 2
    if args.course:
        return _fetch_course()
    names = [n for n in datasets() if n in SOURCES and not SOURCES[n].mirror_only]
    names = names if args.all else args.names
    if not names:
        print(
            "course fetch: name the datasets to fetch, or give --course (those the notebooks "
            "use) or --all. Known: " + ", ".join(n for n in datasets() if n in SOURCES),
            file=sys.stderr,
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


def _fetch_course() -> int:
    from course_utils.data.course_datasets import (
        COURSE_DATASETS,
        course_status,
        download_size,
        fetch_course,
    )

    sizes = ", ".join(f"{n} {human_size(download_size(n))}" for n in COURSE_DATASETS)
    total = sum(download_size(n) for n in COURSE_DATASETS)
    todo = sum(s.bytes_to_fetch for s in course_status())
    print(
        f"The course datasets: {sizes}; {human_size(total)} in all, "
        f"{human_size(todo)} of it still to download.",
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
