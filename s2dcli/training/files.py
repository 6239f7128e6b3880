"""The tables `train` and `evaluate` leave: `metrics.csv`, `predictions.csv`, JSON records.

Each file is written whole and renamed into place (`s2dcli.atomic`), so a reader never sees
half of one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from s2dcli.atomic import write_atomic
from s2dcli.labels import LabelledClip

PREDICTION_COLUMNS = ["video", "start_s", "end_s", "face_id", "label", "predicted", "confidence"]


def write_metrics_csv(path: Path, rows: list[dict[str, object]]) -> None:
    """`metrics.csv`: one row per epoch (epoch, train_loss, val_uar, val_war, ...)."""
    if not rows:
        return
    write_csv(path, list(rows[0]), [list(r.values()) for r in rows])


def write_predictions(
    path: Path, samples: Sequence[LabelledClip], probs: np.ndarray, classes: list[str]
) -> None:
    """`predictions.csv`: each sample, its label, the predicted class, its confidence and
    every class's probability (`probs`: `(N, K)` float)."""
    predicted = probs.argmax(axis=1)
    rows = [
        [
            str(s.video),
            s.start_s,
            s.end_s,
            s.face_id,
            classes[s.label],
            classes[int(p)],
            round(float(pr[p]), 6),
            *np.round(pr, 6).tolist(),
        ]
        for s, p, pr in zip(samples, predicted, probs, strict=True)
    ]
    write_csv(path, [*PREDICTION_COLUMNS, *(f"p_{c}" for c in classes)], rows)


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(path, text.getvalue())


def write_json(path: Path, data: object) -> None:
    write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")
