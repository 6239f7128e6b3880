"""`s2dcli.review.selection`: the scores, the budget, the caps, the spread, reproducibility."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from s2dcli.errors import InputError
from s2dcli.review.selection import SelectOptions, select_clips, uncertainty

CLASSES = ["happy", "sad", "neutral", "angry"]


def clip_table(
    videos: int = 6, faces: int = 2, clips: int = 10, seed: int = 0, sharp_video: str | None = None
) -> pd.DataFrame:
    """A plausible annotate table: 1 s stride, 2 s clips; random Dirichlet probabilities."""
    rng = np.random.default_rng(seed)
    rows = []
    for v in range(videos):
        name = f"v{v}.mp4"
        for f in range(faces):
            for c in range(clips):
                alpha = 0.3 if name == sharp_video else 2.0
                p = rng.dirichlet([alpha] * len(CLASSES))
                rows.append(
                    {
                        "video": name,
                        "face_id": f,
                        "clip_index": c,
                        "start_s": float(c),
                        "end_s": c + 2.0,
                        "label": CLASSES[int(p.argmax())],
                        "confidence": float(p.max()),
                        **{f"p_{k}": float(x) for k, x in zip(CLASSES, p, strict=True)},
                    }
                )
    return pd.DataFrame(rows)


def keys(frame: pd.DataFrame) -> list[tuple[str, int, int]]:
    return list(zip(frame["video"], frame["face_id"], frame["clip_index"], strict=True))


def test_scores_entropy_margin_random():
    probs = np.array([[0.25, 0.25, 0.25, 0.25], [0.97, 0.01, 0.01, 0.01], [0.5, 0.49, 0.01, 0]])
    entropy = uncertainty(probs, "entropy")
    np.testing.assert_allclose(entropy[0], np.log(4))
    assert entropy[0] > entropy[2] > entropy[1]
    margin = uncertainty(probs, "margin")
    np.testing.assert_allclose(margin, [0.0, -0.96, -0.01])
    assert margin[0] > margin[2] > margin[1]  # smallest gap first
    a, b = uncertainty(probs, "random", seed=1), uncertainty(probs, "random", seed=2)
    assert np.array_equal(a, uncertainty(probs, "random", seed=1)) and not np.array_equal(a, b)


@pytest.mark.parametrize("strategy", ["entropy", "margin", "random"])
def test_same_seed_same_choice_whatever_the_row_order(strategy):
    table = clip_table()
    options = SelectOptions(budget=25, strategy=strategy, seed=7)
    first = select_clips(table, options)
    shuffled = table.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = select_clips(shuffled, options)
    assert keys(first) == keys(again)
    assert list(first["rank"]) == list(again["rank"])
    if strategy == "random":
        other = select_clips(table, SelectOptions(budget=25, strategy=strategy, seed=8))
        assert keys(other) != keys(first)


@pytest.mark.parametrize("budget, cap", [(1, None), (25, None), (25, 3), (40, 5), (500, 4)])
def test_budget_and_hard_cap_are_respected(budget, cap):
    table = clip_table()
    chosen = select_clips(table, SelectOptions(budget=budget, per_video_cap=cap))
    expected = min(budget, len(table) if cap is None else cap * table["video"].nunique())
    assert len(chosen) == expected
    assert not chosen.duplicated(["video", "face_id", "clip_index"]).any()
    if cap is not None:
        assert chosen["video"].value_counts().max() <= cap
    assert sorted(chosen["rank"]) == list(range(1, expected + 1))


def test_the_most_uncertain_come_first():
    # 40 clips of one face, none overlapping; clip i mixes a one-hot and the uniform
    # distribution with weight i / 39, so uncertainty grows with i under both strategies.
    rows = []
    for i in range(40):
        w = i / 39
        p = (1 - w) * np.eye(4)[i % 4] + w * np.full(4, 0.25)
        p[(i + 1) % 4] += 0.001 * (1 - w)  # a top-2 gap that shrinks with i too
        p /= p.sum()
        rows.append(
            {
                "video": "a.mp4",
                "face_id": 0,
                "clip_index": i,
                "start_s": float(i),
                "end_s": i + 0.5,
                "label": CLASSES[i % 4],
                **{f"p_{k}": float(x) for k, x in zip(CLASSES, p, strict=True)},
            }
        )
    table = pd.DataFrame(rows)
    for strategy in ("entropy", "margin"):
        chosen = select_clips(table, SelectOptions(budget=5, strategy=strategy))
        assert sorted(chosen["clip_index"]) == [35, 36, 37, 38, 39], strategy
        ranked = chosen.sort_values("rank")
        assert list(ranked["clip_index"]) == [39, 38, 37, 36, 35], strategy


def test_spread_over_videos_faces_and_labels():
    # One video is full of confident clips, the others of uncertain ones: entropy alone would
    # never pick the sharp video; the spread caps each uncertain one at its share first.
    table = clip_table(videos=4, faces=2, clips=10, sharp_video="v0.mp4")
    chosen = select_clips(table, SelectOptions(budget=12))
    per_video = chosen["video"].value_counts()
    assert per_video.max() <= 3 and set(per_video.index) == {f"v{i}.mp4" for i in range(4)}
    assert chosen.groupby(["video", "face_id"]).size().max() <= 2  # 8 faces, share 2
    for (_, _), group in chosen.groupby(["video", "face_id"]):  # no overlapping clips
        spans = sorted(zip(group["start_s"], group["end_s"], strict=True))
        assert all(b0 >= a1 for (_, a1), (b0, _) in pairwise(spans))
    # Predicted labels: a model that says "happy" for most clips still shows the others.
    skewed = clip_table(videos=3, faces=1, clips=20, seed=1)
    skewed.loc[skewed.index % 5 != 0, "label"] = "happy"
    picked = select_clips(skewed, SelectOptions(budget=8))
    assert picked["label"].value_counts()["happy"] <= 4  # share ceil(8 / #labels)


def test_later_passes_fill_the_budget_when_shares_run_out():
    table = clip_table(videos=2, faces=1, clips=6)  # 12 clips, adjacent ones overlap
    chosen = select_clips(table, SelectOptions(budget=12))
    assert len(chosen) == 12
    first = chosen[chosen["rank"] <= 6]
    assert first["video"].nunique() == 2  # the first picks are spread


def test_bad_options_and_tables_are_user_errors():
    with pytest.raises(InputError, match="strategy"):
        SelectOptions(strategy="bald")
    with pytest.raises(InputError, match="budget"):
        SelectOptions(budget=0)
    with pytest.raises(InputError, match="cap"):
        SelectOptions(per_video_cap=0)
    with pytest.raises(InputError, match="p_<class>"):
        select_clips(
            pd.DataFrame(
                {"video": ["a"], "face_id": [0], "start_s": [0.0], "end_s": [1.0], "label": ["x"]}
            ),
            SelectOptions(),
        )
