"""Process statistics the engine reports: peak resident memory."""

from __future__ import annotations

import sys


def peak_rss_bytes() -> int:
    """The process's peak resident set size in bytes (0 where the platform cannot say)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB elsewhere
