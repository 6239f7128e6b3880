"""The `s2d` command line: a thin skin over the Python API.

Nothing here imports torch at module level, so `s2d --help` answers at once. User errors
(`S2DError`) become a one-line message and their exit status (2, or 3 for a failed write) in
`S2DGroup.invoke`; bad option values are Click usage errors (exit 2); Ctrl-C is 130; anything
else is a bug and shows its traceback.
"""

from __future__ import annotations

import traceback

import click

from s2dcli import __version__
from s2dcli.commands.annotate import annotate
from s2dcli.commands.benchmark import benchmark
from s2dcli.commands.export import export
from s2dcli.commands.models import models
from s2dcli.commands.report import report
from s2dcli.commands.review import review
from s2dcli.commands.train import evaluate, train
from s2dcli.errors import EXIT_CODES, EXIT_INTERRUPTED, S2DError
from s2dcli.options import remember_group_verbosity

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


EXIT_CODE_TABLE = "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items())


class S2DGroup(click.Group):
    """Turns `S2DError` into a clean `Error: ...` line with its exit status (see
    `s2dcli.errors`) unless --debug is given, and Ctrl-C into exit status 130."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except S2DError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)  # as Click shows its own errors
            raise click.exceptions.Exit(exc.exit_code) from exc
        except KeyboardInterrupt:
            if ctx.find_root().params.get("debug"):  # re-raised, Click would exit 1 "Aborted!"
                traceback.print_exc()
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


@click.group(
    cls=S2DGroup,
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExit status (every command):\n" + EXIT_CODE_TABLE,
)
@click.version_option(__version__, "-V", "--version", prog_name="s2d")
@click.option("-v", "--verbose", count=True, help="Also debug messages (for every command).")
@click.option(
    "-q", "--quiet", is_flag=True, help="Errors only: no progress, no warnings (every command)."
)
@click.option("--debug", is_flag=True, help="Show full tracebacks, also for user errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Annotate videos with facial emotions using S2D (Chen et al., IEEE TAFFC 2024).

    S2D is a ViT-B/16 image model adapted to video with landmark-aware prompters and
    temporal adapters; the published checkpoints are state of the art on DFEW, FERV39K and
    MAFW. s2dcli loads them strictly and reproduces the authors' numbers.

    \b
    Weights are downloaded on first use into S2D_HOME (default ~/.cache/s2d) and checked
    by sha256 on every load; set HF_HUB_OFFLINE=1 or pass --offline to stay offline.

    \b
    Examples:
      s2d annotate videos/ -o results.csv   # faces, clips, emotions: CSV + summary
      s2d models list                 # the published checkpoints and their classes
      s2d models pull dfew-fold1      # download one for offline use
      s2d train --labels my.csv       # fine-tune S2D on your own labelled clips
      s2d evaluate --labels test.csv --weights runs/train/best.pth
      s2d review results.csv -o review/ --videos videos/   # the clips to check by eye
      s2d report results.csv -o report/   # watch each video beside its timeline
      s2d export results.csv -f elan,boris,vtt   # for ELAN, BORIS and video players
      s2d benchmark --device cuda     # how fast is this machine, stage by stage
      s2d models verify               # re-check every cached file's sha256
    """
    from engine.threads import prefer_passive_openmp

    prefer_passive_openmp()  # before any command imports torch (see engine.threads)
    remember_group_verbosity(ctx, verbose, quiet)


cli.add_command(annotate)
cli.add_command(models)
cli.add_command(train)
cli.add_command(evaluate)
cli.add_command(benchmark)
cli.add_command(review)
cli.add_command(export)
cli.add_command(report)
