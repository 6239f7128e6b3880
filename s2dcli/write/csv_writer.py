"""CSV: the clip table grows video by video while the run goes on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from s2dcli.write.base import TableWriter
from s2dcli.write.files import append_bytes, replace_file


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """`table` as UTF-8 CSV with `\\n` line ends, replacing `path` in one step."""
    replace_file(
        path, lambda tmp: table.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
    )


def csv_rows_bytes(table: pd.DataFrame) -> bytes:
    """`table`'s rows as CSV without the header (as `write_csv` writes them)."""
    return table.to_csv(index=False, header=False, lineterminator="\n").encode("utf-8")


class CsvWriter(TableWriter):
    format = "csv"
    suffixes = (".csv",)

    def open(self, resumed: pd.DataFrame) -> None:
        self.write(resumed)

    def append(self, rows: pd.DataFrame) -> None:
        if len(rows):
            append_bytes(self.path, csv_rows_bytes(rows))

    def write(self, table: pd.DataFrame) -> None:
        write_csv(table, self.path)
