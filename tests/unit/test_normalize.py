"""The on-device normalisation is the release's: (x / 255 - ImageNet mean) / std, frames first."""

from __future__ import annotations

import torch

from s2dcli.models import IMAGENET_MEAN, IMAGENET_STD
from s2dcli.pipeline.classify import FrameNormalizer


def test_matches_the_reference_formula_and_layout():
    clips = torch.randint(0, 256, (2, 3, 5, 7, 3), dtype=torch.uint8)  # (B, T, H, W, C)
    frames = FrameNormalizer(torch.device("cpu"))(clips)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    reference = (clips.flatten(0, 1).permute(0, 3, 1, 2).float() / 255 - mean) / std
    assert frames.shape == (6, 3, 5, 7) and frames.is_contiguous()
    torch.testing.assert_close(frames, reference, rtol=0, atol=1e-6)
