"""Which clips a person should look at: the most uncertain ones, spread out, reproducibly.

Pure functions over the clip table `s2d annotate` writes (no I/O). A clip's uncertainty is,
by `strategy`:

    entropy   the entropy of its class probabilities (highest first)
    margin    the gap between its two most likely classes (smallest first)
    random    a seeded random draw (a control: what review gives without the model's doubt)

Clips are taken most uncertain first, in passes. In the first pass no video, no face (a
video's `face_id`) and no predicted label may take more than its share of the budget (the
budget divided by how many there are, rounded up), and no clip may overlap in time a clip
already taken of the same face; each later pass allows one more share and overlaps, until the
budget is filled or nothing is left. `per_video_cap` is a hard limit that no pass lifts.
Ties are broken by a draw from `seed`, made in a fixed order of the clips (video, face,
start), so the choice depends on the clips and the options only, never on row order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from s2dcli.errors import InputError

STRATEGIES = ("entropy", "margin", "random")


@dataclass(frozen=True)
class SelectOptions:
    """How many clips, chosen how.

    Attributes:
        budget: clips to pick (fewer when the table has fewer).
        strategy: entropy, margin or random (see the module docstring).
        per_video_cap: at most this many clips from one video (None: no hard limit).
        seed: the tie-break (and, for random, the whole order) draws.
    """

    budget: int = 200
    strategy: str = "entropy"
    per_video_cap: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InputError(f"Unknown strategy {self.strategy!r}: use {', '.join(STRATEGIES)}.")
        if self.budget < 1:
            raise InputError(f"The budget must be at least 1 clip, got {self.budget}.")
        if self.per_video_cap is not None and self.per_video_cap < 1:
            raise InputError(f"The per-video cap must be at least 1, got {self.per_video_cap}.")


def probability_columns(frame: pd.DataFrame) -> list[str]:
    """The `p_<class>` columns of a clip table, in order."""
    return [c for c in frame.columns if str(c).startswith("p_")]


def uncertainty(probs: np.ndarray, strategy: str, seed: int = 0) -> np.ndarray:
    """Each row's uncertainty under `strategy`: larger means look at it sooner.

    Args:
        probs: `(N, K)` class probabilities (rows need not sum to exactly 1).
        strategy: entropy (nats), margin (minus the top-2 gap) or random (uniform draws).
        seed: for random.

    Returns:
        `(N,)` float64.
    """
    probs = np.asarray(probs, np.float64)
    if strategy == "entropy":
        p = np.clip(probs, 0.0, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * np.log(p), 0.0)
        return -terms.sum(axis=1)
    if strategy == "margin":
        if probs.shape[1] < 2:
            return np.zeros(len(probs))
        top2 = np.sort(probs, axis=1)[:, -2:]
        return -(top2[:, 1] - top2[:, 0])
    if strategy == "random":
        return np.random.default_rng([seed, 1]).random(len(probs))
    raise InputError(f"Unknown strategy {strategy!r}: use {', '.join(STRATEGIES)}.")


def select_clips(clips: pd.DataFrame, options: SelectOptions) -> pd.DataFrame:
    """The clips to review (see the module docstring), in video, face and time order.

    Args:
        clips: an `annotate` clip table: video, face_id, start_s, end_s, label and the
            p_<class> columns at least.
        options: budget, strategy, cap and seed.

    Returns:
        The chosen rows (their original index kept) with two columns added: `uncertainty`
        (the strategy's score) and `rank` (1 = picked first).
    """
    needed = ["video", "face_id", "start_s", "end_s", "label"]
    missing = [c for c in needed if c not in clips.columns]
    if missing or not probability_columns(clips):
        absent = ", ".join(missing + ([] if probability_columns(clips) else ["p_<class>"]))
        raise InputError(
            f"The clip table lacks the column(s) {absent}; give review the "
            "results file `s2d annotate` wrote."
        )
    canonical = clips.sort_values(["video", "face_id", "start_s", "end_s"], kind="stable")
    probs = canonical[probability_columns(canonical)].to_numpy(np.float64)
    score = uncertainty(probs, options.strategy, options.seed)
    tie = np.random.default_rng([options.seed, 0]).random(len(canonical))
    order = np.lexsort((tie, -score))  # most uncertain first, ties by the seeded draw
    ranked = canonical.iloc[order]
    chosen = _spread([_Candidate.of(row) for row in ranked.itertuples(index=False)], options)
    picked = ranked.iloc[chosen].copy()
    picked["uncertainty"] = score[order][chosen]
    picked["rank"] = np.arange(1, len(chosen) + 1)
    return picked.sort_values(["video", "face_id", "start_s", "end_s"], kind="stable")


class _ClipRow(Protocol):
    """A row of `DataFrame.itertuples()` over a clip table (pandas types its cells as Any)."""

    video: Any
    face_id: Any
    label: Any
    start_s: Any
    end_s: Any


@dataclass(frozen=True)
class _Candidate:
    video: str
    face: tuple[str, int]
    label: str
    start_s: float
    end_s: float

    @classmethod
    def of(cls, row: _ClipRow) -> _Candidate:
        video = str(row.video)
        return cls(
            video, (video, int(row.face_id)), str(row.label), float(row.start_s), float(row.end_s)
        )


def _spread(candidates: Sequence[_Candidate], options: SelectOptions) -> list[int]:
    """Positions (into `candidates`, ranked most uncertain first) of the picks, in pick order."""
    budget = min(options.budget, len(candidates))
    if budget == 0:
        return []
    shares = (
        math.ceil(budget / len({c.video for c in candidates})),
        math.ceil(budget / len({c.face for c in candidates})),
        math.ceil(budget / len({c.label for c in candidates})),
    )
    hard_cap = options.per_video_cap
    picked: list[int] = []
    counts: tuple[Counter[object], Counter[object], Counter[object]] = (
        Counter(),
        Counter(),
        Counter(),
    )
    spans: dict[tuple[str, int], list[tuple[float, float]]] = {}
    remaining = list(range(len(candidates)))
    passes = 1
    while len(picked) < budget and remaining:
        left: list[int] = []
        next_pass: int | None = None
        for i in remaining:
            c = candidates[i]
            if hard_cap is not None and counts[0][c.video] >= hard_cap:
                continue  # never again
            if len(picked) >= budget:
                break
            keys = (c.video, c.face, c.label)
            need = max(counts[k][key] // shares[k] for k, key in enumerate(keys)) + 1
            overlaps = passes == 1 and any(
                c.start_s < end and start < c.end_s for start, end in spans.get(c.face, ())
            )
            if need > passes or overlaps:
                left.append(i)
                wait = max(need, 2) if overlaps else need
                next_pass = wait if next_pass is None else min(next_pass, wait)
                continue
            picked.append(i)
            for k, key in enumerate(keys):
                counts[k][key] += 1
            spans.setdefault(c.face, []).append((c.start_s, c.end_s))
        if next_pass is None:
            break
        remaining = left
        passes = max(passes + 1, next_pass)
    return picked


__all__ = ["STRATEGIES", "SelectOptions", "probability_columns", "select_clips", "uncertainty"]
