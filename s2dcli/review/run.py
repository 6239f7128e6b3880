"""The controller behind `s2d review`: an annotate run in, a review folder out.

    from s2dcli.review import ReviewOptions, review
    result = review("results.csv", "review/", videos=["videos/"],
                    options=ReviewOptions(budget=200, strategy="entropy", seed=0))
    result.index, result.labels  # review/index.html, review/labels.csv

Files written to the folder: `index.html` (the contact sheet), `crops/NNNN.jpg` (its preview
strips), `labels.csv` (the chosen clips labelled with the predictions, for a person to correct
and `s2d train` to read) and `review.json` (what was chosen, how, and from what). An existing
`labels.csv` may hold a person's corrections, so it is never replaced without `overwrite`.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from s2dcli import __version__
from s2dcli.atomic import write_atomic
from s2dcli.errors import InputError
from s2dcli.review.crops import StripOptions, write_strips
from s2dcli.review.labelfile import label_rows, write_labels
from s2dcli.review.selection import SelectOptions, probability_columns, select_clips
from s2dcli.review.sheet import Card, SheetInfo, write_sheet
from s2dcli.review.source import AnnotateRun, load_run

log = logging.getLogger("s2d.review")


@dataclass(frozen=True)
class ReviewOptions:
    """What to choose (`SelectOptions` fields) and how the sheet looks."""

    budget: int = 200
    strategy: str = "entropy"
    per_video_cap: int | None = None
    seed: int = 0
    frames: int = 4
    crop_size: int = 112
    overwrite: bool = False

    @property
    def select(self) -> SelectOptions:
        return SelectOptions(self.budget, self.strategy, self.per_video_cap, self.seed)


@dataclass(frozen=True)
class ReviewResult:
    """What `review` wrote."""

    folder: Path
    chosen: pd.DataFrame
    videos: int
    missing_videos: list[str]
    no_frames: int
    commands: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.folder / "index.html"

    @property
    def labels(self) -> Path:
        return self.folder / "labels.csv"


def check_folder(folder: Path, overwrite: bool) -> None:
    """Refuse to replace an earlier review's files (they may hold corrections)."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder; give -o a folder.")
    existing = [folder / n for n in ("labels.csv", "index.html") if (folder / n).exists()]
    if existing and not overwrite:
        raise InputError(
            f"{existing[0]} already exists (it may hold corrections); use "
            "--overwrite to replace the review, or another -o folder."
        )


def review(
    results: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    videos: Sequence[str] | None = None,
    options: ReviewOptions | None = None,
    on_video: Callable[[int, int], None] | None = None,
) -> ReviewResult:
    """Choose clips to review from an annotate output and write the review folder.

    Args:
        results: the `annotate` output (.csv, .parquet or .jsonl) with its run record beside.
        folder: the review folder (created).
        videos: where the videos are: the paths given to annotate or their root folder
            (default: the run record's inputs).
        options: budget, strategy, cap, seed, preview size; `overwrite` an earlier review.
        on_video: progress of the preview extraction (videos done, videos in all).

    Raises:
        InputError: unusable results, videos not found, an earlier review in the way.
    """
    options = options or ReviewOptions()
    select = options.select  # checks the options before anything is read
    out = Path(folder)
    check_folder(out, options.overwrite)
    run = load_run(results, list(videos) if videos else None)
    clips = run.clips[run.clips["video"].isin(list(run.videos))]
    chosen = select_clips(clips, select)
    out.mkdir(parents=True, exist_ok=True)
    for old in (out / "crops").glob("[0-9][0-9][0-9][0-9].jpg"):
        old.unlink()
    from s2dcli.faces.whole_frame import WHOLE_FRAME_MARGIN

    margin = WHOLE_FRAME_MARGIN if run.whole_frame else StripOptions.margin
    strips = write_strips(
        chosen,
        run.videos,
        out / "crops",
        StripOptions(frames=options.frames, size=options.crop_size, margin=margin),
        on_video,
    )
    rows = label_rows(chosen)
    cards = _cards(chosen, rows, run.classes, strips)
    commands = next_commands(run, out, videos)
    from s2dcli.report.plots import class_colours

    info = SheetInfo(
        title=f"s2d review: {len(chosen)} clips of {run.results.name}",
        strategy=options.strategy,
        source=f"{run.results} ({len(run.clips)} clips, seed {options.seed})",
        commands=commands,
        colours=class_colours(run.classes),
    )
    write_labels(out / "labels.csv", rows)
    write_sheet(out / "index.html", cards, run.classes, info)
    result = ReviewResult(
        out,
        chosen,
        int(chosen["video"].nunique()),
        run.missing,
        len(chosen) - len(strips),
        commands,
    )
    _write_record(out / "review.json", run, options, result)
    return result


def _cards(
    chosen: pd.DataFrame, rows: list[list[str]], classes: list[str], strips: dict[object, str]
) -> list[Card]:
    probs = chosen[probability_columns(chosen)].to_numpy(np.float64)
    lookup = {c: i for i, c in enumerate(classes)}
    cards = []
    for k, (index, row) in enumerate(zip(chosen.index, chosen.itertuples(), strict=True)):
        predicted = lookup.get(str(row.label), int(np.argmax(probs[k])))
        cards.append(
            Card(
                rows[k],
                str(row.video),
                int(row.face_id),
                float(row.start_s),
                float(row.end_s),
                predicted,
                probs[k].tolist(),
                float(row.uncertainty),
                strips.get(index),
            )
        )
    return cards


def next_commands(run: AnnotateRun, out: Path, videos: Sequence[str] | None) -> list[str]:
    """`s2d train` then `s2d evaluate` (before and after) for this review, from the run record.

    Training validates on a share of the reviewed clips (`--val-split`); `held_out.csv` stands
    for labelled clips kept out of the review and out of training, to measure the gain on.
    """
    roots = list(videos) if videos else [str(p) for p in _record_roots(run)]
    folders = [r for r in roots if Path(r).is_dir()]
    root = ["--videos", folders[0] if len(folders) == 1 else "VIDEOS/"]
    data = run.data_args()
    labels = run.options.get("labels")
    classes = ["--classes", str(labels)] if labels else []
    train = [
        "s2d",
        "train",
        "--labels",
        str(out / "labels.csv"),
        *root,
        "--init",
        run.weights,
        *run.model_config_args(),
        *data,
        "--out",
        "runs/review",
    ]
    before = [
        "s2d",
        "evaluate",
        "--labels",
        "held_out.csv",
        *root,
        "--weights",
        run.weights,
        *run.model_config_args(),
        *classes,
        *data,
    ]
    after = [
        "s2d",
        "evaluate",
        "--labels",
        "held_out.csv",
        *root,
        "--weights",
        "runs/review/best.pth",
        *data,
    ]
    return [shlex.join(c) for c in (train, before, after)]


def _record_roots(run: AnnotateRun) -> list[Path]:
    inputs = run.record.get("inputs")
    return [Path(str(p)) for p in inputs] if isinstance(inputs, list) else []


def _write_record(
    path: Path, run: AnnotateRun, options: ReviewOptions, result: ReviewResult
) -> None:
    chosen = result.chosen
    record = {
        "s2dcli": __version__,
        "results": str(run.results),
        "options": asdict(options),
        "classes": run.classes,
        "clips_in_results": len(run.clips),
        "chosen": len(chosen),
        "videos": result.videos,
        "missing_videos": result.missing_videos,
        "no_frames": result.no_frames,
        "model": run.weights,
        "commands": result.commands,
        "selection": [
            {
                "rank": int(r.rank),
                "video": str(r.video),
                "face_id": int(r.face_id),
                "clip_index": int(r.clip_index) if "clip_index" in chosen.columns else None,
                "start_s": float(r.start_s),
                "end_s": float(r.end_s),
                "label": str(r.label),
                "uncertainty": round(float(r.uncertainty), 6),
            }
            for r in chosen.itertuples()
        ],
    }
    write_atomic(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")


__all__ = ["ReviewOptions", "ReviewResult", "check_folder", "next_commands", "review"]
