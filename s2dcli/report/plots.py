"""PNG figures of a run: per-video class probabilities over time, and the run's label shares.

The figures say how sure the model was, not only what it said, because a label whose
confidence is near chance (0.16 for 7 classes) is a guess: each timeline panel (`face <id>`)
plots the probability of every class and a dashed line at chance, `1/K`; the label chart
stacks each label's share of face time into a confident part (clips with confidence at or
above `confident_threshold(K) = (1 + 1/K) / 2`, halfway from chance to certainty) and a
hatched, pale uncertain part, and prints the median confidence of the label's clips.

matplotlib is imported inside the functions (so importing `s2dcli.report` stays cheap) and used
through `Figure` with the Agg canvas, never pyplot: no global figure registry, no GUI backend,
nothing to show or leak. Files are written under a temporary name and renamed, so a failure
never leaves half a PNG.

    name = timeline_filename("sub/a b.mp4")            # "a_b-<sha1 prefix>.png"
    plot_timeline(clips_of_a, classes, plots / name, "sub/a b.mp4")
    plot_label_distribution(clips, classes, plots / "label_distribution.png")
    fig = timeline_figure(clips_of_a, classes, "a.mp4")  # the Figure itself, to inspect
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from s2dcli.report.segments import owned_spans

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Fixed colours for the usual emotion classes, so every figure of every run agrees; other
# class names take tab10 colours by their position in the class list.
CLASS_COLOURS = {
    "happy": "#e6ab02",
    "sad": "#1f78b4",
    "neutral": "#7f7f7f",
    "angry": "#e31a1c",
    "surprise": "#ff7f00",
    "disgust": "#33a02c",
    "fear": "#6a3d9a",
    "contempt": "#a6761d",
}
_TAB10 = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# A timeline draws at most this many faces (those with the most clips), so the PNG stays a
# size a browser shows; the title says how many were left out.
MAX_FACES = 40
FACE_HEIGHT_IN = 1.6
WIDTH_IN = 10.0
DPI = 100
CHANCE_COLOUR = "#555555"
# The uncertain part of a label's bar is drawn in its colour at this opacity, hatched.
UNCERTAIN_ALPHA = 0.35
_STEM_CHARS = 60


def class_colours(classes: Sequence[str]) -> dict[str, str]:
    """The colour of each class: fixed for the usual emotion names, else tab10 by position."""
    return {c: CLASS_COLOURS.get(c.lower(), _TAB10[i % len(_TAB10)]) for i, c in enumerate(classes)}


def timeline_filename(video: str) -> str:
    """A safe, unique, deterministic PNG file name for a video's timeline.

    The name is the video's stem reduced to ASCII letters, digits, `.`, `_` and `-` (at most 60
    characters, never starting with a dot), then `-` and the first 12 hex digits of the sha1 of
    the full relative path, so `a/x.mp4` and `b/x.mp4` get different names.
    """
    raw = video.encode("utf-8", "surrogatepass")
    digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()[:12]
    stem = PurePosixPath(video.replace("\\", "/")).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_stem).strip("._-")[:_STEM_CHARS].strip("._-")
    return f"{safe or 'video'}-{digest}.png"


def confident_threshold(num_classes: int) -> float:
    """The confidence from which a clip's label counts as confident: `(1 + 1/K) / 2`.

    Halfway between chance (`1/K` for K classes) and certainty (1): 0.57 for 7 classes, 0.75
    for 2. Below it the winning class is nearer to a guess than to a sure answer.
    """
    if num_classes < 1:
        raise ValueError(f"A model has at least one class, got {num_classes}.")
    return (1.0 + 1.0 / num_classes) / 2.0


@dataclass(frozen=True)
class LabelConfidence:
    """How much of the face time one label holds, and how sure the model was of it.

    Attributes:
        share: the time-weighted share of the label (as `summary.label_shares`).
        confident: the part of `share` from clips with confidence >= `threshold`.
        uncertain: the rest (`share - confident`).
        median_confidence: the median confidence of the label's clips (NaN without clips).
        clips: how many clips have this label.
        threshold: the `confident_threshold` used.
    """

    share: float
    confident: float
    uncertain: float
    median_confidence: float
    clips: int
    threshold: float


def label_confidence(clips: pd.DataFrame, classes: Sequence[str]) -> dict[str, LabelConfidence]:
    """Per class: its share of face time split into confident / uncertain, and its median
    confidence. Time is weighted as in `summary.owned_seconds`, so `share` equals
    `label_shares(clips, classes)[c]` and `confident + uncertain == share`.

    Raises:
        ValueError: a clip's label is not in `classes`.
    """
    threshold = confident_threshold(len(classes))
    spans = owned_spans(clips)
    if spans.empty:
        return {c: LabelConfidence(0.0, 0.0, 0.0, math.nan, 0, threshold) for c in classes}
    labels = spans["label"].astype(str).to_numpy()
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"Clip label(s) {unknown} are not among the classes {list(classes)}.")
    weight = spans["owned_s"].to_numpy(np.float64)
    if not weight.sum() > 0:  # every clip has zero length: each counts 1, as in the summary
        weight = np.ones(len(spans), np.float64)
    confidence = spans["confidence"].to_numpy(np.float64)
    sure = confidence >= threshold
    total = float(weight.sum())
    result = {}
    for c in classes:
        mine = labels == c
        share = float(weight[mine].sum()) / total
        confident = float(weight[mine & sure].sum()) / total
        median = float(np.median(confidence[mine])) if mine.any() else math.nan
        result[c] = LabelConfidence(
            share, confident, max(0.0, share - confident), median, int(mine.sum()), threshold
        )
    return result


def timeline_figure(clips: pd.DataFrame, classes: Sequence[str], title: str) -> Figure:
    """One video's class probabilities over time, one panel per face (see `plot_timeline`).

    Each panel is titled `face <id>`, its y axis is the probability of each class (0 to 1),
    and a dashed grey line marks chance, `1/K` for K classes: a curve near it is a guess.
    """
    from matplotlib.figure import Figure

    if clips.empty:
        fig = Figure(figsize=(6.0, 1.6), dpi=DPI)
        fig.suptitle(_plain(title), fontsize=10)
        fig.text(0.5, 0.4, "no face found", ha="center", va="center", fontsize=12)
        return fig

    missing = [f"p_{c}" for c in classes if f"p_{c}" not in clips.columns]
    if missing:
        raise ValueError(f"The clip table lacks the probability column(s) {missing}.")
    counts = clips.groupby("face_id").size()
    shown = sorted(counts.sort_values(ascending=False, kind="stable").index[:MAX_FACES])
    n = len(shown)
    fig = Figure(figsize=(WIDTH_IN, 1.0 + FACE_HEIGHT_IN * n), dpi=DPI, layout="constrained")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    colours = class_colours(classes)
    chance = 1.0 / len(classes)
    x_max = float(clips["end_s"].max())
    x_min = min(0.0, float(clips["start_s"].min()))
    for ax, face_id in zip(axes, shown, strict=True):
        rows = clips[clips["face_id"] == face_id].sort_values(["start_s", "end_s"], kind="stable")
        centre = ((rows["start_s"] + rows["end_s"]) / 2.0).to_numpy(np.float64)
        marker = "o" if len(rows) <= 30 else None
        for c in classes:
            ax.plot(
                centre,
                rows[f"p_{c}"].to_numpy(np.float64),
                color=colours[c],
                lw=1.4,
                marker=marker,
                markersize=3.5,
                label=_plain(c),
            )
        ax.axhline(
            chance,
            color=CHANCE_COLOUR,
            ls="--",
            lw=1.0,
            zorder=0,
            label=f"chance (1/{len(classes)} = {chance:.2f})",
        )
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("probability", fontsize=8)
        ax.set_title(f"face {int(face_id)}", loc="left", fontsize=9)
        ax.grid(alpha=0.3)
    if x_max > x_min:
        axes[0].set_xlim(x_min, x_max)
    axes[-1].set_xlabel("time (s, clip centre)")
    left_out = len(counts) - n
    heading = _plain(title) + (f"  ({n} of {len(counts)} faces shown)" if left_out else "")
    fig.suptitle(heading, fontsize=10)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(len(labels), 8),
        fontsize=8,
        frameon=False,
    )
    return fig


def plot_timeline(clips: pd.DataFrame, classes: Sequence[str], path: Path, title: str) -> Path:
    """Write a PNG of one video's class probabilities over time, one panel per face.

    Args:
        clips: the video's rows of the clip table (`face_id, start_s, end_s` and one `p_<class>`
            column per class); may be empty, which draws a small "no face found" figure.
        classes: the model's classes, in order (one line and legend entry each).
        path: the PNG to write (replaced if it exists).
        title: the figure's title, usually the video's name (shown verbatim).

    Returns:
        `path`.
    """
    return _save(timeline_figure(clips, classes, title), path)


def label_distribution_figure(clips: pd.DataFrame, classes: Sequence[str]) -> Figure:
    """The run's label shares with how confident they are (see `plot_label_distribution`).

    Each bar is the label's time-weighted share, stacked: solid for clips at or above
    `confident_threshold(K)`, hatched and pale for the uncertain rest. Above it: the share and
    the median confidence of the label's clips (`med 0.31`).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    stats = label_confidence(clips, classes)
    threshold = confident_threshold(len(classes))
    chance = 1.0 / len(classes)
    colours = class_colours(classes)
    fig = Figure(figsize=(max(5.0, 0.9 * len(classes) + 1.5), 4.2), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(classes))
    confident = [stats[c].confident for c in classes]
    uncertain = [stats[c].uncertain for c in classes]
    ax.bar(x, confident, color=[colours[c] for c in classes], edgecolor="white", linewidth=0.5)
    bars = ax.bar(
        x,
        uncertain,
        bottom=confident,
        color=[colours[c] for c in classes],
        alpha=UNCERTAIN_ALPHA,
        hatch="///",
        edgecolor="white",
        linewidth=0.5,
    )
    texts = [
        f"{stats[c].share:.0%}"
        + (f"\nmed {stats[c].median_confidence:.2f}" if stats[c].clips else "")
        for c in classes
    ]
    ax.bar_label(bars, labels=texts, fontsize=8, padding=2)
    ax.set_xticks(x, [_plain(c) for c in classes])
    ax.set_ylim(0.0, 1.2)  # room for the two-line text over a full bar
    ax.set_yticks(np.linspace(0.0, 1.0, 6))
    ax.set_ylabel("share of face time")
    videos = clips["video"].nunique() if "video" in clips.columns else 0
    ax.set_title(
        f"Labels over {_count(len(clips), 'clip')} in {_count(videos, 'video')}", fontsize=10
    )
    fig.legend(
        handles=[
            Patch(facecolor=CHANCE_COLOUR, label=f"confident: confidence >= {threshold:.2f}"),
            Patch(
                facecolor=CHANCE_COLOUR,
                alpha=UNCERTAIN_ALPHA,
                hatch="///",
                label=f"uncertain: below it (chance is 1/{len(classes)} = {chance:.2f})",
            ),
        ],
        loc="outside lower center",
        ncols=2,
        fontsize=8,
        frameon=False,
        title="med: median confidence of the label's clips",
        title_fontsize=8,
    )
    if clips.empty:
        ax.text(0.5, 0.5, "no clips", ha="center", va="center", transform=ax.transAxes)
    return fig


def plot_label_distribution(clips: pd.DataFrame, classes: Sequence[str], path: Path) -> Path:
    """Write a bar chart PNG of each label's time-weighted share and how confident it was.

    Args:
        clips: the whole run's clip table (may be empty: all bars are then 0).
        classes: the model's classes, in order.
        path: the PNG to write (replaced if it exists).

    Returns:
        `path`.
    """
    return _save(label_distribution_figure(clips, classes), path)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _plain(text: str) -> str:
    """`text` drawn verbatim: `$` escaped (no mathtext), unencodable surrogates as `?`."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    return text.replace("$", r"\$")


def _save(fig: Figure, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with warnings.catch_warnings():
            # Names in scripts DejaVu Sans lacks (CJK, ...) are drawn as boxes; the HTML index
            # shows them properly, so one warning per glyph would only be noise.
            warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
            fig.savefig(tmp, format="png")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


__all__ = [
    "CLASS_COLOURS",
    "LabelConfidence",
    "class_colours",
    "confident_threshold",
    "label_confidence",
    "label_distribution_figure",
    "plot_label_distribution",
    "plot_timeline",
    "timeline_figure",
    "timeline_filename",
]
