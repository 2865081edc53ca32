"""How the course command prints sizes, durations and counts."""

from __future__ import annotations


def human_size(n: float) -> str:
    """``n`` bytes as ``"512 B"``, ``"2.0 KB"``, ... up to GB."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def duration(seconds: float) -> str:
    """``"45 s"`` under 90 seconds, else minutes: ``"1.6 min"``."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def count_runs(count: int) -> str:
    """``"1 run"``, ``"3 runs"``."""
    return f"{count} run" if count == 1 else f"{count} runs"
