"""The trainer's files: `best.pth` / `last.pth` with their sidecars, and `state.pt` for resume.

Weights are the release's format (`{'model': state_dict}`) with a JSON sidecar
(`best.pth.json`: config, class names, training metadata), which `load_s2d` and
`s2d annotate --weights` read. `state.pt` holds everything a resumed run needs to continue
exactly where an uninterrupted one would be (model, optimiser, scheduler, scaler, anchors,
history, best epoch) and the hyper-parameters, which must match the new run's. Every file is
written under a temporary name and renamed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from s2dcli.atomic import write_atomic
from s2dcli.errors import InputError
from s2dcli.models.checkpoint import sidecar_path
from s2dcli.training.metrics import Metrics, metrics_from_confusion
from s2dcli.training.types import EpochRecord, TrainResult
from s2dcli.write.files import writing

if TYPE_CHECKING:
    from s2dcli.training.trainer import Trainer

STATE_FILE = "state.pt"


def save_weights(trainer: Trainer, path: Path, epoch: int, metrics: Metrics) -> None:
    """Write the model's weights to `path` and its sidecar beside it."""
    tmp = path.with_name(f".{path.name}.tmp")
    with writing(path):  # a full disk is an OutputWriteError (exit 3), not a traceback
        with open(tmp, "wb") as f:  # a file object: torch.save then raises the OSError itself
            torch.save({"model": trainer.model.state_dict()}, f)
        os.replace(tmp, path)
    meta = {
        "config": trainer.model.config.to_dict(),
        "class_names": trainer.classes,
        "training": {
            "epoch": epoch,
            "val": metrics.to_dict(trainer.classes),
            "hyperparameters": asdict(trainer.config),
            **trainer.metadata,
        },
    }
    write_atomic(sidecar_path(path), json.dumps(meta, indent=2, default=str) + "\n")


def save_state(trainer: Trainer, epoch: int, result: TrainResult) -> None:
    """Write `<out_dir>/state.pt` after `epoch` epochs."""
    if trainer.scheduler is None:
        raise RuntimeError("save_state is called by fit(), once the scheduler exists")
    state = {
        "epoch": epoch,
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict(),
        "scaler": trainer.scaler.state_dict(),
        "anchors": trainer.anchors.state_dict(),
        "history": [asdict(r) for r in result.history],
        "best": [result.best_epoch, result.best_uar],
        "best_confusion": (
            None if result.best_metrics is None else result.best_metrics.confusion.tolist()
        ),
        "config": asdict(trainer.config),
    }
    tmp = trainer.out_dir / f".{STATE_FILE}.tmp"
    with writing(trainer.out_dir / STATE_FILE):
        with open(tmp, "wb") as f:
            torch.save(state, f)
        os.replace(tmp, trainer.out_dir / STATE_FILE)


def load_state(trainer: Trainer) -> tuple[int, TrainResult]:
    """Restore the trainer from `<out_dir>/state.pt`: the epochs done and the result so far.

    Raises:
        InputError: the state was written with other hyper-parameters (each one is named).
    """
    path = trainer.out_dir / STATE_FILE
    state = torch.load(path, map_location=trainer.device, weights_only=True)
    saved = state.get("config", {})
    config = trainer.config
    changed = sorted(k for k, v in asdict(config).items() if saved.get(k) != v)
    if changed:
        raise InputError(
            f"{path} was written with other settings ("
            + ", ".join(f"{k}: {saved.get(k)!r} then, {getattr(config, k)!r} now" for k in changed)
            + "); resume with the same options, or train into a new --out folder."
        )
    if trainer.scheduler is None:
        raise RuntimeError("load_state is called by fit(), once the scheduler exists")
    trainer.model.load_state_dict(state["model"])
    trainer.optimizer.load_state_dict(state["optimizer"])
    trainer.scheduler.load_state_dict(state["scheduler"])
    trainer.scaler.load_state_dict(state["scaler"])
    trainer.anchors.load_state_dict(state["anchors"])
    confusion = state.get("best_confusion")
    result = TrainResult(
        [EpochRecord(**r) for r in state["history"]],
        int(state["best"][0]),
        float(state["best"][1]),
        None if confusion is None else metrics_from_confusion(np.asarray(confusion)),
    )
    return int(state["epoch"]), result


__all__ = ["STATE_FILE", "load_state", "save_state", "save_weights"]
