"""EmotionAnchors (self-distillation queues) against the release (golden/sdl.npz)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from s2dcli.models import EmotionAnchors, sdl_weight


@pytest.fixture(scope="module")
def sdl(golden_dir):
    return {k: torch.from_numpy(np.asarray(v)) for k, v in np.load(golden_dir / "sdl.npz").items()}


def _anchors(sdl) -> EmotionAnchors:
    classes, dim, k, size = sdl["params"].tolist()
    anchors = EmotionAnchors(classes, dim, k=k, size=size)
    assert anchors.queue.shape == (classes, size, dim)
    assert anchors.probs.shape == (classes, size, classes)
    anchors.queue.copy_(sdl["queue_before"])
    anchors.probs.copy_(sdl["probe_before"])
    return anchors


def test_update_is_a_fifo_per_label(sdl):
    anchors = _anchors(sdl)
    anchors.update(sdl["update_features"], sdl["update_logits"], sdl["update_labels"])
    torch.testing.assert_close(anchors.queue, sdl["queue_after"], rtol=0, atol=0)
    torch.testing.assert_close(anchors.probs, sdl["probe_after"], rtol=1e-6, atol=1e-7)


def test_soft_targets_and_loss(sdl):
    anchors = _anchors(sdl)
    anchors.update(sdl["update_features"], sdl["update_logits"], sdl["update_labels"])
    targets = anchors.soft_targets(sdl["features"])
    torch.testing.assert_close(targets, sdl["soft_targets"], rtol=1e-5, atol=1e-6)
    loss = anchors.loss(sdl["logits"], sdl["features"])
    assert loss.item() == pytest.approx(float(sdl["bce_loss_weight1"]), abs=1e-6)


def test_update_with_more_samples_than_the_queue_holds():
    anchors = EmotionAnchors(3, 4, k=1, size=2)
    features = torch.arange(20, dtype=torch.float32).view(5, 4)
    anchors.update(features, torch.zeros(5, 3), torch.zeros(5, dtype=torch.long))
    torch.testing.assert_close(anchors.queue[0], features[3:])


def test_anchors_are_buffers_saved_with_the_model():
    anchors = EmotionAnchors(7, 16, size=4)
    assert set(anchors.state_dict()) == {"queue", "probs"}


def test_release_weight_schedule(golden_dir):
    schedule = json.loads((golden_dir / "sdl_schedule.json").read_text())
    for start, end, weight in schedule["weight_by_epoch"]:
        for epoch in range(start, end if end is not None else 100):
            assert sdl_weight(epoch, total_epochs=100) == weight, epoch


def test_weight_schedule_scales_to_the_run_length():
    assert sdl_weight(2, total_epochs=10) == 0.0
    assert sdl_weight(3, total_epochs=10) == 0.01
    assert sdl_weight(9, total_epochs=10) == 1.0
