"""`s2d report`: a thin skin over `s2dcli.report.interactive.write_report`."""

from __future__ import annotations

from pathlib import Path

import click

from s2dcli.commands.annotate_progress import plural
from s2dcli.options import is_quiet, verbosity


@click.command(context_settings={"max_content_width": 100})
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The report folder (index.html, videos/, and media/ with --copy-media).",
)
@click.option(
    "--videos",
    multiple=True,
    type=click.Path(exists=True),
    help="The paths given to annotate, or their root folder (repeatable) [default: the run "
    "record's inputs].",
)
@click.option(
    "--summary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The run's summary, when annotate was given --summary [default: <stem>.videos.csv "
    "beside RESULTS].",
)
@click.option(
    "--copy-media",
    is_flag=True,
    help="Copy the videos into OUTPUT/media/, for a folder that can be moved or shared "
    "[default: link to the originals by their relative path].",
)
@click.option("--overwrite", is_flag=True, help="Replace an earlier report in the folder.")
@verbosity
def report(
    results: Path,
    output: Path,
    videos: tuple[str, ...],
    summary: Path | None,
    copy_media: bool,
    overwrite: bool,
) -> None:
    """Write an interactive report of an annotate run: watch a video with its faces boxed and
    labelled, and its timelines beside it.

    RESULTS is the -o file of `s2d annotate` (.csv, .parquet or .jsonl); its summary,
    segments and run record beside it are read too. OUTPUT/index.html opens from the file
    system in any browser (no server, no network):

    \b
      overview   every video with its status, duration, faces, dominant label and how
                 confident it was; sortable; failed and partial videos with their reasons
      per video  the video with the face boxes and labels drawn over it, and per face the
                 class probabilities over time and a ribbon of its label segments; click
                 a timeline or a segment to seek; space plays, <- / -> step to the
                 previous / next segment, and a label filter finds "the next Angry"

    \b
    Examples:
      s2d report results.csv -o report/
      s2d report results.csv -o report/ --videos videos/ --overwrite
      s2d report results.parquet -o share/ --copy-media   # a folder to zip and send
      s2d annotate videos/ -o results.csv --report report/   # in one go
    """
    from s2dcli.report.interactive import write_report

    done = write_report(
        results,
        output,
        videos=list(videos) or None,
        summary=summary,
        copy_media=copy_media,
        overwrite=overwrite,
    )
    if is_quiet():
        return
    copied = f", {plural(done.copied, 'video')} copied into media/" if done.copied else ""
    click.echo(f"report of {plural(done.videos, 'video')}{copied} -> {done.index}", err=True)
    if done.missing:
        shown = ", ".join(done.missing[:5]) + (", ..." if len(done.missing) > 5 else "")
        click.echo(
            f"  {plural(len(done.missing), 'video')} not found, shown without their video: {shown} "
            "(--videos names where they are)",
            err=True,
        )
