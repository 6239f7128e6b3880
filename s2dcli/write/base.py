"""The contract every clip-table writer keeps, whatever its format.

A run opens the writer once (with the rows an earlier run already finished, when resuming),
appends each video's rows as the video finishes, and closes it with the whole table in input
order. After `close` the file holds exactly what an uninterrupted run writes; before it, a
format that can grow (CSV, JSON Lines) already shows the finished videos.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pandas as pd


class TableWriter:
    """Base class of the per-format writers (see the module docstring).

    Args:
        path: the clip table's file.
    """

    format: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def open(self, resumed: pd.DataFrame) -> None:
        """Start the file with the rows of videos finished earlier (none for a new run)."""

    def append(self, rows: pd.DataFrame) -> None:
        """Add one finished video's rows."""

    def close(self, table: pd.DataFrame) -> None:
        """Write the final table, replacing the file in one step."""
        self.write(table)

    def write(self, table: pd.DataFrame) -> None:
        """Write `table` as the whole file, atomically."""
        raise NotImplementedError
