"""summary_row / summary_frame: time-weighted shares, dominant labels, ties, empty videos."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from s2dcli.report import (
    SUMMARY_COLUMNS,
    VideoMeta,
    label_shares,
    segments,
    summary_frame,
    summary_row,
)

CLASSES = ["happy", "sad", "neutral"]


def clip_table(rows: list[tuple[str, int, float, float, str]]) -> pd.DataFrame:
    """(video, face_id, start_s, end_s, label) -> a full clip table (confidence 0.8)."""
    out = []
    index: dict[tuple[str, int], int] = {}
    for video, face, start, end, label in rows:
        k = index.get((video, face), 0)
        index[(video, face)] = k + 1
        probs = {f"p_{c}": (0.8 if c == label else 0.1) for c in CLASSES}
        out.append(
            {
                "video": video,
                "face_id": face,
                "clip_index": k,
                "start_frame": int(start * 25),
                "end_frame": int(end * 25) - 1,
                "start_s": start,
                "end_s": end,
                "label": label,
                "confidence": 0.8,
                **probs,
                "box_x": 1.0,
                "box_y": 2.0,
                "box_w": 30.0,
                "box_h": 30.0,
                "det_score": 0.99,
                "model": "s2d_test",
            }
        )
    return pd.DataFrame(out)


# Face 0 owns 0..5.5 s: happy 0..2.5 and 4.25..5.5 (3.75 s), sad 2.5..4.25 (1.75 s).
# Face 1 is a single 2 s neutral clip.
VIDEO = clip_table(
    [
        ("a.mp4", 0, 0.0, 2.0, "happy"),
        ("a.mp4", 0, 1.0, 3.0, "happy"),
        ("a.mp4", 0, 2.0, 4.0, "sad"),
        ("a.mp4", 0, 3.0, 5.0, "sad"),
        ("a.mp4", 0, 3.5, 5.5, "happy"),
        ("a.mp4", 1, 1.0, 3.0, "neutral"),
    ]
)
META = VideoMeta("a.mp4", "ok", "", 6.0, 25.0, 150)


def test_columns_in_order():
    assert SUMMARY_COLUMNS(["x", "y"]) == [
        "video",
        "status",
        "error",
        "duration_s",
        "fps",
        "frames",
        "faces",
        "clips",
        "dominant_label",
        "share_x",
        "share_y",
        "face_labels",
    ]


def test_time_weighted_shares_over_faces_with_an_irregular_tail():
    row = summary_row(META, VIDEO, CLASSES)
    assert list(row) == SUMMARY_COLUMNS(CLASSES)
    assert row["faces"] == 2
    assert row["clips"] == 6
    assert row["share_happy"] == pytest.approx(3.75 / 7.5)
    assert row["share_sad"] == pytest.approx(1.75 / 7.5)
    assert row["share_neutral"] == pytest.approx(2.0 / 7.5)
    assert sum(row[f"share_{c}"] for c in CLASSES) == pytest.approx(1.0)
    assert row["dominant_label"] == "happy"
    assert row["face_labels"] == "0:happy 0.68;1:neutral 1.00"  # 3.75 / 5.5 = 0.682
    assert (row["video"], row["status"], row["error"]) == ("a.mp4", "ok", "")
    assert (row["duration_s"], row["fps"], row["frames"]) == (6.0, 25.0, 150)


def test_shares_agree_with_the_segments_table():
    seg = segments(VIDEO)
    seconds = (seg["end_s"] - seg["start_s"]).groupby(seg["label"]).sum()
    shares = label_shares(VIDEO, CLASSES)
    for c in CLASSES:
        assert shares[c] == pytest.approx(seconds.get(c, 0.0) / seconds.sum())


def test_ties_go_to_the_earlier_class():
    tied = clip_table([("t.mp4", 0, 0.0, 2.0, "sad"), ("t.mp4", 0, 1.0, 3.0, "happy")])
    meta = VideoMeta("t.mp4", "ok")
    row = summary_row(meta, tied, CLASSES)
    assert row["share_happy"] == row["share_sad"] == 0.5
    assert row["dominant_label"] == "happy"
    assert row["face_labels"] == "0:happy 0.50"
    reordered = ["sad", "happy", "neutral"]
    row = summary_row(meta, tied, reordered)
    assert row["dominant_label"] == "sad"
    assert row["face_labels"] == "0:sad 0.50"


def test_zero_length_clips_count_one_each():
    flat = clip_table(
        [
            ("z.mp4", 0, 1.0, 1.0, "sad"),
            ("z.mp4", 0, 1.0, 1.0, "sad"),
            ("z.mp4", 0, 1.0, 1.0, "neutral"),
        ]
    )
    shares = label_shares(flat, CLASSES)
    assert shares == pytest.approx({"happy": 0.0, "sad": 2 / 3, "neutral": 1 / 3})


@pytest.mark.parametrize(
    "status,error", [("failed", "cannot decode: moov atom not found"), ("no_face", "")]
)
def test_videos_without_clips(status, error):
    meta = VideoMeta("b.mp4", status, error, None if status == "failed" else 3.0, None, None)
    row = summary_row(meta, VIDEO.iloc[0:0], CLASSES)
    assert (row["faces"], row["clips"], row["dominant_label"], row["face_labels"]) == (0, 0, "", "")
    assert [row[f"share_{c}"] for c in CLASSES] == [0.0, 0.0, 0.0]
    assert row["error"] == error
    assert summary_row(meta, pd.DataFrame(), CLASSES)["clips"] == 0  # no columns at all


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="status"):
        VideoMeta("a.mp4", "done")
    with pytest.raises(ValueError, match=r"b\.mp4"):
        summary_row(META, pd.concat([VIDEO, clip_table([("b.mp4", 0, 0.0, 2.0, "sad")])]), CLASSES)
    with pytest.raises(ValueError, match="angry"):
        label_shares(clip_table([("a.mp4", 0, 0.0, 2.0, "angry")]), CLASSES)


def test_summary_frame_types_and_csv():
    rows = [
        summary_row(META, VIDEO, CLASSES),
        summary_row(
            VideoMeta("b.mp4", "failed", "boom", None, None, None), VIDEO.iloc[0:0], CLASSES
        ),
    ]
    table = summary_frame(rows, CLASSES)
    assert list(table.columns) == SUMMARY_COLUMNS(CLASSES)
    assert str(table["frames"].dtype) == "Int64"
    assert table["frames"].isna().tolist() == [False, True]
    assert table["faces"].tolist() == [2, 0]
    assert np.isnan(table.loc[1, "duration_s"])
    csv = io.StringIO()
    table.to_csv(csv, index=False)
    lines = csv.getvalue().splitlines()
    assert lines[1].startswith("a.mp4,ok,,6.0,25.0,150,2,6,happy,0.5,")
    assert lines[2] == "b.mp4,failed,boom,,,,0,0,,0.0,0.0,0.0,"
    empty = summary_frame([], CLASSES)
    assert list(empty.columns) == SUMMARY_COLUMNS(CLASSES)
    assert len(empty) == 0
