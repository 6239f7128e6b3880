"""segments / owned_spans: exact boundaries on hand-built clip tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from s2dcli.report import SEGMENT_COLUMNS, owned_spans, segments

CLASSES = ["happy", "sad", "neutral"]


def clip_table(rows: list[tuple[str, int, float, float, str, float]]) -> pd.DataFrame:
    """(video, face_id, start_s, end_s, label, confidence) -> a full clip table; clip_index
    counts per (video, face) in the order given."""
    out = []
    index: dict[tuple[str, int], int] = {}
    for video, face, start, end, label, conf in rows:
        k = index.get((video, face), 0)
        index[(video, face)] = k + 1
        probs = {
            f"p_{c}": (conf if c == label else (1 - conf) / (len(CLASSES) - 1)) for c in CLASSES
        }
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
                "confidence": conf,
                **probs,
                "box_x": 1.0,
                "box_y": 2.0,
                "box_w": 30.0,
                "box_h": 30.0,
                "det_score": np.nan,
                "model": "s2d_test",
            }
        )
    return pd.DataFrame(out)


# Face 0 of a.mp4: 2 s clips every 1 s, the last aligned to the end of the track at 5.5 s.
TAIL = [
    ("a.mp4", 0, 0.0, 2.0, "happy", 0.9),
    ("a.mp4", 0, 1.0, 3.0, "happy", 0.7),
    ("a.mp4", 0, 2.0, 4.0, "sad", 0.6),
    ("a.mp4", 0, 3.0, 5.0, "sad", 0.8),
    ("a.mp4", 0, 3.5, 5.5, "happy", 0.5),
]


def as_tuples(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_owned_spans_split_overlaps_at_midpoints_including_irregular_tail():
    spans = owned_spans(clip_table(TAIL))
    assert spans["own_start_s"].tolist() == [0.0, 1.5, 2.5, 3.5, 4.25]
    assert spans["own_end_s"].tolist() == [1.5, 2.5, 3.5, 4.25, 5.5]
    assert spans["owned_s"].tolist() == [1.5, 1.0, 1.0, 0.75, 1.25]
    assert spans["owned_s"].sum() == pytest.approx(5.5)  # the face's covered time


def test_segments_merge_same_label_runs_with_exact_boundaries():
    out = segments(clip_table(TAIL))
    assert list(out.columns) == SEGMENT_COLUMNS
    assert out["video"].tolist() == ["a.mp4"] * 3
    assert out["face_id"].tolist() == [0, 0, 0]
    assert out["start_s"].tolist() == [0.0, 2.5, 4.25]
    assert out["end_s"].tolist() == [2.5, 4.25, 5.5]
    assert out["label"].tolist() == ["happy", "sad", "happy"]
    assert out["confidence"].tolist() == pytest.approx([0.8, 0.7, 0.5])


def test_gap_and_touching_clips_keep_their_own_edges():
    table = clip_table(
        [
            ("v.mp4", 0, 0.0, 2.0, "happy", 0.9),
            ("v.mp4", 0, 3.0, 5.0, "sad", 0.8),  # a gap of 1 s: nobody owns 2..3
            ("v.mp4", 0, 5.0, 7.0, "neutral", 0.7),  # touching: no overlap, no midpoint
        ]
    )
    out = segments(table)
    assert as_tuples(out[["start_s", "end_s", "label"]]) == [
        (0.0, 2.0, "happy"),
        (3.0, 5.0, "sad"),
        (5.0, 7.0, "neutral"),
    ]


def test_single_clip_face_and_video_order_of_first_appearance():
    rows = [
        ("z/b.mp4", 1, 0.0, 1.2, "sad", 0.55),  # a face shorter than the clip length
        ("z/b.mp4", 0, 0.0, 2.0, "happy", 0.9),
        ("z/b.mp4", 0, 1.0, 3.0, "neutral", 0.6),
        ("a.mp4", 0, 0.0, 2.0, "neutral", 0.4),
    ]
    table = clip_table(rows).iloc[[2, 0, 1, 3]]  # rows of z/b.mp4 out of time order, a.mp4 last
    out = segments(table)
    assert as_tuples(out) == [
        ("z/b.mp4", 0, 0.0, 1.5, "happy", 0.9),
        ("z/b.mp4", 0, 1.5, 3.0, "neutral", 0.6),
        ("z/b.mp4", 1, 0.0, 1.2, "sad", 0.55),
        ("a.mp4", 0, 0.0, 2.0, "neutral", 0.4),
    ]


def test_clip_index_not_row_order_decides_time_order():
    table = clip_table(TAIL).iloc[::-1]
    assert as_tuples(segments(table)) == as_tuples(segments(clip_table(TAIL)))


def test_segments_of_a_face_never_overlap_and_cover_what_the_clips_own():
    rng = np.random.default_rng(0)
    rows = []
    for face in range(3):
        starts = np.arange(0.0, 20.0, 1.0) + face * 0.3
        for start in starts:
            rows.append(
                (
                    "r.mp4",
                    face,
                    float(start),
                    float(start) + 2.0,
                    str(rng.choice(CLASSES)),
                    float(rng.uniform(0.4, 1.0)),
                )
            )
        rows.append(("r.mp4", face, float(starts[-1]) + 1.37, float(starts[-1]) + 3.37, "sad", 0.5))
    table = clip_table(rows)
    out = segments(table)
    spans = owned_spans(table)
    for face, seg in out.groupby("face_id"):
        assert (seg["end_s"].to_numpy() > seg["start_s"].to_numpy()).all()
        assert (seg["start_s"].to_numpy()[1:] >= seg["end_s"].to_numpy()[:-1]).all()
        labels = seg["label"].to_numpy()
        assert (labels[1:] != labels[:-1]).all()  # maximal runs
        covered = (seg["end_s"] - seg["start_s"]).sum()
        assert covered == pytest.approx(spans.loc[spans["face_id"] == face, "owned_s"].sum())
        assert covered == pytest.approx(22.37 - 0.0)  # 2 s clips every 1 s: no gaps


def test_empty_inputs_give_empty_frames_with_the_columns():
    empty = clip_table(TAIL).iloc[0:0]
    for table in (empty, pd.DataFrame()):
        out = segments(table)
        assert list(out.columns) == SEGMENT_COLUMNS
        assert len(out) == 0
        assert owned_spans(table).empty


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="clip_index"):
        segments(clip_table(TAIL).drop(columns=["clip_index"]))
