"""The controllers behind `s2d train` and `s2d evaluate`: labels -> clips -> model -> files.

Labels are read and checked first (a bad file stops everything before any model loads); the
clips are then extracted once through the face pipeline into the clip cache
(`S2D_HOME/clips`, keyed by file content and options); training or evaluation runs on them.

Classes: when every class of the label file is one of the starting model's (by name, any
case; or 0-based indices into its classes), the model keeps its head and its class order;
otherwise it gets a new head for the label file's classes (`label_sets`).

Files written to `out` by `train`: `metrics.csv` (one row per epoch), `best.pth` / `last.pth`
with their JSON sidecars (config, class names, training metadata), `state.pt` (for
`--resume`), `confusion.csv` / `confusion.png` (the best epoch on the validation clips),
`curves.png` and `train.json`. By `evaluate`: `metrics.json`, `predictions.csv`,
`confusion.csv` and `confusion.png`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from s2dcli.config import DeviceOptions, FaceOptions, ModelOptions, default
from s2dcli.errors import DeviceError, InputError
from s2dcli.labels import LabelledClip, LabelSet, read_labels
from s2dcli.training.config import VAL_SPLIT, TrainConfig
from s2dcli.training.data import ClipCache, ExtractOptions, SampleError
from s2dcli.training.files import write_json, write_metrics_csv, write_predictions
from s2dcli.training.label_sets import (
    fits_model_classes,
    model_class_names,
    read_label_sets,
    reorder_classes,
    split_validation,
)

if TYPE_CHECKING:
    from s2dcli.faces.types import FaceDetector

log = logging.getLogger("s2d.train")

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class DataOptions:
    """Where the samples are, how faces are found, which weights beside S2D's, where it runs.

    Attributes:
        videos: the folder the label files' video paths are relative to (None: each label
            file's folder).
        faces: the detector and its settings, as for `annotate`.
        model: `model_config`, `landmark_weights`, `offline` and (for `evaluate`) `classes`;
            the S2D weights themselves are `train`'s `init` and `evaluate`'s `weights`.
        device: `device`; for `evaluate` also `precision` and `batch_size` (`train` takes
            them from its `TrainConfig`).
    """

    videos: str | None = None
    faces: FaceOptions = field(default_factory=FaceOptions)
    model: ModelOptions = field(default_factory=ModelOptions)
    device: DeviceOptions = field(default_factory=DeviceOptions)


@dataclass
class Extracted:
    """The clips of a label set, their labels, and the samples that gave none (with why)."""

    clips: np.ndarray
    labels: np.ndarray
    samples: list[LabelledClip]
    skipped: list[tuple[LabelledClip, str]]


def extract(
    labels: LabelSet,
    options: ExtractOptions,
    detector: FaceDetector | None,
    cache: ClipCache,
    progress: Progress | None = None,
    what: str = "clips",
) -> Extracted:
    """Clips and labels of every sample; samples that give no clip are kept with the reason."""
    from engine.video import VideoDecodeError

    clips, kept, skipped = [], [], []
    for i, sample in enumerate(labels.clips):
        try:
            clips.append(cache.get(sample, detector, options))
            kept.append(sample)
        except (SampleError, VideoDecodeError) as exc:
            log.warning("skipped line %d (%s): %s", sample.line, sample.video.name, exc)
            skipped.append((sample, str(exc)))
        if progress is not None:
            progress(what, i + 1, len(labels.clips))
    if not clips:
        reasons = "; ".join(reason for _, reason in skipped[:5])
        raise InputError(f"No labelled sample gave a clip ({what}): {reasons}")
    return Extracted(np.stack(clips), np.asarray([s.label for s in kept], np.int64), kept, skipped)


def _load_models(weights: str, data: DataOptions, named_by: str) -> tuple[Any, Any, Path, str]:
    """The S2D and landmark models; both files are resolved before either loads, so a run
    offline names every missing file at once (`named_by`: the option `weights` came from)."""
    from s2dcli.models import S2DConfig, load_landmarks, load_s2d
    from s2dcli.runtime import run_weights, weights_name

    options = data.model
    config = S2DConfig.from_json(options.model_config) if options.model_config else None
    weights_path, landmark_path = run_weights(
        weights, options.landmark_weights, options.offline, named_by=named_by
    )
    name = weights_name(weights, weights_path)
    return load_s2d(weights_path, config), load_landmarks(landmark_path), weights_path, name


def _extract_sets(
    sets: list[tuple[LabelSet, str]],
    model: Any,
    data: DataOptions,
    progress: Progress | None,
    main: bool = True,
) -> list[Extracted]:
    from s2dcli.faces import TrackerConfig, create_detector
    from s2dcli.weights import cache_root

    config = model.config
    options = ExtractOptions(
        num_frames=config.num_frames,
        size=config.img_size,
        faces=data.faces.faces,
        detect_every=data.faces.detect_every,
        tracker=TrackerConfig(min_face=data.faces.min_face, min_track_seconds=0.0),
    )
    detector = (
        None
        if options.whole_frame
        else create_detector(data.faces.faces, min_face=data.faces.min_face)
    )
    cache = ClipCache(cache_root() / "clips")
    try:
        return [
            extract(labels, options, detector, cache, progress if main else None, what)
            for labels, what in sets
        ]
    finally:
        if detector is not None:
            detector.close()


def _device(spec: str) -> Any:
    """The torch device for --device, or a `DeviceError` that says what to use."""
    from engine.device import DeviceUnavailableError, resolve_device

    try:
        return resolve_device(spec)
    except DeviceUnavailableError as exc:
        raise DeviceError(str(exc)) from exc


def _skipped(extracted: list[Extracted]) -> list[dict[str, object]]:
    return [
        {"line": s.line, "video": str(s.video), "reason": reason}
        for e in extracted
        for s, reason in e.skipped
    ]


def train(
    labels_path: str,
    out: Path,
    *,
    val_labels: str | None = None,
    val_split: float = VAL_SPLIT,
    init: str = default(ModelOptions, "model"),
    data: DataOptions | None = None,
    config: TrainConfig | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    on_epoch: Callable[[Any, Any], None] | None = None,
) -> dict[str, object]:
    """Fine-tune `init` on the labels (see the module docstring for the files written).

    Under torchrun every process runs this; rank 0 extracts the clips first (the others then
    read them from the cache) and writes every file.

    Raises:
        InputError: bad labels (every bad row listed), no clip, unusable options.
        DeviceError: the device cannot be used.
        WeightsNotAvailableError, CheckpointError: `init` cannot be had or loaded.
    """
    from s2dcli.training.distributed import init_distributed, shutdown_distributed
    from s2dcli.training.plots import plot_confusion, plot_curves, write_confusion_csv
    from s2dcli.training.trainer import ClipSet, Trainer

    data = data or DataOptions()
    config = config or TrainConfig()
    out = Path(out)
    first = read_labels(labels_path, data.videos)  # refuse a bad file before any model loads
    if val_labels:
        read_labels(val_labels, data.videos)
    if not resume and (out / "state.pt").exists():
        raise InputError(
            f"{out} holds a training run already: pass --resume to continue it, "
            "or choose another --out folder."
        )
    dist, device = init_distributed(_device(data.device.device))
    try:
        model, landmarks, weights_path, init_name = _load_models(init, data, "--init")
        registry_name = None if Path(init).exists() else init
        model_classes = model_class_names(weights_path, registry_name)
        train_set, val_set = read_label_sets(
            labels_path, val_labels, data.videos, model_classes, first
        )
        if val_set is None:
            train_set, val_set = split_validation(train_set, val_split, config.seed)
        sets = [(train_set, "training clips"), (val_set, "validation clips")]
        if dist.is_main:
            extracted = _extract_sets(sets, model, data, progress)
        dist.barrier()
        if not dist.is_main:
            extracted = _extract_sets(sets, model, data, None, main=False)  # from the cache
        train_x, val_x = extracted
        keeps_head = (
            model.num_classes == len(train_set.classes)
            and model_classes is not None
            and [c.lower() for c in model_classes] == [c.lower() for c in train_set.classes]
        )
        metadata = {
            "init": init_name,
            "init_weights": str(weights_path),
            "labels": str(labels_path),
            "val_labels": val_labels,
            "train_clips": len(train_x.labels),
            "val_clips": len(val_x.labels),
            "new_head": not keeps_head,
            "world_size": dist.world_size,
        }
        trainer = Trainer(model, landmarks, train_set.classes, config, device, out, metadata, dist)

        def epoch_done(record: Any, metrics: Any) -> None:
            write_metrics_csv(out / "metrics.csv", [r.row() for r in trainer.result.history])
            if on_epoch is not None:
                on_epoch(record, metrics)

        def batch_done(done: int, total: int) -> None:
            if progress is not None:
                progress("batches", done, total)

        result = trainer.fit(
            ClipSet(train_x.clips, train_x.labels),
            ClipSet(val_x.clips, val_x.labels),
            resume=resume,
            on_epoch=epoch_done,
            on_batch=batch_done,
        )
        summary: dict[str, object] = {
            "best_epoch": result.best_epoch,
            "best_val_uar": result.best_uar,
            "best": str(out / "best.pth"),
            "classes": train_set.classes,
            "epochs": len(result.history),
            **metadata,
            "skipped": _skipped(extracted),
        }
        if dist.is_main:
            history = [r.row() for r in result.history]
            write_metrics_csv(out / "metrics.csv", history)
            if result.best_metrics is not None:
                summary["best_val"] = result.best_metrics.to_dict(train_set.classes)
                write_confusion_csv(
                    result.best_metrics.confusion, train_set.classes, out / "confusion.csv"
                )
                plot_confusion(
                    result.best_metrics.confusion, train_set.classes, out / "confusion.png"
                )
            plot_curves(history, out / "curves.png")
            write_json(out / "train.json", summary)
        dist.barrier()
        return summary
    finally:
        shutdown_distributed(dist)


def evaluate(
    labels_path: str,
    weights: str,
    out: Path | None = None,
    *,
    data: DataOptions | None = None,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Score `weights` on labelled clips: UAR, WAR, macro / weighted F1, per-class recall and
    the confusion matrix; with `out`, also the files named in the module docstring.

    The label file's classes are matched to the model's by name (any case); a dataset split
    file (DFEW, FERV39K, MAFW) evaluated with that dataset's weights needs nothing more;
    `data.model.classes` names the model's classes when the weights do not.

    Raises:
        InputError: bad labels, classes the model does not have, no clip.
        DeviceError: the device cannot be used.
        WeightsNotAvailableError, CheckpointError: `weights` cannot be had or loaded.
    """
    from s2dcli.runtime import class_names
    from s2dcli.training.metrics import compute_metrics
    from s2dcli.training.plots import plot_confusion, write_confusion_csv
    from s2dcli.training.trainer import ClipSet, Trainer

    data = data or DataOptions()
    labels = read_labels(labels_path, data.videos)  # refuse a bad file before the model loads
    device = _device(data.device.device)
    model, landmarks, weights_path, name = _load_models(weights, data, "--weights")
    registry = None if Path(weights).exists() else weights
    model_classes = class_names(data.model.classes, weights_path, registry, model.num_classes)
    if not fits_model_classes(labels, model_classes):
        known = {m.lower() for m in model_classes}
        unknown = [c for c in labels.classes if c.lower() not in known]
        raise InputError(
            f"{labels_path} uses classes the model does not have: {unknown}; the "
            f"model's classes are {model_classes} (name them with --classes if "
            "the weights do not)."
        )
    labels = (
        read_labels(labels_path, data.videos, model_classes)
        if labels.format == "csv"
        else reorder_classes(labels, model_classes)
    )
    (extracted,) = _extract_sets([(labels, "test clips")], model, data, progress)
    trainer = Trainer(
        model,
        landmarks,
        model_classes,
        TrainConfig(
            batch_size=data.device.batch_size_for(device.type), precision=data.device.precision
        ),
        device,
        out or Path("."),
    )
    probs = trainer.predict(ClipSet(extracted.clips, extracted.labels))
    predicted = probs.argmax(axis=1)
    metrics = compute_metrics(extracted.labels, predicted, len(model_classes))
    summary: dict[str, object] = {
        "weights": name,
        "clips": len(extracted.labels),
        "classes": model_classes,
        **metrics.to_dict(model_classes),
        "skipped": _skipped([extracted]),
    }
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "metrics.json", summary)
        write_predictions(out / "predictions.csv", extracted.samples, probs, model_classes)
        write_confusion_csv(metrics.confusion, model_classes, out / "confusion.csv")
        plot_confusion(metrics.confusion, model_classes, out / "confusion.png")
    return summary
