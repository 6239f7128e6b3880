"""plot_timeline / plot_label_distribution write real PNGs; timeline_filename is safe and unique."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from s2dcli.report import (
    class_colours,
    plot_label_distribution,
    plot_timeline,
    timeline_filename,
)
from s2dcli.report import plots as plots_module

CLASSES = ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def clip_table(video: str, faces: dict[int, int]) -> pd.DataFrame:
    """`faces`: face_id -> number of 2 s clips every 1 s, with smoothly varying probabilities."""
    rows = []
    for face, n in faces.items():
        for k in range(n):
            logits = np.sin(np.arange(len(CLASSES)) + 0.4 * k + face)
            probs = np.exp(logits) / np.exp(logits).sum()
            best = int(np.argmax(probs))
            rows.append(
                {
                    "video": video,
                    "face_id": face,
                    "clip_index": k,
                    "start_frame": 25 * k,
                    "end_frame": 25 * k + 49,
                    "start_s": float(k),
                    "end_s": float(k + 2),
                    "label": CLASSES[best],
                    "confidence": float(probs[best]),
                    **{f"p_{c}": float(p) for c, p in zip(CLASSES, probs, strict=True)},
                    "box_x": 0.0,
                    "box_y": 0.0,
                    "box_w": 10.0,
                    "box_h": 10.0,
                    "det_score": np.nan,
                    "model": "s2d_test",
                }
            )
    return pd.DataFrame(rows)


def read_png(path: Path) -> np.ndarray:
    import matplotlib.image

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 0 and image.shape[1] > 0
    return image


def test_timeline_many_faces_and_a_single_clip(tmp_path):
    clips = clip_table("sub/a b.mp4", {0: 12, 1: 1, 2: 3})
    out = plot_timeline(clips, CLASSES, tmp_path / "t.png", "sub/a b.mp4 costs $5 <script>")
    assert out == tmp_path / "t.png"
    tall = read_png(out)
    one = plot_timeline(clip_table("c.mp4", {0: 1}), CLASSES, tmp_path / "one.png", "c.mp4")
    short = read_png(one)
    assert tall.shape[0] > short.shape[0]  # one panel per face, stacked
    assert tall.shape[1] == short.shape[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "t.png"]  # no temp files


def test_timeline_without_clips_says_no_face(tmp_path):
    empty = plot_timeline(clip_table("x.mp4", {}), CLASSES, tmp_path / "sub" / "e.png", "x.mp4")
    image = read_png(empty)
    assert image.shape[0] < 300
    assert image.std() > 0  # something is drawn


def test_timeline_caps_the_number_of_faces(tmp_path, monkeypatch):
    monkeypatch.setattr(plots_module, "MAX_FACES", 2)
    capped = read_png(
        plot_timeline(clip_table("m.mp4", {0: 2, 1: 3, 2: 4}), CLASSES, tmp_path / "m.png", "m.mp4")
    )
    two = read_png(
        plot_timeline(clip_table("n.mp4", {0: 2, 1: 3}), CLASSES, tmp_path / "n.png", "n.mp4")
    )
    assert capped.shape == two.shape


def test_label_distribution(tmp_path):
    clips = pd.concat([clip_table("a.mp4", {0: 5}), clip_table("b.mp4", {0: 2, 1: 2})])
    read_png(plot_label_distribution(clips, CLASSES, tmp_path / "dist.png"))
    read_png(plot_label_distribution(clips.iloc[0:0], CLASSES, tmp_path / "empty.png"))


def test_missing_probability_column_is_named(tmp_path):
    clips = clip_table("a.mp4", {0: 2}).drop(columns=["p_fear"])
    with pytest.raises(ValueError, match="p_fear"):
        plot_timeline(clips, CLASSES, tmp_path / "x.png", "a.mp4")


def test_class_colours_are_fixed_and_distinct():
    colours = class_colours(CLASSES)
    assert colours == class_colours(list(reversed(CLASSES)))  # by name, not position
    assert len(set(colours.values())) == len(CLASSES)
    assert class_colours(["a", "b"]) == {"a": "#1f77b4", "b": "#ff7f0e"}


@pytest.mark.parametrize(
    "video",
    [
        "sub/a b.mp4",
        "other/a b.mp4",
        "a b.mp4",
        "<script>alert(1)</script>.mp4",
        "<img src=x onerror=alert(1)>.mp4",
        "vidéo 東京.mkv",
        "東京.mp4",
        ".hidden.mp4",
        "..\\..\\evil.mp4",
        "bad\udcff name.mp4",
        "x" * 300 + ".mp4",
    ],
)
def test_timeline_filename_is_safe(video):
    name = timeline_filename(video)
    assert re.fullmatch(
        r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}-[0-9a-f]{12}\.png|video-[0-9a-f]{12}\.png", name
    ), name
    assert name == timeline_filename(video)


def test_timeline_filename_examples():
    assert timeline_filename("sub/a b.mp4").startswith("a_b-")
    assert timeline_filename("東京.mp4").startswith("video-")
    assert timeline_filename("vidéo.mp4").startswith("video-")  # é -> e
    # "/" separates folders, so the stem of this one is "script>"
    assert timeline_filename("<script>alert(1)</script>.mp4").startswith("script-")
    assert timeline_filename("<img src=x onerror=alert(1)>.mp4").startswith(
        "img_src_x_onerror_alert_1-"
    )
    names = {timeline_filename(v) for v in ("a/x.mp4", "b/x.mp4", "x.mp4", "a/x.mkv")}
    assert len(names) == 4
