"""BORIS: per video, the class probabilities of each face as external data and the label
segments as state events; for the run, the ethogram and the subjects to import first.

What BORIS reads, and how (BORIS's own source, olivierfriard/BORIS):

- External data ("Data files" tab of an observation, `observation.py` `add_data_file`; read by
  `utilities.py` `txt2np_array` and plotted by `plot_data_module.py`): a text file whose
  delimiter `csv.Sniffer` finds, with the same number of fields on every row; leading rows
  whose fields are all non-numeric are the header; the plotted columns are given as 1-based
  indices, time first (`1,2`); the time is in seconds of the media and must take at least two
  distinct values. BORIS counts as a header row every row none of whose fields parses as an
  integer (`intfloatstr`), wherever it is, and skips that many rows: a row of decimals only
  would be taken for a header. BORIS plots at most two data series per observation, so each
  face's file holds every class and the user picks the columns.
  `<video>.boris.face N.tsv`: `time` (the middle of each clip, in s), one `p_<class>` column
  per class in the model's order, then `clip` (the clip's index, an integer, which keeps every
  data row a data row for BORIS); one row per clip, times increasing. A face seen in a single
  clip gets two rows (its start and end) so that the series has two times.
- Events ("Observations > Import observations" into the open observation,
  `import_observations.py` `load_observations_from_spreadsheet`): an XLSX (or ODS) sheet whose
  first row names the columns `time`, `subject`, `code`, `modifier`, `comment` (any order, any
  case). A state event is two rows of the same subject and code, its start and its stop; BORIS
  pairs them in time order. `<video>.boris.events.xlsx` has one START and one STOP row per label
  segment (subject `face N`, code the label, comment `confidence 0.82` on the START row) and a
  sixth column `status` (START / STOP, as BORIS's own tabular export names it), which the
  import ignores. `<video>.boris.events.tsv` is the same table as text.
- Ethogram and subjects (the project's "Ethogram" and "Subjects" tabs, "Import ethogram" /
  "Import subjects" > "from a text file (CSV or TSV)", `project_import_export.py`): a TSV with
  the columns `Behavior code, Behavior type, Description, Key, Behavioral category, Excluded
  behaviors` (each class a `State event`), and one with `Key, Subject name, Description` (each
  face id of the run, `face N`). `boris.ethogram.tsv` and `boris.subjects.tsv` in the folder.

Times are seconds with millisecond precision; a segment shorter than 1 ms is left out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from s2dcli.export.base import ExportFile, Writer, face_name, segments_ms, with_suffix
from s2dcli.export.results import RunResults, VideoData

EVENT_COLUMNS = ["time", "subject", "code", "modifier", "comment", "status"]
ETHOGRAM_COLUMNS = [
    "Behavior code",
    "Behavior type",
    "Description",
    "Key",
    "Behavioral category",
    "Excluded behaviors",
]
SUBJECT_COLUMNS = ["Key", "Subject name", "Description"]
ETHOGRAM_FILE = "boris.ethogram.tsv"
SUBJECTS_FILE = "boris.subjects.tsv"
EVENTS_SUFFIX = ".boris.events"


def data_suffix(face_id: int) -> str:
    """`.boris.face 0.tsv`: the external-data file of one face, after the video's stem."""
    return f".boris.{face_name(face_id)}.tsv"


def data_table(video: VideoData, face_id: int, classes: Sequence[str]) -> pd.DataFrame:
    """One face's probabilities over time: `time`, `p_<class>`..., `clip` (see the module
    docstring)."""
    clips = video.spans[video.spans["face_id"] == face_id]
    columns = [f"p_{c}" for c in classes]
    probs = clips[columns].to_numpy(np.float64)
    start = clips["start_s"].to_numpy(np.float64)
    end = clips["end_s"].to_numpy(np.float64)
    index = clips["clip_index"].to_numpy(np.int64)
    if len(clips) == 1:
        times = np.array([start[0], end[0]])
        probs = np.repeat(probs, 2, axis=0)
        index = np.repeat(index, 2)
    else:
        times = (start + end) / 2.0
    table = pd.DataFrame(probs, columns=columns)
    table.insert(0, "time", np.round(times, 3))
    table["clip"] = index
    table = table.sort_values("time", kind="stable")
    return table.drop_duplicates("time", keep="first").reset_index(drop=True)


def events_table(video: VideoData) -> pd.DataFrame:
    """The video's segments as BORIS state events: a START and a STOP row each, in time order
    (a STOP before a START at the same time, so a face changes label in one instant)."""
    rows = []
    for segment in segments_ms(video):
        subject, label = face_name(segment.face_id), segment.label
        comment = f"confidence {segment.confidence:.2f}"
        rows.append((segment.start_ms, 1, subject, label, comment, "START"))
        rows.append((segment.end_ms, 0, subject, label, "", "STOP"))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return pd.DataFrame(
        [
            (t / 1000.0, subject, code, "", comment, status)
            for t, _, subject, code, comment, status in rows
        ],
        columns=EVENT_COLUMNS,
    )


def tsv_bytes(table: pd.DataFrame, float_format: str = "%.6f") -> bytes:
    """A table as tab-separated UTF-8 text with `\\n` line ends."""
    text = table.to_csv(sep="\t", index=False, lineterminator="\n", float_format=float_format)
    return text.encode("utf-8")


def data_bytes(table: pd.DataFrame) -> bytes:
    """An external-data file: the time with 3 decimals, the probabilities with 6."""
    out = table.copy()
    out["time"] = out["time"].map(lambda t: f"{t:.3f}")
    return tsv_bytes(out)


def xlsx_bytes(table: pd.DataFrame, sheet: str = "events") -> bytes:
    """A table as an XLSX workbook of one sheet (header row first). Text is stored as text,
    also when it starts with `=` (never as a formula)."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        ws.append([None if v == "" else v for v in row])
    for cells in ws.iter_rows(min_row=1):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ethogram_table(classes: Sequence[str]) -> pd.DataFrame:
    """Each class as a BORIS state event."""
    return pd.DataFrame(
        [(c, "State event", "s2d class", "", "", "") for c in classes], columns=ETHOGRAM_COLUMNS
    )


def subjects_table(faces: Sequence[int]) -> pd.DataFrame:
    """Each face id as a BORIS subject."""
    return pd.DataFrame(
        [("", face_name(f), f"face track {int(f)} of s2d annotate") for f in faces],
        columns=SUBJECT_COLUMNS,
    )


def _face_bytes(video: VideoData, face: int, classes: Sequence[str]) -> bytes:
    return data_bytes(data_table(video, face, classes))


def _video_files(run: RunResults, video: VideoData, base: Path) -> list[ExportFile]:
    files = [
        ExportFile(
            with_suffix(base, data_suffix(face)),
            partial(_face_bytes, video, face, run.classes),
        )
        for face in video.faces
    ]
    files.append(
        ExportFile(
            with_suffix(base, EVENTS_SUFFIX + ".xlsx"), lambda: xlsx_bytes(events_table(video))
        )
    )
    files.append(
        ExportFile(
            with_suffix(base, EVENTS_SUFFIX + ".tsv"),
            lambda: tsv_bytes(events_table(video), float_format="%.3f"),
        )
    )
    return files


def _run_files(run: RunResults, out_dir: Path, videos: Sequence[VideoData]) -> list[ExportFile]:
    faces = sorted({face for video in videos for face in video.faces})
    return [
        ExportFile(out_dir / ETHOGRAM_FILE, lambda: tsv_bytes(ethogram_table(run.classes))),
        ExportFile(out_dir / SUBJECTS_FILE, lambda: tsv_bytes(subjects_table(faces))),
    ]


WRITER = Writer(
    name="boris",
    summary="BORIS: per face a probability file to plot, per video the segments as state "
    "events, and the ethogram and subjects of the run",
    video_files=_video_files,
    run_files=_run_files,
)

__all__ = [
    "ETHOGRAM_FILE",
    "EVENT_COLUMNS",
    "SUBJECTS_FILE",
    "WRITER",
    "data_bytes",
    "data_suffix",
    "data_table",
    "ethogram_table",
    "events_table",
    "subjects_table",
    "tsv_bytes",
    "xlsx_bytes",
]
