"""What `s2d annotate` shows while it runs: a rich progress bar on a terminal; piped (a log
file, a batch job), one line per finished video; nothing with -q. Then one closing line,
and a line per failed video."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from s2dcli.annotator import Progress, RunResult


def plural(count: int, word: str) -> str:
    """`1 video`, `2 videos`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class Reporter:
    """Progress for a run (see the module docstring)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.live = not quiet and sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Reporter:
        if self.live:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]videos"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "{task.fields[clips]} clips, {task.fields[rate]} clips/s{task.fields[failed]}"
                ),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("videos", total=None, clips=0, rate="-", failed="")
        return self

    def update(self, progress: Progress) -> None:
        if self.quiet:
            return
        elapsed = max(time.perf_counter() - progress.started, 1e-9)
        rate = f"{(progress.clips - progress.skipped_clips) / elapsed:.1f}"
        if self._bar is not None:
            failed = f", [red]{progress.failed} failed" if progress.failed else ""
            self._bar.update(
                self._task,
                total=progress.total,
                completed=progress.done,
                clips=progress.clips,
                rate=rate,
                failed=failed,
            )
            return
        record = progress.last
        if record is None:
            return  # nothing finished yet (or only videos of an earlier run)
        faces = len({row[1] for row in record.rows})
        what = f"{plural(faces, 'face')}, {plural(len(record.rows), 'clip')}"
        if record.status == "failed":
            what = f"failed: {record.error}"
        elif record.status == "partial":
            what += f" (partial: {record.error})"
        elif record.status == "no_face":
            what = "no face"
        click.echo(f"[{progress.done}/{progress.total}] {record.video}: {what}", err=True)

    def finished(self, result: RunResult, output: Path) -> None:
        """The closing lines."""
        if self.quiet:
            return
        p = result.progress
        earlier = f" ({p.skipped} from an earlier run)" if p.skipped else ""
        click.echo(
            f"{plural(p.done, 'video')}{earlier}, {plural(p.clips, 'clip')}, "
            f"{result.failed} failed -> {output}",
            err=True,
        )
        if self.live:  # the piped lines named them already
            for row in result.summary.itertuples():
                if row.status == "failed":
                    click.echo(f"  failed: {row.video}: {row.error}", err=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
