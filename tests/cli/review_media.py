"""Generated face-crop videos with a known label each, for the `s2d review` tests.

A video is a face from a real photograph (InsightFace's close-up or NASA's astronaut, see
`tests.faces_media`), framed a little differently each time and drifting slowly; its label is
"happy" when the face is upright and well lit, "sad" when it is upside down and dim: a task
the tiny golden model cannot do before fine-tuning (it knows neither name) and learns in a
few epochs. The videos are face crops already, for `--faces none`.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests import faces_media as fm
from tests.engine.videos import write_frames

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
TINY = [
    "--weights",
    str(GOLDEN / "tinyA_s2d.pth"),
    "--model-config",
    str(GOLDEN / "tinyA_config.json"),
    "--landmark-weights",
    str(GOLDEN / "tinyA_landmark.pth.tar"),
]
LABELS = ("happy", "sad")  # upright and lit, upside down and dim
DIM = 0.4


def face_video(
    path: Path,
    upside_down: bool,
    seed: int,
    seconds: float = 3.0,
    fps: int = 8,
    size: int = 64,
    source: int | None = None,
) -> Path:
    """Write one face video (`seconds` long at `fps`, `size` square) and return its path.
    `source` picks the photograph (0 the close-up, 1 the astronaut; None: by `seed`)."""
    rng = np.random.default_rng(seed)
    sources = [fm.face_crop(), fm.astronaut(256)]
    source = sources[(seed if source is None else source) % len(sources)]
    x0, y0, x1, y1 = source.boxes[0]
    cx, cy = (x0 + x1) / 2 + rng.uniform(-6, 6), (y0 + y1) / 2 + rng.uniform(-6, 6)
    side = max(x1 - x0, y1 - y0) * rng.uniform(1.1, 1.5)
    drift = rng.uniform(-1.5, 1.5, size=2)
    frames = []
    for t in range(round(seconds * fps)):
        x, y = cx + t * drift[0], cy + t * drift[1]
        matrix = np.array(
            [
                [size / side, 0, size / 2 - x * size / side],
                [0, size / side, size / 2 - y * size / side],
            ]
        )
        image = cv2.warpAffine(source.image, matrix, (size, size), borderMode=cv2.BORDER_REFLECT)
        if upside_down:
            image = (image[::-1].astype(np.float32) * DIM).astype(np.uint8)
        frames.append(np.ascontiguousarray(image))
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_frames(path, frames, fps=fps)


def face_videos(folder: Path, count: int, seed: int, prefix: str = "v") -> dict[str, str]:
    """`count` videos in `folder`, labels alternating, each photograph shown both ways up (so
    the label is the orientation, never the person); returns video name -> label."""
    truth = {}
    for i in range(count):
        name = f"{prefix}{i:02d}.mp4"
        upside_down = bool((i + seed) % 2)
        face_video(folder / name, upside_down, seed * 1000 + i, source=i // 2)
        truth[name] = LABELS[int(upside_down)]
    return truth


def write_plain_labels(path: Path, truth: dict[str, str]) -> Path:
    """A `video,label` file (whole videos) for `s2d train --val-labels` / `s2d evaluate`."""
    lines = ["video,label", *(f"{name},{label}" for name, label in sorted(truth.items()))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fake_results(
    folder: Path,
    videos: Path,
    names: list[str],
    seed: int = 0,
    clips_per_video: int = 2,
    fps: int = 8,
    size: int = 64,
    classes: tuple[str, ...] = ("Happy", "Sad", "Neutral", "Angry", "Surprise", "Disgust", "Fear"),
    record_inputs: bool = False,
) -> Path:
    """An annotate-shaped `results.csv` (and its run record) for videos made by `face_video`,
    with random probabilities instead of a model's: review's tests need no model run.
    `record_inputs` adds the `inputs` key to the record (which annotate does not write yet)."""
    import json

    import pandas as pd

    from s2dcli.write.rows import clip_columns

    rng = np.random.default_rng(seed)
    rows = []
    for name in names:
        for c in range(clips_per_video):
            p = rng.dirichlet([1.0] * len(classes))
            best = int(p.argmax())
            rows.append(
                [
                    name,
                    0,
                    c,
                    c * fps,
                    (c + 2) * fps - 1,
                    float(c),
                    c + 2.0,
                    classes[best],
                    round(float(p[best]), 6),
                    *[round(float(x), 6) for x in p],
                    0.0,
                    0.0,
                    float(size),
                    float(size),
                    1.0,
                    "tinyA_s2d.pth",
                ]
            )
    out = folder / "results.csv"
    pd.DataFrame(rows, columns=clip_columns(classes)).to_csv(out, index=False, lineterminator="\n")
    record = {
        "options": {
            "weights": TINY[1],
            "model_config": TINY[3],
            "landmark_weights": TINY[5],
            "labels": "dfew",
            "faces": "none",
            "detect_every": 5,
            "min_face": 20.0,
            "ext": None,
            "recursive": True,
        }
    }
    if record_inputs:
        record["inputs"] = [str(videos)]
    (folder / "results.csv.run.json").write_text(json.dumps(record), encoding="utf-8")
    return out
