"""plot_timeline / plot_label_distribution write real PNGs; timeline_filename is safe and unique."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from s2dcli.report import (
    class_colours,
    label_shares,
    plot_label_distribution,
    plot_timeline,
    timeline_filename,
)
from s2dcli.report import plots as plots_module
from s2dcli.report.plots import (
    confident_threshold,
    label_confidence,
    label_distribution_figure,
    timeline_figure,
)

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


def test_timeline_axes_say_probability_and_mark_chance():
    fig = timeline_figure(clip_table("a.mp4", {0: 4, 3: 2}), CLASSES, "a.mp4")
    axes = fig.get_axes()
    assert [ax.get_title(loc="left") for ax in axes] == ["face 0", "face 3"]
    for ax in axes:
        assert ax.get_ylabel() == "probability"
        assert ax.get_ylim() == pytest.approx((-0.02, 1.02))
        dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert len(dashed) == 1
        np.testing.assert_allclose(dashed[0].get_ydata(), 1 / 7)
        assert dashed[0].get_label() == "chance (1/7 = 0.14)"
        assert len(ax.get_lines()) == len(CLASSES) + 1
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [*CLASSES, "chance (1/7 = 0.14)"]
    two = timeline_figure(clip_table("b.mp4", {0: 2}), CLASSES[:2], "b.mp4")
    line = next(x for x in two.get_axes()[0].get_lines() if x.get_linestyle() == "--")
    assert line.get_label() == "chance (1/2 = 0.50)"


def test_confident_threshold_is_halfway_from_chance_to_certainty():
    assert confident_threshold(7) == pytest.approx(4 / 7)
    assert confident_threshold(2) == pytest.approx(0.75)
    assert confident_threshold(1) == 1.0
    with pytest.raises(ValueError, match="at least one class"):
        confident_threshold(0)


def labelled(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    """(face, label, confidence) per 2 s clip, clips of a face every 2 s (no overlap)."""
    counter: dict[int, int] = {}
    table = []
    for face, label, confidence in rows:
        k = counter[face] = counter.get(face, -1) + 1
        table.append(
            {
                "video": "a.mp4",
                "face_id": face,
                "clip_index": k,
                "start_s": 2.0 * k,
                "end_s": 2.0 * k + 2.0,
                "label": label,
                "confidence": confidence,
            }
        )
    return pd.DataFrame(table)


def test_label_confidence_splits_each_share():
    clips = labelled(
        [(0, "happy", 0.9), (0, "happy", 0.2), (0, "sad", 0.3), (1, "happy", 0.6), (1, "sad", 0.8)]
    )
    stats = label_confidence(clips, CLASSES)
    shares = label_shares(clips, CLASSES)
    for c in CLASSES:
        assert stats[c].share == pytest.approx(shares[c])
        assert stats[c].confident + stats[c].uncertain == pytest.approx(stats[c].share)
        assert stats[c].threshold == pytest.approx(4 / 7)
    assert stats["happy"].share == pytest.approx(3 / 5)
    assert stats["happy"].confident == pytest.approx(2 / 5)  # 0.9 and 0.6 >= 4/7
    assert stats["happy"].median_confidence == pytest.approx(0.6)
    assert stats["happy"].clips == 3
    assert stats["sad"].confident == pytest.approx(1 / 5)
    assert stats["sad"].median_confidence == pytest.approx(0.55)
    assert stats["fear"].clips == 0 and np.isnan(stats["fear"].median_confidence)
    with pytest.raises(ValueError, match="calm"):
        label_confidence(labelled([(0, "calm", 0.5)]), CLASSES)
    empty = label_confidence(clips.iloc[0:0], CLASSES)
    assert all(s.share == 0.0 and s.clips == 0 for s in empty.values())


def test_label_chart_shows_near_chance_labels_as_uncertain():
    """The issue's case: every clip "disgust" at 0.157 draws a 100 % bar, all of it uncertain."""
    clips = labelled([(0, "disgust", 0.157), (0, "disgust", 0.16), (1, "disgust", 0.15)])
    fig = label_distribution_figure(clips, CLASSES)
    ax = fig.get_axes()[0]
    bars = ax.patches
    assert len(bars) == 2 * len(CLASSES)  # a confident and an uncertain part per class
    confident, uncertain = bars[: len(CLASSES)], bars[len(CLASSES) :]
    d = CLASSES.index("disgust")
    assert confident[d].get_height() == pytest.approx(0.0)
    assert uncertain[d].get_height() == pytest.approx(1.0)
    assert uncertain[d].get_hatch() == "///"
    texts = [t.get_text() for t in ax.texts]
    assert "100%\nmed 0.16" in texts
    assert texts.count("0%") == len(CLASSES) - 1  # labels without clips have no median
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [
        "confident: confidence >= 0.57",
        "uncertain: below it (chance is 1/7 = 0.14)",
    ]

    sure = label_distribution_figure(labelled([(0, "happy", 0.95), (0, "sad", 0.3)]), CLASSES)
    heights = [p.get_height() for p in sure.get_axes()[0].patches]
    assert heights[0] == pytest.approx(0.5) and heights[len(CLASSES)] == pytest.approx(0.0)
    assert heights[1] == pytest.approx(0.0) and heights[len(CLASSES) + 1] == pytest.approx(0.5)


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
