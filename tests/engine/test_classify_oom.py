"""The classifier on the tiny golden S2D when the device runs out of memory: the batch is split
in halves and every clip is still scored once, in order, with the scores of an unsplit run.

A CPU does not run out of memory on a tiny model, so the forward pass is made to raise
torch's out-of-memory error above a batch size; the model itself runs for real."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from s2dcli.models import S2DConfig, load_landmarks, load_s2d
from s2dcli.pipeline.classify import Classifier


@pytest.fixture(scope="module")
def classifier(golden_dir: Path) -> Classifier:
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    model = load_s2d(golden_dir / "tinyA_s2d.pth", config)
    return Classifier(
        model, load_landmarks(golden_dir / "tinyA_landmark.pth.tar"), torch.device("cpu")
    )


def clips_of(classifier: Classifier, count: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    shape = (count, *classifier.clip_shape)
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)


@pytest.mark.parametrize("count", [None, 5])
def test_out_of_memory_halves_and_keeps_every_clip_in_order(classifier, monkeypatch, count):
    clips = clips_of(classifier, 7)
    whole = classifier(clips, count)
    forward = classifier._forward
    seen: list[int] = []
    limit = 2 * classifier.num_frames  # frames of two clips

    def small_batches_only(frames: torch.Tensor) -> torch.Tensor:
        seen.append(frames.shape[0] // classifier.num_frames)
        if frames.shape[0] > limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return forward(frames)

    monkeypatch.setattr(classifier, "_forward", small_batches_only)
    before = classifier.halvings
    split = classifier(clips, count)
    assert classifier.halvings > before
    assert seen[0] == 7  # tried whole first
    assert sum(n for n in seen if n <= 2) == 7  # then each clip scored once, in halves
    assert split.probs.shape == whole.probs.shape == (count or 7, classifier.model.num_classes)
    np.testing.assert_allclose(split.logits, whole.logits, rtol=1e-4, atol=1e-5)
