"""The release's parameter-efficient fine-tuning, on clips already extracted (uint8).

Only the prompters, adapters, temporal embedding, final norm and head train
(`apply_release_freezing`); AdamW with linear warm-up then cosine decay (per optimiser step),
label smoothing, gradient accumulation, bf16/fp16 autocast on CUDA, optional class-balanced
oversampling and optional emotion-anchor self-distillation (SDL, the release's weight schedule
scaled to the run's length). After every epoch the model is evaluated on the validation clips;
`last.pth` and `state.pt` (optimiser, scheduler, anchors, history) make `resume=True` continue
exactly where an uninterrupted run would be, and `best.pth` keeps the best validation UAR.

Under torchrun (`s2dcli.training.distributed`) the model is wrapped in DistributedDataParallel:
every rank draws the same epoch order, takes its share of each global batch of
`batch_size * world_size` clips, and only rank 0 writes files.

Checkpoints are the release's format (`{'model': state_dict}`) with a JSON sidecar
(`best.pth.json`: config, class names, training metadata), which `load_s2d` and
`s2d annotate --weights` read. Randomness (shuffling, oversampling, flips, dropout) is drawn
from generators seeded by `seed` and the epoch, so CPU runs repeat exactly.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.device import autocast_dtype
from s2dcli.atomic import write_atomic
from s2dcli.errors import InputError
from s2dcli.models import S2D, EmotionAnchors, LandmarkNet, apply_release_freezing, sdl_weight
from s2dcli.models.checkpoint import sidecar_path
from s2dcli.pipeline.classify import FrameNormalizer
from s2dcli.training.distributed import Distributed
from s2dcli.training.metrics import Metrics, compute_metrics, metrics_from_confusion

STATE_FILE = "state.pt"
# The landmark branch is frozen, so its features of a clip (and of its mirror image) never
# change: they are computed once per fit when they fit in this many bytes of host memory.
LANDMARK_CACHE_BYTES = 4 << 30


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters; `lr=None` is the release's 1e-5 per 8 clips, scaled with the batch.

    `batch_size` is per process; under torchrun the global batch is `batch_size * world_size`.
    """

    epochs: int = 20
    batch_size: int = 8
    lr: float | None = None
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    accumulate: int = 1
    sdl: bool = False
    oversample: bool = False
    flip: bool = True
    seed: int = 0
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.accumulate < 1:
            raise ValueError("epochs, batch_size and accumulate must be at least 1")

    def learning_rate(self, world_size: int = 1) -> float:
        if self.lr is not None:
            return self.lr
        return 1e-5 * self.batch_size * world_size * self.accumulate / 8


@dataclass(frozen=True)
class ClipSet:
    """Extracted clips: `clips` uint8 `(N, T, S, S, 3)`, `labels` int64 `(N,)`."""

    clips: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if self.clips.ndim != 5 or self.clips.dtype != np.uint8:
            raise ValueError(
                f"clips must be uint8 (N, T, S, S, 3), got {self.clips.dtype} {self.clips.shape}"
            )
        if self.labels.shape != (len(self.clips),):
            raise ValueError("one label per clip")

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class EpochRecord:
    """One epoch's row of `metrics.csv` (per-class recall becomes `val_recall_<class>`)."""

    epoch: int
    train_loss: float
    val_uar: float
    val_war: float
    val_macro_f1: float
    val_weighted_f1: float
    lr: float
    seconds: float
    val_recall: dict[str, float | None] = field(default_factory=dict)

    def row(self) -> dict[str, object]:
        row: dict[str, object] = {k: v for k, v in asdict(self).items() if k != "val_recall"}
        for k in ("train_loss", "val_uar", "val_war", "val_macro_f1", "val_weighted_f1"):
            row[k] = round(float(row[k]), 6)  # type: ignore[arg-type]
        row["lr"] = float(f"{self.lr:.6g}")
        row["seconds"] = round(self.seconds, 2)
        row.update({f"val_recall_{name}": value for name, value in self.val_recall.items()})
        return row


@dataclass
class TrainResult:
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = -1
    best_uar: float = -1.0
    best_metrics: Metrics | None = None


class _Net(nn.Module):
    """The landmark branch (frozen) and S2D as one module, so DDP sees one forward."""

    def __init__(self, model: S2D, landmarks: LandmarkNet) -> None:
        super().__init__()
        self.model = model
        self.landmarks = landmarks

    def forward(
        self, frames: torch.Tensor, landmark_features: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if landmark_features is None:
            with torch.no_grad():
                landmark_features = self.landmarks(frames)
        return self.model.forward_head(self.model.forward_features(frames, landmark_features))

    def train(self, mode: bool = True) -> _Net:
        super().train(mode)
        self.landmarks.eval()  # BatchNorm running statistics, as the release
        return self


class Trainer:
    """Fine-tunes `model` into `out_dir`; its head is replaced (seeded) if the class count
    differs from `classes`."""

    def __init__(
        self,
        model: S2D,
        landmarks: LandmarkNet,
        classes: list[str],
        config: TrainConfig,
        device: torch.device,
        out_dir: Path,
        metadata: dict[str, object] | None = None,
        distributed: Distributed | None = None,
    ) -> None:
        self.dist = distributed or Distributed()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            if model.num_classes != len(classes):
                model.reset_classifier(len(classes))
            self.anchors = EmotionAnchors(len(classes), model.embed_dim).to(device)
        self.model = model.to(device)
        self.landmarks = landmarks.to(device).eval()
        self.net = _Net(self.model, self.landmarks)
        self.trainable = apply_release_freezing(model)
        self.step_net: nn.Module = self.net
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            self.step_net = DistributedDataParallel(
                self.net,
                device_ids=[device.index] if device.type == "cuda" else None,
                find_unused_parameters=True,
            )  # prompt_norms[-1] trains but is never used
        self.classes = list(classes)
        self.config = config
        self.device = device
        self.out_dir = Path(out_dir)
        self.metadata = metadata or {}
        self.normalize = FrameNormalizer(device)
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            params,
            lr=config.learning_rate(self.dist.world_size),
            betas=(0.9, 0.999),
            weight_decay=config.weight_decay,
        )
        self.dtype = autocast_dtype(device, config.precision)
        self.scaler = torch.amp.GradScaler(enabled=self.dtype == torch.float16)
        self.scheduler: torch.optim.lr_scheduler.LambdaLR | None = None
        self.result = TrainResult()
        self._landmark_cache: dict[tuple[str, bool], torch.Tensor] = {}

    # ------------------------------------------------------------------ the loop

    def steps_per_epoch(self, labels: np.ndarray) -> int:
        """Optimiser steps in one epoch over clips with these labels."""
        world = self.dist.world_size
        length = _epoch_size(labels, len(self.classes), self.config.oversample)
        length = math.ceil(length / world) * world
        batches = math.ceil(length / (self.config.batch_size * world))
        return math.ceil(batches / self.config.accumulate)

    def fit(
        self,
        train: ClipSet,
        val: ClipSet,
        resume: bool = False,
        on_epoch: Callable[[EpochRecord, Metrics], None] | None = None,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> TrainResult:
        """Train for `config.epochs` (from the saved state when `resume`), validating after
        every epoch. `on_batch(done, total)` is called after every batch."""
        config = self.config
        steps = self.steps_per_epoch(train.labels)
        total = max(1, steps * config.epochs)
        warmup = round(config.warmup_epochs * steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: _warmup_cosine(step, warmup, total)
        )
        result = TrainResult()
        start_epoch = 0
        if resume and (self.out_dir / STATE_FILE).exists():
            start_epoch, result = self._load_state()
        self.result = result
        if self.dist.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self._landmark_cache = {}
        if start_epoch < config.epochs:
            self._cache_landmarks(train, "train", flips=config.flip)
            self._cache_landmarks(val, "val", flips=False)
        for epoch in range(start_epoch, config.epochs):
            began = time.perf_counter()
            loss = self._train_epoch(train, epoch, on_batch)
            metrics = self.evaluate(val, self._landmark_cache.get(("val", False)))
            record = EpochRecord(
                epoch + 1,
                loss,
                metrics.uar,
                metrics.war,
                metrics.macro_f1,
                metrics.weighted_f1,
                self.optimizer.param_groups[0]["lr"],
                time.perf_counter() - began,
                metrics.to_dict(self.classes)["recall"],
            )  # type: ignore[arg-type]
            result.history.append(record)
            improved = metrics.uar > result.best_uar
            if improved:
                result.best_epoch, result.best_uar, result.best_metrics = (
                    epoch + 1,
                    metrics.uar,
                    metrics,
                )
            if self.dist.is_main:
                if improved:
                    self._save_weights(self.out_dir / "best.pth", epoch + 1, metrics)
                self._save_weights(self.out_dir / "last.pth", epoch + 1, metrics)
                self._save_state(epoch + 1, result)
                if on_epoch is not None:
                    on_epoch(record, metrics)
            self.dist.barrier()
        return result

    def _train_epoch(
        self, data: ClipSet, epoch: int, on_batch: Callable[[int, int], None] | None = None
    ) -> float:
        config, world, rank = self.config, self.dist.world_size, self.dist.rank
        self.net.train()
        rng = np.random.default_rng([config.seed, epoch])
        order = _epoch_order(data.labels, len(self.classes), config.oversample, rng)
        if len(order) % world:  # every rank takes the same number of clips, as DistributedSampler
            order = np.concatenate([order, order[: world - len(order) % world]])
        torch.manual_seed(config.seed * 100_003 + epoch * 7_919 + rank)  # dropout
        weight = sdl_weight(epoch, config.epochs) if config.sdl else 0.0
        size = config.batch_size * world
        batches = [order[i : i + size] for i in range(0, len(order), size)]
        loss_sum, count = 0.0, 0
        self.optimizer.zero_grad(set_to_none=True)
        for n, global_rows in enumerate(batches):
            flips = rng.random(len(global_rows)) < 0.5  # drawn for the global batch: same on all
            rows = global_rows[rank::world]
            clips = data.clips[rows]
            if config.flip:
                mine = flips[rank::world]
                clips = np.where(mine[:, None, None, None, None], clips[:, :, :, ::-1], clips)
            labels = torch.as_tensor(data.labels[rows], device=self.device)
            frames = self.normalize(torch.from_numpy(np.ascontiguousarray(clips)).to(self.device))
            landmark_features = self._cached_landmarks(
                rows, flips[rank::world] if config.flip else np.zeros(len(rows), bool)
            )
            with torch.autocast(
                self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None
            ):
                logits, feature = self.step_net(frames, landmark_features)
                loss = F.cross_entropy(
                    logits.float(), labels, label_smoothing=config.label_smoothing
                )
                if weight > 0:
                    loss = loss + weight * self.anchors.loss(logits.float(), feature.float())
            if config.sdl:
                self.anchors.update(feature.float(), logits.float(), labels)
            self.scaler.scale(loss / config.accumulate).backward()
            if (n + 1) % config.accumulate == 0 or n + 1 == len(batches):
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
                assert self.scheduler is not None
                self.scheduler.step()
            loss_sum += float(loss.detach()) * len(rows)
            count += len(rows)
            if on_batch is not None and self.dist.is_main:
                on_batch(n + 1, len(batches))
        loss_sum, count = self.dist.sum([loss_sum, float(count)], self.device)
        return loss_sum / max(1.0, count)

    @torch.inference_mode()
    def predict(
        self,
        data: ClipSet,
        landmark_features: torch.Tensor | None = None,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """`(N, classes)` probabilities on `data`, in eval mode (`landmark_features`, when
        given, are the clips' `(N, T, C, 14, 14)` landmark features)."""
        self.net.eval()
        size = batch_size or max(2, self.config.batch_size)
        out = []
        for i in range(0, len(data), size):
            clips = torch.from_numpy(np.ascontiguousarray(data.clips[i : i + size]))
            frames = self.normalize(clips.to(self.device))
            features = None
            if landmark_features is not None:
                features = landmark_features[i : i + size].flatten(0, 1).to(self.device)
            with torch.autocast(
                self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None
            ):
                logits, _ = self.net(frames, features)
            out.append(logits.float().softmax(dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), np.float32)

    def evaluate(self, data: ClipSet, landmark_features: torch.Tensor | None = None) -> Metrics:
        predictions = self.predict(data, landmark_features).argmax(axis=1)
        return compute_metrics(data.labels, predictions, len(self.classes))

    # ------------------------------------------------------------------ landmark features

    @torch.inference_mode()
    def _cache_landmarks(self, data: ClipSet, name: str, flips: bool) -> None:
        """Landmark features of every clip (and of its mirror image) on the host, if small."""
        n, t = data.clips.shape[:2]
        per_frame = self.model.config.in_chans_l * 14 * 14 * 4
        needed = n * t * per_frame * (2 if flips else 1)
        if needed > LANDMARK_CACHE_BYTES:
            return  # computed batch by batch instead
        for flipped in (False, True) if flips else (False,):
            parts = []
            for i in range(0, n, 16):
                clips = data.clips[i : i + 16]
                if flipped:
                    clips = clips[:, :, :, ::-1]
                frames = self.normalize(
                    torch.from_numpy(np.ascontiguousarray(clips)).to(self.device)
                )
                with torch.autocast(
                    self.device.type,
                    dtype=self.dtype or torch.float32,
                    enabled=self.dtype is not None,
                ):
                    features = self.landmarks(frames).float()
                parts.append(features.view(len(clips), t, *features.shape[1:]).cpu())
            self._landmark_cache[(name, flipped)] = torch.cat(parts)

    def _cached_landmarks(self, rows: np.ndarray, flips: np.ndarray) -> torch.Tensor | None:
        """The cached `(len(rows) * T, C, 14, 14)` features of these training rows, or None."""
        plain = self._landmark_cache.get(("train", False))
        if plain is None or (flips.any() and ("train", True) not in self._landmark_cache):
            return None
        index = torch.from_numpy(np.asarray(rows, np.int64))
        features = plain[index]
        if flips.any():
            mirrored = self._landmark_cache[("train", True)][index]
            features = torch.where(
                torch.from_numpy(flips)[:, None, None, None, None], mirrored, features
            )
        return features.flatten(0, 1).to(self.device, non_blocking=True)

    # ------------------------------------------------------------------ files
    def _save_weights(self, path: Path, epoch: int, metrics: Metrics) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        torch.save({"model": self.model.state_dict()}, tmp)
        os.replace(tmp, path)
        meta = {
            "config": self.model.config.to_dict(),
            "class_names": self.classes,
            "training": {
                "epoch": epoch,
                "val": metrics.to_dict(self.classes),
                "hyperparameters": asdict(self.config),
                **self.metadata,
            },
        }
        write_atomic(sidecar_path(path), json.dumps(meta, indent=2, default=str) + "\n")

    def _save_state(self, epoch: int, result: TrainResult) -> None:
        assert self.scheduler is not None
        state = {
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "anchors": self.anchors.state_dict(),
            "history": [asdict(r) for r in result.history],
            "best": [result.best_epoch, result.best_uar],
            "best_confusion": (
                None if result.best_metrics is None else result.best_metrics.confusion.tolist()
            ),
            "config": asdict(self.config),
        }
        tmp = self.out_dir / f".{STATE_FILE}.tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.out_dir / STATE_FILE)

    def _load_state(self) -> tuple[int, TrainResult]:
        state = torch.load(self.out_dir / STATE_FILE, map_location=self.device, weights_only=True)
        saved = state.get("config", {})
        changed = sorted(k for k, v in asdict(self.config).items() if saved.get(k) != v)
        if changed:
            raise InputError(
                f"{self.out_dir / STATE_FILE} was written with other settings ("
                + ", ".join(
                    f"{k}: {saved.get(k)!r} then, {getattr(self.config, k)!r} now" for k in changed
                )
                + "); resume with the same options, or train into a new --out folder."
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        assert self.scheduler is not None
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.anchors.load_state_dict(state["anchors"])
        confusion = state.get("best_confusion")
        result = TrainResult(
            [EpochRecord(**r) for r in state["history"]],
            int(state["best"][0]),
            float(state["best"][1]),
            None if confusion is None else metrics_from_confusion(np.asarray(confusion)),
        )
        return int(state["epoch"]), result


def _warmup_cosine(step: int, warmup: int, total: int) -> float:
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _epoch_size(labels: np.ndarray, num_classes: int, oversample: bool) -> int:
    if not oversample:
        return len(labels)
    counts = np.bincount(labels, minlength=num_classes)
    return int((counts > 0).sum() * counts.max())


def _epoch_order(
    labels: np.ndarray, num_classes: int, oversample: bool, rng: np.random.Generator
) -> np.ndarray:
    """A shuffled epoch; with `oversample`, every class drawn as often as the largest."""
    if not oversample:
        return rng.permutation(len(labels))
    counts = np.bincount(labels, minlength=num_classes)
    target = counts.max()
    rows = []
    for c in range(num_classes):
        members = np.flatnonzero(labels == c)
        if len(members):
            rows.append(
                members[rng.integers(0, len(members), target)] if len(members) < target else members
            )
    return rng.permutation(np.concatenate(rows))
