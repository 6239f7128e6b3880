"""`s2d export`: a thin skin over `s2dcli.export.export`."""

from __future__ import annotations

from pathlib import Path

import click

from s2dcli.commands.annotate_progress import plural
from s2dcli.options import is_quiet, verbosity

# Failed videos are listed one per line up to this many, then counted.
MAX_LISTED = 20


@click.command(context_settings={"max_content_width": 100})
@click.argument("results", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-f",
    "--format",
    "formats",
    multiple=True,
    required=True,
    metavar="elan|boris|vtt|srt|all",
    help="What to write (repeatable, or a comma list: -f elan,vtt; all: every format).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write into [default: <stem>.exports/ beside RESULTS].",
)
@click.option("--overwrite", is_flag=True, help="Replace files an earlier export wrote.")
@click.option(
    "--videos",
    multiple=True,
    type=click.Path(exists=True),
    help="The paths given to annotate, or their root folder, for ELAN's media links "
    "(repeatable) [default: the run record's inputs].",
)
@click.option(
    "--summary",
    type=click.Path(exists=True, dir_okay=False),
    help="The per-video summary, if annotate was given --summary [default: <stem>.videos.csv].",
)
@verbosity
def export(
    results: str,
    formats: tuple[str, ...],
    output: Path | None,
    overwrite: bool,
    videos: tuple[str, ...],
    summary: str | None,
) -> None:
    """Export an annotate run for ELAN, BORIS and subtitle players.

    RESULTS is the -o file of `s2d annotate` (.csv, .parquet or .jsonl); its summary
    (<stem>.videos.csv), segments (<stem>.segments.csv) and run record (RESULTS.run.json, which
    says where the videos are) are read from beside it. Each video's files go under OUTPUT at
    the video's own relative path, its extension replaced:

    \b
      elan    <video>.eaf: the media linked; per face a tier `face N` of label segments
              (values from a controlled vocabulary of the model's classes) and a tier
              `face N clips` of each clip's label and confidence, `Happy (0.82)`
      boris   <video>.boris.face N.tsv: time and p_<class> per clip, to plot in sync;
              <video>.boris.events.xlsx (and .tsv): the segments as state events
              (time, subject = face N, code = label, START / STOP) to import;
              boris.ethogram.tsv, boris.subjects.tsv: the classes and faces, to import first
      vtt     <video>.vtt: WebVTT, a cue per segment, `face 0: Happy (0.82)`
      srt     <video>.srt: SubRip, the same cues

    Failed videos get no files (a line says so); a video without a face gets files with no
    annotations (ELAN: no tiers; BORIS: no data files, no events; subtitles: no cues). No
    existing file is replaced without --overwrite.

    \b
    Examples:
      s2d export results.csv -f elan                 # into results.exports/
      s2d export results.csv -f all -o exports/      # elan, boris, vtt and srt
      s2d export results.csv -f vtt,srt -o videos/   # beside the videos annotate was given
      s2d export out.parquet -f elan --videos /data/videos --overwrite
    """
    from s2dcli.export import export as run_export

    result = run_export(
        results,
        formats,
        output,
        overwrite=overwrite,
        videos=list(videos) or None,
        summary=summary,
    )
    if is_quiet():
        return
    for item in result.skipped[:MAX_LISTED]:
        reason = f": {item.error}" if item.error else ""
        click.echo(f"  skipped {item.name} ({item.status}{reason})", err=True)
    if len(result.skipped) > MAX_LISTED:
        click.echo(
            f"  ... and {len(result.skipped) - MAX_LISTED} more skipped (see the summary)",
            err=True,
        )
    for name in result.no_face:
        click.echo(f"  {name}: no face found: its files have no annotations", err=True)
    tail = ""
    if result.skipped:
        clips = f", {result.skipped_clips} clip rows" if result.skipped_clips else ""
        word = "video" if len(result.skipped) == 1 else "videos"
        tail = f"; {len(result.skipped)} failed {word} skipped{clips}"
    videos_word = "video" if len(result.videos) == 1 else "videos"
    click.echo(
        f"{len(result.videos)} {videos_word} exported ({', '.join(result.formats)}): "
        f"{plural(len(result.files), 'file')} -> {result.output}{tail}",
        err=True,
    )
