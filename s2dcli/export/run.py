"""`export()`: an annotate run's results written out for ELAN, BORIS and subtitle players.

    result = export("results.csv", ["elan", "vtt"])    # into results.exports/
    result.files, result.skipped                       # what was written, what was not

Every file is named before any is written (`s2dcli.export.base`), so existing files are refused
up front, all of them named, unless `overwrite`; then each is rendered and written in one step
(a reader never sees half a file). Failed videos get no export and come back in `skipped`;
videos without a face get files without annotations (see each format's module).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from s2dcli.errors import InputError, OutputsExistError
from s2dcli.export import boris, elan, subtitles
from s2dcli.export.base import ExportFile, Writer, output_bases
from s2dcli.export.results import RunResults, Skipped, read_results
from s2dcli.write.files import replace_bytes

log = logging.getLogger("s2d.export")

FORMATS: dict[str, Writer] = {
    w.name: w for w in (elan.WRITER, boris.WRITER, subtitles.VTT, subtitles.SRT)
}
EXPORTS_SUFFIX = ".exports"


@dataclass(frozen=True)
class ExportResult:
    """What `export` did.

    Attributes:
        output: the folder the files went into.
        formats: the formats written, in the order asked.
        files: every file written, in the order written.
        videos: the names of the videos exported, in the run's order.
        no_face: those of them in which no face was found (files without annotations).
        skipped: the videos that got no export (failed ones), with their status and error.
        skipped_clips: clip rows left out with them (a failed video may have some).
    """

    output: Path
    formats: list[str]
    files: list[Path]
    videos: list[str]
    no_face: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    skipped_clips: int = 0


def default_output(results: str | os.PathLike[str]) -> Path:
    """`results.exports/` beside `results.csv` (the stem, as annotate names its other files)."""
    path = Path(results)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path.with_name(stem + EXPORTS_SUFFIX)


def parse_formats(values: Iterable[str]) -> list[str]:
    """`["elan,vtt", "SRT"]` -> `["elan", "vtt", "srt"]` (deduplicated, in order); `all` is
    every format.

    Raises:
        InputError: an unknown format, or none at all.
    """
    names: list[str] = []
    for value in values:
        for part in str(value).split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name == "all":
                names += [n for n in FORMATS if n not in names]
                continue
            if name not in FORMATS:
                raise InputError(
                    f"Unknown export format {part.strip()!r}; choose from "
                    f"{', '.join(FORMATS)} or all (several: -f elan -f vtt, or -f elan,vtt)."
                )
            if name not in names:
                names.append(name)
    if not names:
        raise InputError(f"No export format given; choose from {', '.join(FORMATS)}.")
    return names


def plan(run: RunResults, formats: Sequence[str], output: Path) -> list[ExportFile]:
    """Every file the export will write, in the order it writes them (video by video, in the
    run's order; each format's files for the whole run last)."""
    writers = [FORMATS[name] for name in formats]
    with_media = any(w.needs_media for w in writers)
    videos = list(run.videos(with_media=with_media))
    bases = output_bases([v.name for v in videos], output)
    files: list[ExportFile] = []
    for video in videos:
        for writer in writers:
            files += writer.video_files(run, video, bases[video.name])
    for writer in writers:
        if writer.run_files is not None:
            files += writer.run_files(run, output, videos)
    seen: dict[str, Path] = {}
    for f in files:
        key = os.path.normcase(str(f.path)).casefold()
        if key in seen:
            raise RuntimeError(f"Two exports would share the file {f.path} (a bug: please report)")
        seen[key] = f.path
    return files


def export(
    results: str | os.PathLike[str],
    formats: Iterable[str],
    output: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
    videos: list[str] | None = None,
    summary: str | os.PathLike[str] | None = None,
) -> ExportResult:
    """Export an annotate run (see the module docstring).

    Args:
        results: the clip table `s2d annotate -o` wrote (.csv, .parquet or .jsonl).
        formats: names from `FORMATS` (`elan`, `boris`, `vtt`, `srt`); comma lists allowed.
        output: the folder to write into (made if missing); None: `default_output(results)`.
            Each video's files go at its own relative path under it, extension replaced.
        overwrite: replace files that exist (else they are refused, all named at once).
        videos: where the videos are, for ELAN's media links (the paths given to annotate,
            or their root); None: the run record's inputs.
        summary: the per-video summary, when annotate was given `--summary` (None:
            `<stem>.videos.csv` beside the results).

    Raises:
        InputError: no results file, not annotate's, an unknown format, or `output` is a file.
        OutputsExistError: files it would write exist and `overwrite` is false.
        OutputWriteError: a write failed.
    """
    names = parse_formats(formats)
    run = read_results(results, videos, summary=summary)
    out_dir = Path(output) if output is not None else default_output(results)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"-o {out_dir} is a file; give a folder for the exports.")
    files = plan(run, names, out_dir)
    if not overwrite:
        refuse_existing([f.path for f in files])
    written = []
    for f in files:
        replace_bytes(f.path, f.render(), sync=False)
        written.append(f.path)
    exported = run.exported_names
    skipped = run.skipped
    skipped_names = {s.name for s in skipped}
    skipped_clips = int(run.clips["video"].isin(skipped_names).sum()) if skipped else 0
    for s in skipped:
        log.info("%s: %s (%s): not exported", s.name, s.status, s.error or "no reason given")
    no_face = [n for n in exported if run.statuses[n][0] == "no_face"]
    return ExportResult(out_dir, names, written, exported, no_face, skipped, skipped_clips)


def refuse_existing(paths: Sequence[Path]) -> None:
    """Raise `OutputsExistError` naming every one of `paths` that exists."""
    existing = [p for p in paths if p.exists()]
    if not existing:
        return
    names = "\n".join(f"  {p}" for p in existing)
    count = "1 file" if len(existing) == 1 else f"{len(existing)} files"
    raise OutputsExistError(
        f"{count} this export would write already exist:\n{names}\n"
        "Use --overwrite to replace them, or -o another folder."
    )


__all__ = [
    "EXPORTS_SUFFIX",
    "FORMATS",
    "ExportResult",
    "default_output",
    "export",
    "parse_formats",
    "plan",
    "refuse_existing",
]
