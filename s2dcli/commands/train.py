"""`s2d train` and `s2d evaluate`: thin skins over `s2dcli.training.run`.

Label files are read and checked before anything loads: a bad file is a usage error (exit 2)
listing every bad row with its line number and reason. Progress (clip extraction, batches) and
the epoch table go to stderr, rich on a terminal and plain lines otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from s2dcli.commands.config_file import config_defaults
from s2dcli.errors import InputError

DEVICE_HELP = "auto, cpu, cuda or cuda:N (under torchrun: each process its own GPU)."


def data_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by train and evaluate: where the videos are and how clips are cut."""
    decorators = [
        click.option(
            "--videos",
            type=click.Path(exists=True, file_okay=False),
            help="Folder the label file's video paths are relative to [default: the "
            "label file's folder].",
        ),
        click.option(
            "--faces",
            default="auto",
            show_default=True,
            help="Face detector (auto, scrfd, an InsightFace pack, a .onnx file, "
            "mtcnn), or none for videos that are face crops already (DFEW, FERV39K, "
            "MAFW clips).",
        ),
        click.option(
            "--detect-every",
            type=click.IntRange(min=1),
            default=5,
            show_default=True,
            help="Detect faces on every k-th frame.",
        ),
        click.option(
            "--min-face",
            type=click.FloatRange(min=0),
            default=20.0,
            show_default=True,
            help="Ignore faces smaller than this (pixels).",
        ),
        click.option(
            "--model-config",
            type=click.Path(exists=True, dir_okay=False),
            help="S2DConfig JSON for weights of a non-standard shape.",
        ),
        click.option(
            "--landmark-weights",
            help="MobileFaceNet landmark weights [default: the published ones].",
        ),
        click.option("--device", default="auto", show_default=True, help=DEVICE_HELP),
        click.option("--offline", is_flag=True, help="Never download; cached weights only."),
        click.option(
            "--config",
            callback=config_defaults,
            is_eager=True,
            expose_value=False,
            type=click.Path(dir_okay=False),
            help="A TOML file with any of these "
            "options (under [train] / [evaluate], or at the top).",
        ),
    ]
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def _data(options: dict[str, Any]) -> Any:
    from s2dcli.training.run import DataOptions

    return DataOptions(
        videos=options.pop("videos"),
        faces=str(options.pop("faces")),
        detect_every=int(options.pop("detect_every")),
        min_face=float(options.pop("min_face")),
        offline=bool(options.pop("offline")),
        model_config=options.pop("model_config"),
        landmark_weights=options.pop("landmark_weights"),
        device=str(options.pop("device")),
    )


@click.command(context_settings={"max_content_width": 100})
@click.option(
    "--labels",
    "labels_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Training labels: a CSV with video,label or video,start_s,end_s,label"
    "[,face_id] (names or 0-based indices), or a DFEW / FERV39K / MAFW split file.",
)
@click.option(
    "--val-labels",
    type=click.Path(exists=True, dir_okay=False),
    help="Validation labels [default: --val-split of --labels].",
)
@click.option(
    "--val-split",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.1,
    show_default=True,
    help="Share of each class held out for validation without --val-labels.",
)
@click.option(
    "--init",
    default="dfew-fold1",
    show_default=True,
    help="Starting weights: a published name (s2d models list), a path, URL or hf:// address.",
)
@data_options
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Clips per step (per process under torchrun).",
)
@click.option(
    "--accumulate",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Gradient accumulation steps (effective batch = batch size x this).",
)
@click.option(
    "--lr",
    type=click.FloatRange(min=0, min_open=True),
    help="Peak learning rate [default: the release's 1e-5 per 8 clips, scaled].",
)
@click.option("--warmup-epochs", type=click.FloatRange(min=0), default=1.0, show_default=True)
@click.option(
    "--label-smoothing", type=click.FloatRange(0, 1, max_open=True), default=0.1, show_default=True
)
@click.option(
    "--sdl/--no-sdl",
    default=False,
    show_default=True,
    help="Emotion-anchor self-distillation (the release's weight schedule, scaled to --epochs).",
)
@click.option(
    "--oversample",
    is_flag=True,
    help="Class-balanced epochs: every class drawn as often as the largest.",
)
@click.option(
    "--precision",
    type=click.Choice(["auto", "fp32", "bf16", "fp16"]),
    default="auto",
    show_default=True,
    help="auto: bf16 autocast on CUDA, fp32 on CPU.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default="runs/train",
    show_default=True,
    help="Folder for checkpoints, metrics and plots.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the interrupted run in --out (same "
    "options); it ends where an uninterrupted run would.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seeds the split, the head, shuffling and augmentation.",
)
def train(
    labels_path: str,
    val_labels: str | None,
    val_split: float,
    init: str,
    epochs: int,
    batch_size: int,
    accumulate: int,
    lr: float | None,
    warmup_epochs: float,
    label_smoothing: float,
    sdl: bool,
    oversample: bool,
    precision: str,
    out: Path,
    resume: bool,
    seed: int,
    **options: Any,
) -> None:
    """Fine-tune S2D on your own labelled clips, the release's parameter-efficient way.

    Only the prompters, adapters, temporal embedding, final norm and head train (under 10 %
    of the weights). Faces are found and tracked as in `s2d annotate` (or --faces none for
    face crops); every clip is extracted once and cached in S2D_HOME/clips, so epochs never
    decode again. After each epoch: validation UAR, WAR, macro / weighted F1 and per-class
    recall. If the labels' classes are the starting model's, its head is kept; otherwise a
    new head is trained for them.

    \b
    Writes into OUT:
      best.pth (+ best.pth.json)  the best epoch by validation UAR, with config and classes;
                                  `s2d annotate --weights OUT/best.pth` reads both
      last.pth, state.pt          the last epoch, and what --resume needs
      metrics.csv                 epoch, train_loss, val_uar, val_war, F1, recall per class
      confusion.csv/.png, curves.png, train.json

    \b
    Examples:
      s2d train --labels my.csv --epochs 10 --out runs/kids
      s2d train --labels train.csv --val-labels val.csv --faces none --sdl --oversample
      s2d train --labels my.csv --out runs/kids --resume      # after an interruption
      torchrun --nproc-per-node 4 -m s2dcli train --labels my.csv --device cuda
    """
    from s2dcli.training.run import train as run_train
    from s2dcli.training.trainer import TrainConfig

    data = _data(options)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        accumulate=accumulate,
        warmup_epochs=warmup_epochs,
        label_smoothing=label_smoothing,
        sdl=sdl,
        oversample=oversample,
        seed=seed,
        precision=precision,
    )
    _check_labels(labels_path, data.videos, val_labels, "--labels")
    if not resume and (out / "state.pt").exists():
        raise click.UsageError(
            f"{out} holds a training run already: add --resume to continue "
            "it, or choose another --out folder."
        )
    table = EpochTable()
    with ProgressLines() as progress:
        summary = run_train(
            labels_path,
            out,
            val_labels=val_labels,
            val_split=val_split,
            init=init,
            data=data,
            config=config,
            resume=resume,
            progress=progress,
            on_epoch=table.add,
        )
    skipped = summary.get("skipped") or []
    if skipped:
        click.echo(
            f"{len(skipped)} labelled sample(s) gave no clip and were left out "
            f"(see {out / 'train.json'}).",
            err=True,
        )
    click.echo(
        f"best epoch {summary['best_epoch']}: val UAR {summary['best_val_uar']:.4f} -> "
        f"{out / 'best.pth'}",
        err=True,
    )


@click.command(context_settings={"max_content_width": 100})
@click.option(
    "--labels",
    "labels_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Test labels (any format `s2d train` reads).",
)
@click.option(
    "--weights",
    required=True,
    help="A published name (dfew-fold1, ...), a .pth path, URL or hf:// address.",
)
@click.option(
    "--classes",
    "class_labels",
    help="The model's class names when the weights do not say: dfew, ferv39k, mafw or a,b,c.",
)
@data_options
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for metrics.json, predictions.csv and the confusion matrix.",
)
def evaluate(
    labels_path: str,
    weights: str,
    class_labels: str | None,
    batch_size: int,
    out: Path | None,
    **options: Any,
) -> None:
    """Score weights on labelled clips: UAR, WAR, macro / weighted F1, per-class recall.

    UAR is the mean of the per-class recalls, WAR the share of clips right. The label file's
    classes are matched to the model's by name; the DFEW, FERV39K and MAFW split files are
    read in their datasets' class orders, so the published checkpoints can be checked
    against the paper's tables.

    \b
    Examples:
      s2d evaluate --labels DFEW/set_1/test.csv --videos DFEW/clips --faces none \\
          --weights dfew-fold1
      s2d evaluate --labels held_out.csv --weights runs/kids/best.pth --out runs/kids/test
    """
    from s2dcli.training.run import evaluate as run_evaluate

    data = _data(options)
    _check_labels(labels_path, data.videos, None, "--labels")
    with ProgressLines() as progress:
        summary = run_evaluate(
            labels_path,
            weights,
            out,
            data=data,
            class_labels=class_labels,
            batch_size=batch_size,
            progress=progress,
        )
    recall = summary["recall"]
    assert isinstance(recall, dict)
    click.echo(
        f"{summary['clips']} clips  UAR {summary['uar']:.4f}  WAR {summary['war']:.4f}  "
        f"macro F1 {summary['macro_f1']:.4f}  weighted F1 {summary['weighted_f1']:.4f}"
    )
    click.echo(
        "recall  "
        + "  ".join(
            f"{name} {'-' if value is None else f'{value:.3f}'}" for name, value in recall.items()
        )
    )
    if out is not None:
        click.echo(f"-> {out / 'metrics.json'}, {out / 'predictions.csv'}", err=True)


def _check_labels(labels_path: str, videos: str | None, val_labels: str | None, hint: str) -> None:
    """Read the label files before anything loads; say what they hold (a misspelt class
    shows up here as a class of its own)."""
    from collections import Counter

    from s2dcli.labels import read_labels

    try:
        labels = read_labels(labels_path, videos)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from exc
    counts = Counter(labels.classes[c.label] for c in labels.clips)
    click.echo(
        f"{labels_path}: {len(labels.clips)} samples, {len(labels.classes)} classes ("
        + ", ".join(f"{name} {counts[name]}" for name in labels.classes)
        + ")",
        err=True,
    )
    if val_labels is not None:
        try:  # every validation class must be a training class
            read_labels(val_labels, videos, labels.classes if labels.format == "csv" else None)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--val-labels") from exc


class ProgressLines:
    """Progress of extraction and batches: a rich bar on a terminal, a line per quarter else."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
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
        if what == "batches":
            return  # the epoch lines say enough in a log
        quarter = done * 4 // total
        if done == total or quarter > self._last.get(what, -1):
            self._last[what] = quarter
            click.echo(f"{what}: {done}/{total}", err=True)


class EpochTable:
    """Epoch metrics as they come: a rich table on a terminal, plain lines otherwise."""

    COLUMNS = ("epoch", "train loss", "val UAR", "val WAR", "macro F1", "lr", "time")

    def __init__(self) -> None:
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
