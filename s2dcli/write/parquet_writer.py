"""Parquet: written once, when the run ends (a Parquet file cannot grow row by row)."""

from __future__ import annotations

import pandas as pd

from s2dcli.errors import InputError
from s2dcli.write.base import TableWriter
from s2dcli.write.files import replace_file


class ParquetWriter(TableWriter):
    format = "parquet"
    suffixes = (".parquet",)

    def write(self, table: pd.DataFrame) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise InputError(
                "Parquet output needs pyarrow: pip install pyarrow (or write .csv / .jsonl)."
            ) from exc
        replace_file(self.path, lambda tmp: table.to_parquet(tmp, index=False))
