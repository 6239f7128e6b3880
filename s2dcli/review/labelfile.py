"""`labels.csv` of a review: the chosen clips in the label format `s2d train` reads.

    video,start_s,end_s,face_id,label,prediction,confidence
    interviews/p01.mp4,12,14,0,sad,sad,0.3121

`label` starts as the model's prediction (a person corrects it, here or on the review page);
`prediction` and `confidence` are kept beside it for reference and are ignored by
`s2d train`. Video names are those of the `annotate` run, relative to the folder its inputs
were found under (`s2d train --videos` that folder). The review page's "Save labels.csv"
button writes the same bytes as this module when nothing was changed: both quote a field only
when it holds a comma, a double quote or a line break, end lines with `\\n` and write UTF-8
without a byte-order mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from s2dcli.atomic import write_atomic

LABEL_COLUMNS = ("video", "start_s", "end_s", "face_id", "label", "prediction", "confidence")
LABEL_COLUMN = LABEL_COLUMNS.index("label")


def number(value: float, digits: int) -> str:
    """`value` with at most `digits` decimals and no trailing zeros (`12.0` -> `12`)."""
    text = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def label_rows(chosen: pd.DataFrame) -> list[list[str]]:
    """One row of `LABEL_COLUMNS` (as text) per chosen clip, labelled with its prediction."""
    return [
        [
            clean(str(row.video)),
            number(row.start_s, 3),
            number(row.end_s, 3),
            str(int(row.face_id)),
            clean(str(row.label)),
            clean(str(row.label)),
            number(row.confidence, 4),
        ]
        for row in chosen.itertuples(index=False)
    ]


def clean(text: str) -> str:
    """Text that encodes as UTF-8: lone surrogates (undecodable file names) become U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def csv_field(text: str) -> str:
    """One CSV field, quoted only when it must be."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(rows: Iterable[Sequence[str]], header: Sequence[str] = LABEL_COLUMNS) -> str:
    lines = [",".join(csv_field(f) for f in header)]
    lines += [",".join(csv_field(f) for f in row) for row in rows]
    return "\n".join(lines) + "\n"


def write_labels(path: Path, rows: Iterable[Sequence[str]]) -> Path:
    """Write `labels.csv` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, csv_text(rows))


__all__ = [
    "LABEL_COLUMN",
    "LABEL_COLUMNS",
    "csv_field",
    "csv_text",
    "label_rows",
    "number",
    "write_labels",
]
