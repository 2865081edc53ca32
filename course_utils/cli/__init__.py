"""The ``course`` command and the maintainers' and teachers' tools behind it.

Nothing a notebook imports lives here: the learner's API is the rest of ``course_utils``,
and none of it imports this package. :mod:`~course_utils.cli.main` parses the arguments
and hands each subcommand to the module that does the work:

    arguments: what the parser needs beyond argparse (dataset names as choices,
        ``--version``, the one line of an interrupted command).
    check: ``course check`` and ``course check --class`` (with :mod:`readiness`).
    fetch, cache: datasets ahead of time; what the data folder holds.
    lab: ``course lab`` (``make lab``), JupyterLab as root or on a remote machine.
    share_runs, runs_archive: ``course export-runs`` / ``import-runs``.
    notebook_runner, memory_sampler, timings: ``course run-notebooks`` and
        ``course timings-table``.
    prepare: ``course prepare``, every run later notebooks reuse, trained ahead of class.
    seed_record: ``course seed-record``, the recording half of :mod:`course_utils.seed_record`.
    slides: ``course slides``, notebooks as offline slide decks.
    notebook_rules: what the repository keeps in a course notebook (the tools use it too).

``main`` and ``build_parser`` are here too, for the ``course`` scripts installed before
the command moved into this package (they call ``course_utils.cli:main``).
"""

from __future__ import annotations

from course_utils.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
