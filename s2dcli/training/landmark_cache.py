"""The frozen landmark branch's features of the training and validation clips, kept on the host.

The landmark branch never trains, so its features of a clip (and of the clip's mirror image,
for flipped batches) are the same in every epoch: computing them once per fit, when they fit
in `LANDMARK_CACHE_BYTES` of host memory, spares the branch's forward pass in every batch.
Above that size nothing is cached and the trainer's network computes them batch by batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from s2dcli.training.types import ClipSet

# Host memory the cached features of one fit may take (float32, 14 x 14 per landmark channel).
LANDMARK_CACHE_BYTES = 4 << 30
_CHUNK = 16  # clips per forward pass while filling the cache


class LandmarkCache:
    """Features by `(name, flipped)`, e.g. `("train", True)` for the mirrored training clips."""

    def __init__(
        self,
        landmarks: nn.Module,
        normalize: Callable[[torch.Tensor], torch.Tensor],
        channels: int,
        device: torch.device,
        dtype: torch.dtype | None,
    ) -> None:
        self.landmarks = landmarks
        self.normalize = normalize
        self.channels = channels
        self.device = device
        self.dtype = dtype
        self._features: dict[tuple[str, bool], torch.Tensor] = {}

    def clear(self) -> None:
        self._features = {}

    def get(self, name: str, flipped: bool = False) -> torch.Tensor | None:
        """The cached `(N, T, C, 14, 14)` features of a clip set, or None."""
        return self._features.get((name, flipped))

    @torch.inference_mode()
    def fill(self, data: ClipSet, name: str, flips: bool) -> None:
        """Compute the features of every clip of `data` (and of its mirror image when `flips`),
        unless they would take more than `LANDMARK_CACHE_BYTES`."""
        n, t = data.clips.shape[:2]
        needed = n * t * self.channels * 14 * 14 * 4 * (2 if flips else 1)
        if needed > LANDMARK_CACHE_BYTES:
            return  # computed batch by batch instead
        for flipped in (False, True) if flips else (False,):
            parts = []
            for i in range(0, n, _CHUNK):
                clips = data.clips[i : i + _CHUNK]
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
            self._features[(name, flipped)] = torch.cat(parts)

    def rows(self, rows: np.ndarray, flips: np.ndarray) -> torch.Tensor | None:
        """The `(len(rows) * T, C, 14, 14)` training features of these rows, each mirrored
        where `flips` is true, on the device; None when they are not cached."""
        plain = self._features.get(("train", False))
        if plain is None or (flips.any() and ("train", True) not in self._features):
            return None
        index = torch.from_numpy(np.asarray(rows, np.int64))
        features = plain[index]
        if flips.any():
            mirrored = self._features[("train", True)][index]
            features = torch.where(
                torch.from_numpy(flips)[:, None, None, None, None], mirrored, features
            )
        return features.flatten(0, 1).to(self.device, non_blocking=True)


__all__ = ["LANDMARK_CACHE_BYTES", "LandmarkCache"]
