"""S2D on a device: uint8 face clips in, class probabilities out.

The host sends uint8 crops (4x fewer bytes than float32); conversion, ImageNet normalisation,
the landmark branch and S2D all run on the device, under bf16/fp16 autocast on CUDA and in
fp32 on CPU. A CUDA out-of-memory error halves the batch and retries, losing no clip.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from engine.device import inference_context, run_halving_on_oom, to_device
from s2dcli.models import IMAGENET_MEAN, IMAGENET_STD, S2D, LandmarkNet

log = logging.getLogger("s2d.pipeline")


@dataclass(frozen=True)
class ClipScores:
    """The model's answer for a batch of clips.

    Attributes:
        probs: `(N, classes)` float32 softmax probabilities.
        logits: `(N, classes)` float32.
    """

    probs: np.ndarray
    logits: np.ndarray


class FrameNormalizer:
    """uint8 clips `(B, T, H, W, 3)` -> normalised float frames `(B*T, 3, H, W)`, on the device
    the clips are on: `(x / 255 - mean) / std` as one fused multiply-add (ImageNet statistics)."""

    def __init__(self, device: torch.device) -> None:
        std = torch.tensor(IMAGENET_STD, dtype=torch.float32, device=device)
        mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32, device=device)
        self.scale = (1.0 / (255.0 * std)).view(1, 3, 1, 1)
        self.shift = (-mean / std).view(1, 3, 1, 1)

    def __call__(self, clips: torch.Tensor) -> torch.Tensor:
        b, t, h, w, c = clips.shape
        frames = clips.reshape(b * t, h, w, c).permute(0, 3, 1, 2).float()
        return (frames * self.scale + self.shift).contiguous()


class Classifier:
    """S2D and its landmark branch on one device, in eval mode.

    Args:
        model: the S2D model (moved to `device`, set to eval).
        landmarks: the landmark branch (likewise).
        device: where to run.
        precision: auto (bf16 on CUDA, fp32 on CPU), fp32, bf16 or fp16.
        compile: wrap the forward pass in `torch.compile` (first batches are slow).
    """

    def __init__(
        self,
        model: S2D,
        landmarks: LandmarkNet,
        device: torch.device,
        precision: str = "auto",
        compile: bool = False,
    ) -> None:
        self.device = device
        self.precision = precision
        self.model = model.to(device).eval()
        self.landmarks = landmarks.to(device).eval()
        self.num_frames = model.config.num_frames
        self.size = model.config.img_size
        self._normalize = FrameNormalizer(device)
        self._forward = torch.compile(self._logits) if compile else self._logits
        self.halvings = 0

    @property
    def clip_shape(self) -> tuple[int, int, int, int]:
        """The uint8 shape of one clip: `(T, S, S, 3)`."""
        return (self.num_frames, self.size, self.size, 3)

    def _logits(self, frames: torch.Tensor) -> torch.Tensor:
        lf = self.landmarks(frames)
        logits, _ = self.model.forward_head(self.model.forward_features(frames, lf))
        return logits

    def _run(self, clips: torch.Tensor) -> torch.Tensor:
        frames = self._normalize(to_device(clips, self.device))
        with inference_context(self.device, self.precision):
            logits = self._forward(frames)
        return logits.float()

    def __call__(self, clips: torch.Tensor, count: int | None = None) -> ClipScores:
        """Classify a batch.

        Args:
            clips: uint8 `(B, T, S, S, 3)` on the host (pinned for CUDA).
            count: the rows that are clips (the rest is padding); all when None.
        """
        expected = self.clip_shape
        if clips.dtype != torch.uint8 or tuple(clips.shape[1:]) != expected:
            raise ValueError(
                f"clips must be uint8 (B, {', '.join(map(str, expected))}), "
                f"got {clips.dtype} {tuple(clips.shape)}"
            )
        count = clips.shape[0] if count is None else count
        if clips.shape[0] == 1:
            # One row takes other kernels (matrix-vector) whose last bits differ; two rows keep
            # a clip's scores independent of its batch.
            clips = clips.expand(2, *clips.shape[1:]).contiguous()

        def run(rows: Sequence[object]) -> list[torch.Tensor]:
            # run_halving_on_oom passes `rows` whole or halved: slices of the range below.
            assert isinstance(rows, range) and rows.step == 1
            part = clips if len(rows) == clips.shape[0] else clips[rows.start : rows.stop]
            return list(self._run(part).cpu())

        def on_halve(size: int) -> None:
            self.halvings += 1

        rows = run_halving_on_oom(run, range(clips.shape[0]), on_halve=on_halve)
        logits = torch.stack(rows[:count]) if count else torch.zeros(0, self.model.num_classes)
        probs = logits.softmax(dim=-1)
        return ClipScores(probs.numpy().astype(np.float32), logits.numpy().astype(np.float32))
