"""Label files for `s2d train` / `s2d evaluate`: a lab's own CSV, or the datasets' split files.

Formats, recognised from the header (or, for MAFW's .txt, the shape of the lines):

    video,label                          the whole video is one clip
    video,start_s,end_s,label[,face_id]  a time range of a video (and which face)
                                         (other columns, e.g. `s2d review`'s prediction and
                                         confidence, are ignored)
    video_name,label                     DFEW splits: zero-padded names, labels 1..7
    path,id                              FERV39K: Scene/Class/0118, ids 0..6
    video_name,labels                    MAFW .csv: ids 0..10
    00025.mp4 anger                      MAFW .txt: space separated, lower-case names

Labels are class names (any case) or 0-based indices for the plain CSV; the datasets' own
numbering is mapped to their class orders. Videos are found relative to `videos_root` (or the
label file's folder), with or without an extension. A bad file is refused as a whole: every
bad row is listed with its line number and reason, and nothing runs.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from s2dcli.discover import DEFAULT_EXTENSIONS
from s2dcli.errors import InputError
from s2dcli.weights.registry import DFEW_CLASSES, FERV39K_CLASSES, MAFW_CLASSES

MAX_LISTED = 50
log = logging.getLogger("s2d.labels")


@dataclass(frozen=True)
class LabelledClip:
    """One labelled sample: a video, or a time range of it (and optionally one face)."""

    video: Path
    label: int
    start_s: float | None = None
    end_s: float | None = None
    face_id: int | None = None
    line: int = 0


@dataclass(frozen=True)
class LabelSet:
    """The samples of a label file and the class names their labels index."""

    clips: list[LabelledClip]
    classes: list[str]
    format: str  # "csv", "dfew", "ferv39k", "mafw"


class LabelFileError(InputError):
    """A label file with bad rows; `problems` lists (line, reason) for every one."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]) -> None:
        self.path = path
        self.problems = problems
        shown = [f"  line {line}: {reason}" for line, reason in problems[:MAX_LISTED]]
        more = len(problems) - MAX_LISTED
        if more > 0:
            shown.append(f"  ... and {more} more")
        super().__init__(
            f"{path}: {len(problems)} bad row(s); nothing was run.\n" + "\n".join(shown)
        )


def read_labels(
    path: str | Path, videos_root: str | Path | None = None, classes: list[str] | None = None
) -> LabelSet:
    """Read and check a label file (see the module docstring).

    Args:
        path: the label file.
        videos_root: where video paths are relative to (default: the file's folder).
        classes: the class names for a plain CSV (default: the names in it, sorted, or
            0..max for indices); ignored for the datasets' formats, which have their own.

    Raises:
        InputError: the file cannot be read or has no recognisable header.
        LabelFileError: some rows are bad (all of them listed).
    """
    path = Path(path)
    root = Path(videos_root) if videos_root is not None else path.parent
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"Cannot read label file {str(path)!r}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text: {exc}.") from exc
    lines = text.splitlines()
    if not lines:
        raise InputError(f"{path} is empty.")
    first = [c.strip().lower() for c in lines[0].split(",")]
    if first == ["video_name", "label"]:
        return _dataset(path, root, lines, list(DFEW_CLASSES), "dfew", offset=_dfew_base(lines))
    if first == ["path", "id"]:
        return _dataset(path, root, lines, list(FERV39K_CLASSES), "ferv39k", offset=0)
    if first == ["video_name", "labels"]:
        return _dataset(path, root, lines, list(MAFW_CLASSES), "mafw", offset=0)
    if "video" in first and "label" in first:
        return _plain(path, root, lines, classes)
    if len(lines[0].split()) == 2 and "," not in lines[0]:
        return _mafw_txt(path, root, lines)
    raise InputError(
        f"{path}: unknown label format (header {lines[0]!r}). Use 'video,label' or "
        "'video,start_s,end_s,label[,face_id]', or a DFEW / FERV39K / MAFW split file as "
        "published."
    )


def _dfew_base(lines: list[str]) -> int:
    """DFEW's documented labels are 1..7, but split files numbered 0..6 circulate too (the
    reference sample is one): a file with a 0 and no 7 is read as 0-based."""
    values = set()
    for _, row in _rows(lines):
        if len(row) == 2 and row[1].lstrip("-").isdigit():
            values.add(int(row[1]))
    if 0 in values and 7 not in values:
        log.info("DFEW labels numbered 0..6: reading them as 0-based")
        return 0
    return 1


def _find_video(root: Path, name: str) -> Path | None:
    candidate = root / name
    if candidate.is_file():
        return candidate
    for ext in DEFAULT_EXTENSIONS:
        with_ext = root / f"{name}{ext}"
        if with_ext.is_file():
            return with_ext
    return None


def _rows(lines: list[str]) -> list[tuple[int, list[str]]]:
    out = []
    for number, row in enumerate(csv.reader(lines[1:]), start=2):
        if row and any(cell.strip() for cell in row):
            out.append((number, [cell.strip() for cell in row]))
    return out


def _check_duplicates(clips: list[LabelledClip], problems: list[tuple[int, str]]) -> None:
    seen: dict[tuple[object, ...], int] = {}
    for clip in clips:
        key = (clip.video.resolve(), clip.start_s, clip.end_s, clip.face_id)
        if key in seen:
            problems.append((clip.line, f"duplicate of line {seen[key]}"))
        else:
            seen[key] = clip.line


def _finish(
    path: Path,
    clips: list[LabelledClip],
    classes: list[str],
    fmt: str,
    problems: list[tuple[int, str]],
) -> LabelSet:
    _check_duplicates(clips, problems)
    if problems:
        raise LabelFileError(path, sorted(problems))
    if not clips:
        raise InputError(f"{path} has a header but no rows.")
    return LabelSet(clips, classes, fmt)


def _dataset(
    path: Path, root: Path, lines: list[str], classes: list[str], fmt: str, offset: int
) -> LabelSet:
    clips: list[LabelledClip] = []
    problems: list[tuple[int, str]] = []
    for number, row in _rows(lines):
        if len(row) != 2:
            problems.append((number, f"expected 2 fields, got {len(row)}"))
            continue
        name, value = row
        try:
            index = int(value) - offset
        except ValueError:
            problems.append((number, f"label {value!r} is not a number"))
            continue
        if not 0 <= index < len(classes):
            problems.append(
                (number, f"label {value} is out of range {offset}..{len(classes) - 1 + offset}")
            )
            continue
        video = _find_video(root, name)
        if video is None:
            problems.append((number, f"no video {name!r} under {root}"))
            continue
        clips.append(LabelledClip(video, index, line=number))
    return _finish(path, clips, classes, fmt, problems)


def _mafw_txt(path: Path, root: Path, lines: list[str]) -> LabelSet:
    classes = list(MAFW_CLASSES)
    lookup = {c.lower(): i for i, c in enumerate(classes)}
    clips: list[LabelledClip] = []
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            problems.append((number, f"expected 'video label', got {line!r}"))
            continue
        name, label = parts
        if label.lower() not in lookup:
            problems.append((number, f"unknown label {label!r} (MAFW has {', '.join(classes)})"))
            continue
        video = _find_video(root, name)
        if video is None:
            problems.append((number, f"no video {name!r} under {root}"))
            continue
        clips.append(LabelledClip(video, lookup[label.lower()], line=number))
    return _finish(path, clips, classes, "mafw", problems)


def _plain(path: Path, root: Path, lines: list[str], classes: list[str] | None) -> LabelSet:
    header = [c.strip().lower() for c in lines[0].split(",")]
    known = {"video", "start_s", "end_s", "label", "face_id"}
    extra = [c for c in header if c not in known]
    if ("start_s" in header) != ("end_s" in header):
        raise InputError(
            f"{path}: header {lines[0]!r}: start_s and end_s go together; use "
            "video,label or video,start_s,end_s,label[,face_id]."
        )
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise InputError(f"{path}: header {lines[0]!r} names {', '.join(duplicated)} twice.")
    if extra:  # `s2d review` adds its prediction and confidence; a spreadsheet may add notes
        log.info("%s: ignoring the extra columns %s", path, ", ".join(extra))
    col = {name: header.index(name) for name in header if name in known}
    rows = _rows(lines)
    labels = [row[col["label"]] for _, row in rows if len(row) == len(header)]
    if classes is None:
        if labels and all(lab.isdigit() for lab in labels):
            classes = [str(i) for i in range(max(int(lab) for lab in labels) + 1)]
        else:
            spelling: dict[str, str] = {}
            for lab in labels:
                if not lab.isdigit():
                    spelling.setdefault(lab.lower(), lab)
            classes = [spelling[k] for k in sorted(spelling)]
    lookup = {c.lower(): i for i, c in enumerate(classes)}
    clips: list[LabelledClip] = []
    problems: list[tuple[int, str]] = []
    for number, row in rows:
        if len(row) != len(header):
            problems.append((number, f"expected {len(header)} fields, got {len(row)}"))
            continue
        reasons = []
        label_text = row[col["label"]]
        if label_text.isdigit() and int(label_text) < len(classes):
            label = int(label_text)
        elif label_text.lower() in lookup:
            label = lookup[label_text.lower()]
        else:
            reasons.append(f"unknown label {label_text!r} (classes: {', '.join(classes)})")
            label = -1
        start = end = None
        if "start_s" in col:
            start, end = _number(row[col["start_s"]]), _number(row[col["end_s"]])
            if start is None or end is None or start < 0:
                reasons.append("start_s and end_s must be numbers >= 0")
            elif end <= start:
                reasons.append(f"end_s {end:g} is not after start_s {start:g}")
        face_id = None
        if "face_id" in col and row[col["face_id"]] != "":
            if not row[col["face_id"]].isdigit():
                reasons.append(f"face_id {row[col['face_id']]!r} is not a whole number >= 0")
            else:
                face_id = int(row[col["face_id"]])
        video = _find_video(root, row[col["video"]])
        if video is None:
            reasons.append(f"no video {row[col['video']]!r} under {root}")
        if reasons:
            problems.append((number, "; ".join(reasons)))
            continue
        assert video is not None
        clips.append(LabelledClip(video, label, start, end, face_id, number))
    return _finish(path, clips, list(classes), "csv", problems)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
