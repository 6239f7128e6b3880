"""Logging set-up for the command line (library code only logs, through `s2d.*` loggers)."""

from __future__ import annotations

import logging
import warnings

from s2dcli.errors import CheckpointWarning


def setup_logging(verbosity: int = 0, quiet: bool = False) -> None:
    """WARNING by default, DEBUG with -v, ERROR with --quiet; to stderr."""
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbosity > 0:
        level = logging.DEBUG
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("s2d")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # Library warnings that are also logged should not be shown twice.
    warnings.filterwarnings("ignore", category=CheckpointWarning)
