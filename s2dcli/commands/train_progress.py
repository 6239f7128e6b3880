"""What `s2d train` and `s2d evaluate` show while they run, on stderr.

On a terminal: rich progress bars for clip extraction and batches, and the epoch table
redrawn after every epoch. Piped or logged: a line per quarter of each extraction and one line
per epoch (batches are not reported, the epoch lines say enough in a log). With -q, nothing.
"""

from __future__ import annotations

import sys
from typing import Any

import click


class ProgressLines:
    """Progress of extraction and batches: a rich bar on a terminal, a line per quarter else."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = not quiet and sys.stderr.isatty()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._last: dict[str, int] = {}

    def __enter__(self) -> ProgressLines:
        if self.tty:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._progress = Progress(
                "{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, what: str, done: int, total: int) -> None:
        if self._progress is not None:
            if what not in self._tasks or done == 1:
                if what in self._tasks:
                    self._progress.remove_task(self._tasks[what])
                self._tasks[what] = self._progress.add_task(what, total=total)
            self._progress.update(self._tasks[what], completed=done)
            return
        if self.quiet or what == "batches":
            return  # the epoch lines say enough in a log
        quarter = done * 4 // total
        if done == total or quarter > self._last.get(what, -1):
            self._last[what] = quarter
            click.echo(f"{what}: {done}/{total}", err=True)


class EpochTable:
    """Epoch metrics as they come: a rich table on a terminal, plain lines otherwise."""

    COLUMNS = ("epoch", "train loss", "val UAR", "val WAR", "macro F1", "lr", "time")

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.rows: list[tuple[str, ...]] = []

    def add(self, record: Any, metrics: Any) -> None:
        row = (
            str(record.epoch),
            f"{record.train_loss:.4f}",
            f"{record.val_uar:.4f}",
            f"{record.val_war:.4f}",
            f"{record.val_macro_f1:.4f}",
            f"{record.lr:.2e}",
            f"{record.seconds:.1f}s",
        )
        self.rows.append(row)
        if self.quiet:
            return
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.table import Table

            table = Table(*self.COLUMNS, title="training")
            for line in self.rows:
                table.add_row(*line)
            Console(stderr=True).print(table)
        else:
            click.echo(
                "epoch {} loss {} val UAR {} WAR {} macro F1 {} lr {} {}".format(*row), err=True
            )


__all__ = ["EpochTable", "ProgressLines"]
