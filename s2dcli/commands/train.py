"""`s2d train` and `s2d evaluate`: thin skins over `s2dcli.training.run`.

Label files are read and checked before anything loads: a bad file is a usage error (exit 2)
listing every bad row with its line number and reason. Progress (clip extraction, batches) and
the epoch table go to stderr, rich on a terminal and plain lines otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from s2dcli.commands.config_file import config_defaults
from s2dcli.commands.train_progress import EpochTable, ProgressLines
from s2dcli.commands.write_errors import output_errors
from s2dcli.config import DeviceOptions, FaceOptions, ModelOptions, default
from s2dcli.errors import InputError
from s2dcli.options import (
    DEVICE_HELP,
    classes_option,
    device_options,
    face_options,
    is_quiet,
    model_options,
    verbosity,
)
from s2dcli.training.config import OUT, VAL_SPLIT, TrainConfig

TRAIN_DEVICE_HELP = "auto, cpu, cuda or cuda:N (under torchrun: each process its own GPU)."


def data_options(device_help: str = DEVICE_HELP) -> Any:
    """What train and evaluate share: where the videos are, the face, model and device
    groups (as for annotate) and --config."""
    decorators = [
        click.option(
            "--videos",
            type=click.Path(exists=True, file_okay=False),
            help="Folder the label file's video paths are relative to [default: the "
            "label file's folder].",
        ),
        face_options,
        model_options,
        device_options(device_help=device_help),
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

    def decorate(fn: Any) -> Any:
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return fn

    return decorate


def _data(
    videos: str | None,
    faces: FaceOptions,
    model: ModelOptions,
    device: DeviceOptions,
) -> Any:
    from s2dcli.training.run import DataOptions

    return DataOptions(videos=videos, faces=faces, model=model, device=device)


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
    default=VAL_SPLIT,
    show_default=True,
    help="Share of each class held out for validation without --val-labels.",
)
@click.option(
    "--init",
    default=default(ModelOptions, "model"),
    show_default=True,
    help="Starting weights: a published name (s2d models list), a path, URL or hf:// address.",
)
@data_options(TRAIN_DEVICE_HELP)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=default(TrainConfig, "epochs"),
    show_default=True,
    help="Passes over the training clips.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=default(TrainConfig, "batch_size"),
    show_default=True,
    help="Clips per step (per process under torchrun).",
)
@click.option(
    "--accumulate",
    type=click.IntRange(min=1),
    default=default(TrainConfig, "accumulate"),
    show_default=True,
    help="Gradient accumulation steps (effective batch = batch size x this).",
)
@click.option(
    "--lr",
    type=click.FloatRange(min=0, min_open=True),
    help="Peak learning rate [default: the release's 1e-5 per 8 clips, scaled].",
)
@click.option(
    "--warmup-epochs",
    type=click.FloatRange(min=0),
    default=default(TrainConfig, "warmup_epochs"),
    show_default=True,
    help="Epochs of linear learning-rate warm-up before the cosine decay (fractions allowed).",
)
@click.option(
    "--label-smoothing",
    type=click.FloatRange(0, 1, max_open=True),
    default=default(TrainConfig, "label_smoothing"),
    show_default=True,
    help="Label smoothing of the cross-entropy loss (0: none).",
)
@click.option(
    "--sdl/--no-sdl",
    default=default(TrainConfig, "sdl"),
    show_default=True,
    help="Emotion-anchor self-distillation (the release's weight schedule, scaled to --epochs).",
)
@click.option(
    "--oversample",
    is_flag=True,
    default=default(TrainConfig, "oversample"),
    help="Class-balanced epochs: every class drawn as often as the largest.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=OUT,
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
    default=default(TrainConfig, "seed"),
    show_default=True,
    help="Seeds the split, the head, shuffling and augmentation.",
)
@verbosity
def train(
    labels_path: str,
    val_labels: str | None,
    val_split: float,
    init: str,
    videos: str | None,
    faces: str,
    detect_every: int,
    min_face: float,
    model_config: str | None,
    landmark_weights: str | None,
    offline: bool,
    device: str,
    precision: str,
    epochs: int,
    batch_size: int,
    accumulate: int,
    lr: float | None,
    warmup_epochs: float,
    label_smoothing: float,
    sdl: bool,
    oversample: bool,
    out: Path,
    resume: bool,
    seed: int,
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

    quiet = is_quiet()
    data = _data(
        videos,
        FaceOptions(faces, detect_every, min_face),
        ModelOptions(model_config=model_config, landmark_weights=landmark_weights, offline=offline),
        DeviceOptions(device, precision),
    )
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
    _check_labels(labels_path, videos, val_labels, quiet)
    table = EpochTable(quiet)
    with output_errors(out), ProgressLines(quiet) as progress:
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
    if quiet:
        return
    skipped = summary.get("skipped")
    if isinstance(skipped, list) and skipped:
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
@classes_option
@data_options()
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help="Clips per model call [default: 32 on CUDA, 8 on CPU].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for metrics.json, predictions.csv and the confusion matrix.",
)
@verbosity
def evaluate(
    labels_path: str,
    weights: str,
    classes: str | None,
    videos: str | None,
    faces: str,
    detect_every: int,
    min_face: float,
    model_config: str | None,
    landmark_weights: str | None,
    offline: bool,
    device: str,
    precision: str,
    batch_size: int | None,
    out: Path | None,
) -> None:
    """Score weights on labelled clips: UAR, WAR, macro / weighted F1, per-class recall.

    UAR is the mean of the per-class recalls, WAR the share of clips right. The label file's
    classes are matched to the model's by name; the DFEW, FERV39K and MAFW split files are
    read in their datasets' class orders, so the published checkpoints can be checked
    against the paper's tables. The scores go to stdout (also with -q).

    \b
    Examples:
      s2d evaluate --labels DFEW/set_1/test.csv --videos DFEW/clips --faces none \\
          --weights dfew-fold1
      s2d evaluate --labels held_out.csv --weights runs/kids/best.pth --out runs/kids/test
      s2d evaluate --labels test.csv --weights best.pth --classes angry,happy,neutral
    """
    from s2dcli.training.run import evaluate as run_evaluate

    quiet = is_quiet()
    data = _data(
        videos,
        FaceOptions(faces, detect_every, min_face),
        ModelOptions(
            weights=weights,
            model_config=model_config,
            landmark_weights=landmark_weights,
            classes=classes,
            offline=offline,
        ),
        DeviceOptions(device, precision, batch_size),
    )
    _check_labels(labels_path, videos, None, quiet)
    with output_errors(out), ProgressLines(quiet) as progress:
        summary = run_evaluate(labels_path, weights, out, data=data, progress=progress)
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
    if out is not None and not quiet:
        click.echo(f"-> {out / 'metrics.json'}, {out / 'predictions.csv'}", err=True)


def _check_labels(
    labels_path: str, videos: str | None, val_labels: str | None, quiet: bool
) -> None:
    """Read the label files before anything loads; say what they hold (a misspelt class
    shows up here as a class of its own)."""
    from collections import Counter

    from s2dcli.labels import read_labels

    try:
        labels = read_labels(labels_path, videos)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--labels") from exc
    counts = Counter(labels.classes[c.label] for c in labels.clips)
    if not quiet:
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
