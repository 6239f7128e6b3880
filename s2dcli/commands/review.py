"""`s2d review`: a thin skin over `s2dcli.review.review`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from s2dcli.commands.annotate_progress import plural
from s2dcli.commands.write_errors import output_errors
from s2dcli.errors import InputError
from s2dcli.options import is_quiet, verbosity


@click.command(context_settings={"max_content_width": 100})
@click.argument("results", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The review folder (index.html, labels.csv, crops/).",
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="How many clips to show.",
)
@click.option(
    "--strategy",
    type=click.Choice(["entropy", "margin", "random"]),
    default="entropy",
    show_default=True,
    help="Most uncertain first by entropy or by the smallest top-2 margin; random is a control.",
)
@click.option(
    "--per-video-cap",
    type=click.IntRange(min=1),
    help="At most N clips from one video [default: no hard cap; each video, face "
    "and predicted label still gets only its share until the others had theirs].",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Tie-breaks (and the random strategy's order).",
)
@click.option(
    "--videos",
    multiple=True,
    type=click.Path(exists=True),
    help="The paths given to annotate, or their root folder (repeatable) [default: "
    "the run record's inputs].",
)
@click.option(
    "--frames",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Face crops shown per clip.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an earlier review in the folder (its labels.csv included).",
)
@verbosity
def review(
    results: str,
    output: Path,
    budget: int,
    strategy: str,
    per_video_cap: int | None,
    seed: int,
    videos: tuple[str, ...],
    frames: int,
    overwrite: bool,
) -> None:
    """Show a person the clips the model is least sure about, and collect their labels.

    RESULTS is the -o file of `s2d annotate` (its run record beside it tells the weights).
    Chooses --budget clips, the most uncertain first, spread over videos, faces and
    predicted labels, and writes into OUTPUT:

    \b
      index.html   one card per clip: face crops, video, time range, the probabilities as
                   bars and a choice of label; "Save labels.csv" downloads the choices
                   (opens from the file system, no server, no network)
      labels.csv   the same clips labelled with the predictions (video,start_s,end_s,
                   face_id,label,prediction,confidence): correct it here or on the page
      review.json  what was chosen, how, and the commands to run next

    Then `s2d train --labels OUTPUT/labels.csv --init <the weights annotate used>` and
    `s2d evaluate` on held-out clips show the gain (the commands are printed at the end).

    \b
    Examples:
      s2d review results.csv -o review/ --videos videos/
      s2d review results.csv -o review/ --videos videos/ --budget 50 --per-video-cap 5
      s2d review results.csv -o review/ --videos videos/ --strategy margin --seed 1
      s2d review results.csv -o control/ --videos videos/ --strategy random
    """
    from s2dcli.review import ReviewOptions
    from s2dcli.review import review as run_review
    from s2dcli.review.run import check_folder

    quiet = is_quiet()
    options = ReviewOptions(
        budget=budget,
        strategy=strategy,
        per_video_cap=per_video_cap,
        seed=seed,
        frames=frames,
        overwrite=overwrite,
    )
    try:
        check_folder(output, overwrite)
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc

    def progress(done: int, total: int) -> None:
        if not quiet and sys.stderr.isatty():
            click.echo(f"\rframes for the sheet: {done}/{total} videos", err=True, nl=done == total)

    with output_errors(output):
        result = run_review(
            results, output, videos=list(videos) or None, options=options, on_video=progress
        )
    if quiet:
        return
    click.echo(
        f"{plural(len(result.chosen), 'clip')} from {plural(result.videos, 'video')} -> "
        f"{result.index}",
        err=True,
    )
    click.echo(f"labels (prefilled with the predictions) -> {result.labels}", err=True)
    if result.no_frames:
        click.echo(
            f"  {plural(result.no_frames, 'clip')} without frames (their video could not be read)",
            err=True,
        )
    if result.missing_videos:
        click.echo(
            f"  {plural(len(result.missing_videos), 'video')} not found, their clips left out: "
            f"{', '.join(result.missing_videos[:5])}",
            err=True,
        )
    click.echo("Next: label the clips, save labels.csv, then:", err=True)
    for command in result.commands:
        click.echo(f"  {command}", err=True)
