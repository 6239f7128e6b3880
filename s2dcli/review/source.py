"""What `s2d review` starts from: an `annotate` run's clip table, its record and its videos.

`annotate` writes, beside `results.csv`: `results.videos.csv` (one row per video, with its
status) and `results.csv.run.json` (the options: weights, model config, landmark weights,
label names, detector, extensions). Videos are named in the table by their path relative to the
input root they were found under, so finding them again takes the inputs `annotate` was given:
the run record's `inputs` when it has them, else the `videos` the caller passes (the same
paths, or their root folder).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from s2dcli.discover import find_videos, parse_extensions
from s2dcli.errors import InputError
from s2dcli.review.selection import probability_columns

log = logging.getLogger("s2d.review")

REQUIRED = (
    "video",
    "face_id",
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "label",
    "confidence",
    "box_x",
    "box_y",
    "box_w",
    "box_h",
)


@dataclass(frozen=True)
class AnnotateRun:
    """One `annotate` run as review needs it.

    Attributes:
        results: the clip table's path.
        clips: its rows (the `annotate` columns).
        classes: the class names, in the order of the p_<class> columns.
        record: the run record (`{}` when there is none).
        videos: video name -> file, for every name that was found.
        missing: names in the table whose file was not found.
    """

    results: Path
    clips: pd.DataFrame
    classes: list[str]
    record: dict[str, object] = field(default_factory=dict)
    videos: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def options(self) -> dict[str, object]:
        options = self.record.get("options")
        return options if isinstance(options, dict) else {}

    @property
    def whole_frame(self) -> bool:
        from s2dcli.faces.whole_frame import is_whole_frame

        return is_whole_frame(self.options.get("faces", ""))

    @property
    def weights(self) -> str:
        """The weights the run used, as it was given them (a name, path or URL)."""
        o = self.options
        return str(o.get("weights") or o.get("model") or "WEIGHTS")

    def model_config_args(self) -> list[str]:
        value = self.options.get("model_config")
        return ["--model-config", str(value)] if value else []

    def data_args(self) -> list[str]:
        """The run's landmark weights and face options, as train and evaluate take them."""
        defaults = {"faces": "auto", "detect_every": 5, "min_face": 20.0}
        args: list[str] = []
        for key, flag in (
            ("landmark_weights", "--landmark-weights"),
            ("faces", "--faces"),
            ("detect_every", "--detect-every"),
            ("min_face", "--min-face"),
        ):
            value = self.options.get(key)
            if value not in (None, "") and value != defaults.get(key):
                args += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
        return args


def run_record_path(results: Path) -> Path:
    return results.with_name(results.name + ".run.json")


def read_clip_table(path: Path, *, allow_empty: bool = False) -> pd.DataFrame:
    """An `annotate` output (.csv, .parquet or .jsonl), checked for the columns review needs
    (and, unless `allow_empty`, for at least one clip)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            frame = pd.read_csv(
                path,
                keep_default_na=False,
                na_values=[""],
                dtype={"video": str, "label": str, "model": str},
            )
    except FileNotFoundError:
        raise InputError(f"No such results file: {str(path)!r}.") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"Cannot read {str(path)!r} as an annotate output: {exc}") from exc
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing or not probability_columns(frame):
        absent = ", ".join(missing + ([] if probability_columns(frame) else ["p_<class>"]))
        raise InputError(
            f"{path} is not an `s2d annotate` results file (no {absent} "
            "column); pass the -o file of annotate."
        )
    if frame.empty and not allow_empty:
        raise InputError(f"{path} has no clips: there is nothing to review.")
    frame["video"] = frame["video"].astype(str)
    frame["label"] = frame["label"].astype(str)
    return frame


def load_run(results: str | os.PathLike[str], videos: list[str] | None = None) -> AnnotateRun:
    """Read the clip table and run record, and find the videos.

    Args:
        results: the `annotate` output.
        videos: the paths `annotate` was given (files, folders, globs, @lists), or the folder
            the video names are relative to; None uses the run record's `inputs`.

    Raises:
        InputError: no results, a table that is not annotate's, no way to find the videos,
            or not one video found.
    """
    path = Path(results)
    clips = read_clip_table(path)
    classes = [c[2:] for c in probability_columns(clips)]
    record = _read_record(run_record_path(path))
    options = record.get("options") if isinstance(record.get("options"), dict) else {}
    assert isinstance(options, dict)
    names = list(dict.fromkeys(clips["video"]))
    inputs = list(videos) if videos else _recorded_inputs(record)
    if not inputs:
        raise InputError(
            f"Cannot tell where the videos of {path} are (its run record names "
            "no inputs); pass --videos with the paths given to annotate."
        )
    found = _find(inputs, names, options)
    missing = [n for n in names if n not in found]
    if len(missing) == len(names):
        raise InputError(
            f"None of the {len(names)} videos of {path} is under "
            f"{', '.join(map(repr, inputs))} (e.g. {names[0]!r}); pass --videos "
            "with the paths given to annotate."
        )
    for name in missing:
        log.warning("video %r not found under %s: its clips are left out", name, ", ".join(inputs))
    return AnnotateRun(path, clips, classes, record, found, missing)


def _read_record(path: Path) -> dict[str, object]:
    if not path.exists():
        log.warning("%s not found: the model used is unknown", path)
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read the run record {str(path)!r}: {exc}.") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} is not an annotate run record (not a JSON object).")
    return data


def _recorded_inputs(record: dict[str, object]) -> list[str]:
    inputs = record.get("inputs")
    if not isinstance(inputs, list):
        return []
    cwd = record.get("cwd")
    out = []
    for item in inputs:
        text = str(item)
        if isinstance(cwd, str) and not text.startswith("@") and not Path(text).is_absolute():
            text = str(Path(cwd) / text)
        out.append(text)
    return out


def _find(inputs: list[str], names: list[str], options: dict[str, object]) -> dict[str, Path]:
    """Video name -> path: by discovering `inputs` as annotate did, then as root folders."""
    wanted = set(names)
    found: dict[str, Path] = {}
    ext = options.get("ext")
    extensions = parse_extensions(ext if isinstance(ext, str) else None)
    recursive = bool(options.get("recursive", True))
    try:
        for item in find_videos(inputs, extensions, recursive):
            if item.name in wanted:
                found.setdefault(item.name, item.path)
    except InputError as exc:
        log.warning("looking for the videos: %s", exc)
    for root in inputs:
        if Path(root).is_dir():
            for name in wanted - set(found):
                candidate = Path(root) / name
                if candidate.is_file():
                    found[name] = candidate
    return found


__all__ = ["AnnotateRun", "load_run", "read_clip_table", "run_record_path"]
