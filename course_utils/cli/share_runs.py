"""``course export-runs`` and ``course import-runs``: what they print (the work is
:mod:`course_utils.cli.runs_archive`'s)."""

from __future__ import annotations

import argparse
import sys

from course_utils.cli._format import count_runs, human_size


def cmd_export_runs(args: argparse.Namespace) -> int:
    """Pack one profile's runs into an archive; print its SHA-256 and how to import it."""
    from course_utils.cli.runs_archive import RunsArchiveError, export_runs

    try:
        done = export_runs(args.profile, args.out)
    except RunsArchiveError as err:
        print(err, file=sys.stderr)
        return 1
    print(
        f"{done.path}: {count_runs(len(done.runs))} of profile {done.profile} "
        f"({done.files} files, {human_size(done.size_bytes)}, SHA-256 of each in its manifest): "
        + ", ".join(done.runs)
    )
    print(f"SHA-256 {done.sha256} (give it to whoever imports the archive)")
    print(
        f"On another machine: course import-runs {done.path.name} --sha256 {done.sha256} "
        "(a file or its https:// address)"
    )
    return 0


def cmd_import_runs(args: argparse.Namespace) -> int:
    """Verify an archive of ``export-runs`` and install its runs; say where they went."""
    from course_utils.cli.runs_archive import RunsArchiveError, import_runs
    from course_utils.data.cache import shown_path

    try:
        done = import_runs(args.source, sha256=args.sha256, progress=True)
    except RunsArchiveError as err:
        print(err, file=sys.stderr)
        return 1
    replaced = f" (replaced: {', '.join(done.replaced)})" if done.replaced else ""
    print(
        f"Checked every SHA-256 and installed {count_runs(len(done.runs))} of profile "
        f"{done.profile} into {shown_path(done.folder)}{replaced}: " + ", ".join(done.runs)
    )
    if done.kept_aside is not None:
        print(
            f"Your own files of the runs replaced are kept aside in {shown_path(done.kept_aside)} "
            "(nothing reads them there; delete that folder when you no longer need them)."
        )
    return 0
