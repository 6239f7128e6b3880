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

Randomness (shuffling, oversampling, flips, dropout) is drawn from generators seeded by `seed`
and the epoch, so CPU runs repeat exactly. The parts live beside this module: `types` (config,
clips, records), `schedule` (learning-rate curve, epoch order), `landmark_cache` and
`checkpoints` (the files and resume).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.device import autocast_dtype
from s2dcli.models import S2D, EmotionAnchors, LandmarkNet, apply_release_freezing, sdl_weight
from s2dcli.pipeline.classify import FrameNormalizer
from s2dcli.training.checkpoints import STATE_FILE, load_state, save_state, save_weights
from s2dcli.training.distributed import Distributed
from s2dcli.training.landmark_cache import LANDMARK_CACHE_BYTES, LandmarkCache
from s2dcli.training.metrics import Metrics, compute_metrics
from s2dcli.training.schedule import epoch_order, epoch_size, warmup_cosine
from s2dcli.training.types import ClipSet, EpochRecord, TrainConfig, TrainResult


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
        metadata: Mapping[str, object] | None = None,
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
        self.metadata: dict[str, object] = dict(metadata or {})
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
        self.landmark_cache = LandmarkCache(
            self.landmarks, self.normalize, model.config.in_chans_l, device, self.dtype
        )

    # ------------------------------------------------------------------ the loop

    def steps_per_epoch(self, labels: np.ndarray) -> int:
        """Optimiser steps in one epoch over clips with these labels."""
        world = self.dist.world_size
        length = epoch_size(labels, len(self.classes), self.config.oversample)
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
            self.optimizer, lambda step: warmup_cosine(step, warmup, total)
        )
        result = TrainResult()
        start_epoch = 0
        if resume and (self.out_dir / STATE_FILE).exists():
            start_epoch, result = load_state(self)
        self.result = result
        if self.dist.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self.landmark_cache.clear()
        if start_epoch < config.epochs:
            self.landmark_cache.fill(train, "train", flips=config.flip)
            self.landmark_cache.fill(val, "val", flips=False)
        for epoch in range(start_epoch, config.epochs):
            began = time.perf_counter()
            loss = self._train_epoch(train, epoch, on_batch)
            metrics = self.evaluate(val, self.landmark_cache.get("val"))
            record = EpochRecord(
                epoch + 1,
                loss,
                metrics.uar,
                metrics.war,
                metrics.macro_f1,
                metrics.weighted_f1,
                self.optimizer.param_groups[0]["lr"],
                time.perf_counter() - began,
                cast("dict[str, float | None]", metrics.to_dict(self.classes)["recall"]),
            )
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
                    save_weights(self, self.out_dir / "best.pth", epoch + 1, metrics)
                save_weights(self, self.out_dir / "last.pth", epoch + 1, metrics)
                save_state(self, epoch + 1, result)
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
        order = epoch_order(data.labels, len(self.classes), config.oversample, rng)
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
            landmark_features = self.landmark_cache.rows(
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
        total_loss, total_count = self.dist.sum([loss_sum, float(count)], self.device)
        return total_loss / max(1.0, total_count)

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


__all__ = [
    "LANDMARK_CACHE_BYTES",
    "STATE_FILE",
    "ClipSet",
    "EpochRecord",
    "TrainConfig",
    "TrainResult",
    "Trainer",
]
