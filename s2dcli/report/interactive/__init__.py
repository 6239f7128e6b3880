"""The interactive report of an `annotate` run: a folder that opens from the file system.

    write_report(Path("results.csv"), Path("report"))   # report/index.html + report/videos/

`index.html` is the whole application (styles, scripts and the overview's data inlined; no
network, no server): a sortable table of the videos, and per video a view with the video
itself, the face boxes drawn over it and a timeline per face. Each video's data are a small
`videos/<n>.js` loaded only when that video is opened, so a study of hundreds of videos opens
at once. The videos are linked by their path relative to the report (never copied), unless
`copy_media`, which copies them into `media/` for a folder that can be moved or shared.
"""

from __future__ import annotations

import logging
import os
import shutil
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from s2dcli.errors import OutputsExistError
from s2dcli.report.interactive.data import (
    ReportRun,
    clips_by_video,
    load_report_run,
    segments_by_video,
)
from s2dcli.report.interactive.pages import index_page, video_script
from s2dcli.report.interactive.payload import clean_text, overview_payload, video_payload
from s2dcli.write.files import replace_bytes, replace_file, writing

log = logging.getLogger("s2d.report")

REPORT_INDEX = "index.html"
VIDEO_FOLDER = "videos"
MEDIA_FOLDER = "media"


@dataclass(frozen=True)
class ReportResult:
    """What `write_report` wrote.

    Attributes:
        index: the report's `index.html`.
        videos: how many videos it shows (every row of the summary, failed ones included).
        missing: videos with clips whose file was not found (their view has no video).
        copied: videos copied into `media/` (`copy_media`).
        files: every file written.
    """

    index: Path
    videos: int
    missing: list[str] = field(default_factory=list)
    copied: int = 0
    files: list[Path] = field(default_factory=list)


def video_data_name(n: int) -> str:
    """The data file of the `n`-th video (summary order), relative to the report folder."""
    return f"{VIDEO_FOLDER}/{n}.js"


def report_files(folder: Path, count: int) -> list[Path]:
    """The files a report of `count` videos writes (without `copy_media`): what `annotate`
    checks before any work starts."""
    return [folder / REPORT_INDEX, *(folder / video_data_name(n) for n in range(count))]


def write_report(
    results: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    videos: Sequence[str] | None = None,
    summary: str | os.PathLike[str] | None = None,
    copy_media: bool = False,
    overwrite: bool = False,
) -> ReportResult:
    """Write the interactive report of the run whose clip table is `results` into `folder`.

    Args:
        results: the `annotate` output (.csv, .parquet or .jsonl) with its summary,
            segments and run record beside it.
        folder: the report folder (created).
        videos: the paths given to annotate, or their root folder; None uses the run
            record's `inputs`.
        summary: the run's summary when it is not `<stem>.videos.csv` beside `results`.
        copy_media: copy the videos into `folder/media/` instead of linking to them.
        overwrite: replace an earlier report's files.

    Raises:
        InputError: the results cannot be read.
        OutputsExistError: a file of the report exists and not `overwrite`.
        OutputWriteError: a write failed.
    """
    folder = Path(folder)
    run = load_report_run(
        Path(results), list(videos) if videos else None, Path(summary) if summary else None
    )
    names = [str(v) for v in run.summary["video"]]
    media = {
        n: _media_name(n, run.videos[name])
        for n, name in enumerate(names)
        if copy_media and name in run.videos
    }
    planned = report_files(folder, len(names)) + [folder / m for m in media.values()]
    if not overwrite:
        existing = [p for p in planned if p.exists()]
        if existing:
            listed = "\n".join(f"  {p}" for p in existing[:5])
            more = f"\n  ... and {len(existing) - 5} more" if len(existing) > 5 else ""
            raise OutputsExistError(
                f"The folder {folder} already holds a report:\n{listed}{more}\n"
                "Use --overwrite to replace it, or choose another folder."
            )
    with writing(folder):
        (folder / VIDEO_FOLDER).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    copied = 0
    clips = clips_by_video(run.clips)
    segs = segments_by_video(run.segments)
    rows = run.summary.to_dict("records")
    for n, (name, row) in enumerate(zip(names, rows, strict=True)):
        if n in media:
            copied += _copy(run.videos[name], folder / media[n])
            src: str | None = urllib.parse.quote(media[n])
        else:
            src = _link(run.videos.get(name), folder)
        payload = video_payload(n, row, clips.get(name), segs.get(name), run.classes, src)
        target = folder / video_data_name(n)
        replace_bytes(target, video_script(payload).encode("utf-8"), sync=False)
        written.append(target)
    found = [name in run.videos for name in names]
    facts = _facts(run, copy_media)
    payload = overview_payload(run.summary, run.clips, run.classes, found, facts)
    index = folder / REPORT_INDEX
    title = f"s2d report: {clean_text(run.results.name)}"
    replace_bytes(index, index_page(title, payload).encode("utf-8"), sync=False)
    written.append(index)
    _remove_stale(folder, len(names))
    missing = [
        name
        for name, row in zip(names, rows, strict=True)
        if name not in run.videos and str(row.get("status")) in ("ok", "partial")
    ]
    written += [folder / m for m in media.values()]
    log.debug("report: %d videos, %d files -> %s", len(names), len(written), folder)
    return ReportResult(index, len(names), missing, copied, written)


def _remove_stale(folder: Path, count: int) -> None:
    """Drop the `videos/<n>.js` of an earlier, larger report in the folder (n >= count)."""
    for path in (folder / VIDEO_FOLDER).glob("*.js"):
        if path.stem.isdigit() and int(path.stem) >= count and path.stem == str(int(path.stem)):
            with writing(path):
                path.unlink(missing_ok=True)


def _media_name(n: int, path: Path) -> str:
    """The copy's name: the video's position plus its extension (never its name, which
    may be anything)."""
    suffix = "".join(c for c in path.suffix.lower() if c.isalnum() or c == ".")[:10]
    return f"{MEDIA_FOLDER}/{n}{suffix}"


def _link(path: Path | None, folder: Path) -> str | None:
    """The video's URL relative to the report's `index.html` (or a `file:` URL when no
    relative path leads there, e.g. another drive)."""
    if path is None:
        return None
    target = path.resolve()
    try:
        relative = os.path.relpath(target, folder.resolve())
    except ValueError:
        return target.as_uri()
    return urllib.parse.quote(Path(relative).as_posix(), safe="/", errors="surrogateescape")


def _copy(source: Path, target: Path) -> int:
    """Copy a video (skipped when an identical-looking copy is there already); 1 if copied."""
    stat = source.stat()
    if target.exists():
        have = target.stat()
        if have.st_size == stat.st_size and int(have.st_mtime) == int(stat.st_mtime):
            return 0

    def copy(tmp: Path) -> None:
        shutil.copy2(source, tmp)

    replace_file(target, copy, sync=False)
    return 1


def _facts(run: ReportRun, copy_media: bool) -> dict[str, object]:
    record = run.record
    options = record.get("options") if isinstance(record.get("options"), dict) else {}
    resolved = record.get("resolved") if isinstance(record.get("resolved"), dict) else {}
    assert isinstance(options, dict) and isinstance(resolved, dict)
    model = options.get("weights") or options.get("model")
    parts = [f"results: {run.results.name}"]
    if model:
        parts.append(f"weights: {Path(str(model)).name}")
    parts.append(f"{len(run.classes)} classes")
    if options.get("faces"):
        parts.append(f"faces: {options['faces']}")
    device = resolved.get("device_name") or resolved.get("device")
    if device:
        parts.append(f"device: {device}")
    parts.append("videos copied into media/" if copy_media else "videos linked, not copied")
    title = f"s2d report: {run.results.name}"
    return {"title": clean_text(title), "line": clean_text(" \u00b7 ".join(parts))}


__all__ = ["REPORT_INDEX", "ReportResult", "report_files", "video_data_name", "write_report"]
