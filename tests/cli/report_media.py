"""Runs for the `s2d report` tests, built once per test session.

`annotated_run`: a real `s2d annotate --report` over generated videos (tiny golden weights,
`--faces none`): a video with a hostile name, one with spaces and `&`, a damaged one (partial)
and a file that is no video (failed).

`crafted_run`: an annotate-shaped clip table over real videos whose labels, boxes and
segments are known exactly (a model run cannot be steered): face 0 of `moving.mp4` is labelled
Happy, Happy, Angry, Sad, Angry, Angry (2 s clips every 1 s) while its box moves 10 px right
per clip; face 1 appears at 2 s. `legacy.avi` (MJPEG in AVI) is a video Chromium cannot play.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.report import segments
from s2dcli.write.rows import clip_columns
from tests.cli.review_media import TINY
from tests.engine.videos import damage_copy, write_video

HOSTILE = "<script>alert(1)<!--<img src=x onerror=alert(2)>.mp4"
CLASSES = ("Happy", "Sad", "Neutral", "Angry", "Surprise", "Disgust", "Fear")
FACE0_LABELS = ("Happy", "Happy", "Angry", "Sad", "Angry", "Angry")
FACE1_LABELS = ("Sad", "Sad", "Sad")
BOX_STEP = 10.0
_BUILT: dict[str, Path] = {}


def annotate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["annotate", *args], catch_exceptions=False)
    return result.exit_code, result.output


def annotated_run(root: Path) -> Path:
    """The folder holding `videos/`, `results.csv` (+ summary, segments, record) and the
    report `annotate --report` wrote into `report/`."""
    if "annotated" in _BUILT:
        return _BUILT["annotated"]
    videos = root / "videos"
    videos.mkdir(parents=True)
    write_video(videos / HOSTILE, 75, height=48, width=64, gop=25)
    write_video(videos / "a b&c.mp4", 100, height=48, width=96, gop=25)
    whole = write_video(root / "whole.mp4", 150, height=96, width=128, gop=25).path
    damage_copy(whole, videos / "damaged.mp4", 43)
    (videos / "broken.mp4").write_bytes(b"this is not a video")
    code, output = annotate(
        str(videos),
        "-o",
        str(root / "results.csv"),
        *TINY,
        "--classes",
        "dfew",
        "--faces",
        "none",
        "--device",
        "cpu",
        "--report",
        str(root / "report"),
    )
    assert code == 1, output  # broken.mp4 failed; the rest were processed
    _BUILT["annotated"] = root
    return root


def _clip_rows(name: str, face: int, first: float, labels: tuple[str, ...], box0: float) -> list:
    rows = []
    for c, label in enumerate(labels):
        start = first + c
        p = [0.02] * len(CLASSES)
        p[CLASSES.index(label)] = 1 - 0.02 * (len(CLASSES) - 1) - 0.01 * c
        p[CLASSES.index("Neutral") if label != "Neutral" else 0] += 0.01 * c
        best = max(range(len(p)), key=p.__getitem__)
        box = [box0 + BOX_STEP * c, 20.0 + face * 10, 40.0, 40.0]
        frames = [round(start * 25), round((start + 2) * 25) - 1]
        rows.append(
            [name, face, c, *frames, start, start + 2.0, CLASSES[best], round(p[best], 6)]
            + [round(v, 6) for v in p]
            + [*box, 0.9, "crafted"]
        )
    return rows


def crafted_run(root: Path) -> Path:
    """The folder holding `videos/` (moving.mp4, legacy.avi), a crafted `results.csv` with
    its segments and run record (no summary: the report rebuilds it)."""
    if "crafted" in _BUILT:
        return _BUILT["crafted"]
    videos = root / "videos"
    videos.mkdir(parents=True)
    write_video(videos / "moving.mp4", 175, height=120, width=160, gop=25)
    write_video(videos / "legacy.avi", 100, height=48, width=64, codec="mjpeg")
    rows = _clip_rows("moving.mp4", 0, 0.0, FACE0_LABELS, 10.0)
    rows += _clip_rows("moving.mp4", 1, 2.0, FACE1_LABELS, 90.0)
    rows += _clip_rows("legacy.avi", 0, 0.0, ("Neutral", "Happy", "Happy"), 5.0)
    table = pd.DataFrame(rows, columns=clip_columns(CLASSES))
    table.to_csv(root / "results.csv", index=False, lineterminator="\n")
    segments(table).to_csv(root / "results.segments.csv", index=False, lineterminator="\n")
    record = {"inputs": [str(videos)], "cwd": str(root), "options": {"faces": "scrfd"}}
    (root / "results.csv.run.json").write_text(json.dumps(record), encoding="utf-8")
    _BUILT["crafted"] = root
    return root
