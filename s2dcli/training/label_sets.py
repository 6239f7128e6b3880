"""Which labels train and which validate, in which class order.

`read_label_sets` reads the training and validation files and puts them in the starting
model's class order when every class of the file is one of the model's (by name, any case; or
0-based indices into its classes), so the model keeps its head; otherwise the file's own
classes stand and the trainer gives the model a new head. `split_validation` holds out a
stratified, seeded share when no validation file is given.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from s2dcli.errors import InputError
from s2dcli.labels import LabelSet, read_labels


def split_validation(labels: LabelSet, share: float, seed: int) -> tuple[LabelSet, LabelSet]:
    """A stratified, seeded split: about `share` of each class goes to validation."""
    if not 0 < share < 1:
        raise InputError(f"--val-split must be between 0 and 1, got {share}.")
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in range(len(labels.classes)):
        members = [clip for clip in labels.clips if clip.label == c]
        order = rng.permutation(len(members))
        count = max(1, round(len(members) * share)) if len(members) > 1 else 0
        val += [members[i] for i in order[:count]]
        train += [members[i] for i in order[count:]]
    train.sort(key=lambda c: c.line)
    val.sort(key=lambda c: c.line)
    if not val:
        raise InputError(
            "The validation split is empty: give more labelled clips, a larger "
            "--val-split, or --val-labels."
        )
    return (
        LabelSet(train, labels.classes, labels.format),
        LabelSet(val, labels.classes, labels.format),
    )


def model_class_names(weights_path: Path, registry_name: str | None) -> list[str] | None:
    """The class names a checkpoint's sidecar or the registry gives, else None."""
    from s2dcli.models.checkpoint import sidecar_path
    from s2dcli.weights.registry import REGISTRY

    sidecar = sidecar_path(weights_path)
    if sidecar.exists():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            meta = None
        if isinstance(meta, dict) and isinstance(meta.get("class_names"), list):
            return [str(n) for n in meta["class_names"]]
    if registry_name and registry_name in REGISTRY:
        return list(REGISTRY[registry_name].class_names) or None
    return None


def fits_model_classes(labels: LabelSet, model_classes: list[str]) -> bool:
    """Whether the label file's classes are all among the model's (names or indices)."""
    lookup = {c.lower() for c in model_classes}
    if all(c.lower() in lookup for c in labels.classes):
        return True
    return labels.format == "csv" and all(
        c.isdigit() and int(c) < len(model_classes) for c in labels.classes
    )


def read_label_sets(
    labels_path: str,
    val_labels: str | None,
    videos: str | None,
    model_classes: list[str] | None,
    train: LabelSet | None = None,
) -> tuple[LabelSet, LabelSet | None]:
    """The training (and validation) labels, in the model's class order when they fit it
    (`train`: the training file read already, in its own classes)."""
    train = train or read_labels(labels_path, videos)
    if model_classes is not None and fits_model_classes(train, model_classes):
        if train.format == "csv":
            train = read_labels(labels_path, videos, model_classes)
        else:
            train = reorder_classes(train, model_classes)
    val = None
    if val_labels:
        val = read_labels(val_labels, videos, train.classes)
        if val.classes != train.classes:
            val = reorder_classes(val, train.classes)
    return train, val


def reorder_classes(labels: LabelSet, classes: list[str]) -> LabelSet:
    """`labels` with its class indices renumbered into `classes` (names matched in any case)."""
    lookup = {c.lower(): i for i, c in enumerate(classes)}
    missing = [c for c in labels.classes if c.lower() not in lookup]
    if missing:
        raise InputError(
            f"The labels use classes {missing} that the other label file (or the "
            f"model) does not have: {classes}."
        )
    remap = [lookup[c.lower()] for c in labels.classes]
    return LabelSet(
        [replace(c, label=remap[c.label]) for c in labels.clips], list(classes), labels.format
    )


__all__ = [
    "fits_model_classes",
    "model_class_names",
    "read_label_sets",
    "reorder_classes",
    "split_validation",
]
