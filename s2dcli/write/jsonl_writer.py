"""JSON Lines: one object per clip, growing video by video while the run goes on."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from s2dcli.write.base import TableWriter
from s2dcli.write.files import append_bytes, replace_bytes


def jsonl_bytes(table: pd.DataFrame) -> bytes:
    """`table` as JSON Lines: one object per row, NaN as null, non-ASCII kept."""
    lines = []
    for row in table.itertuples(index=False, name=None):
        record = {c: _plain(v) for c, v in zip(table.columns, row, strict=True)}
        lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class JsonlWriter(TableWriter):
    format = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def open(self, resumed: pd.DataFrame) -> None:
        self.write(resumed)

    def append(self, rows: pd.DataFrame) -> None:
        if len(rows):
            append_bytes(self.path, jsonl_bytes(rows))

    def write(self, table: pd.DataFrame) -> None:
        replace_bytes(self.path, jsonl_bytes(table))
