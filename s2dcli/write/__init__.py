"""Writing a run's results: the clip table in its format, the journal, the run record.

    writer = writer_for(Path("results.csv"))   # chosen by extension
    writer.open(resumed); writer.append(rows); writer.close(table)

A new output format is one module with a `TableWriter` subclass and one line in `WRITERS`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from s2dcli.errors import InputError
from s2dcli.write.base import TableWriter
from s2dcli.write.csv_writer import CsvWriter, csv_rows_bytes, write_csv
from s2dcli.write.files import append_bytes, replace_bytes, replace_file, writing
from s2dcli.write.jsonl_writer import JsonlWriter, jsonl_bytes
from s2dcli.write.parquet_writer import ParquetWriter
from s2dcli.write.rows import VideoRecord, clip_columns, clip_row, clips_frame

WRITERS: tuple[type[TableWriter], ...] = (CsvWriter, ParquetWriter, JsonlWriter)


def writer_class(path: Path) -> type[TableWriter]:
    """The writer for `path`'s extension.

    Raises:
        InputError: no writer knows the extension.
    """
    suffix = Path(path).suffix.lower()
    for cls in WRITERS:
        if suffix in cls.suffixes:
            return cls
    known = [cls.suffixes[0] for cls in WRITERS]
    choices = ", ".join(known[:-1]) + f" or {known[-1]}"
    raise InputError(f"Cannot tell the format of {str(path)!r} from its extension; use {choices}.")


def writer_for(path: Path) -> TableWriter:
    """A writer for `path`, chosen by its extension."""
    return writer_class(path)(Path(path))


def output_format(path: Path) -> str:
    """`csv`, `parquet` or `jsonl`, from the file's extension."""
    return writer_class(path).format


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a whole table in the format of `path`'s extension, atomically."""
    writer_for(path).write(table)


__all__ = [
    "WRITERS",
    "CsvWriter",
    "JsonlWriter",
    "ParquetWriter",
    "TableWriter",
    "VideoRecord",
    "append_bytes",
    "clip_columns",
    "clip_row",
    "clips_frame",
    "csv_rows_bytes",
    "jsonl_bytes",
    "output_format",
    "replace_bytes",
    "replace_file",
    "write_csv",
    "write_table",
    "writer_class",
    "writer_for",
    "writing",
]
