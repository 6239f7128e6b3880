"""The shape of a training run: the learning-rate curve and the order clips are drawn in.

Pure functions of the labels, the step and a seeded generator, so every rank of a distributed
run (and a resumed run) computes the same schedule and the same epoch order.
"""

from __future__ import annotations

import math

import numpy as np


def warmup_cosine(step: int, warmup: int, total: int) -> float:
    """The learning-rate factor at optimiser `step`: linear warm-up, then cosine decay to 0."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def epoch_size(labels: np.ndarray, num_classes: int, oversample: bool) -> int:
    """Clips in one epoch: all of them, or with `oversample` every class as the largest."""
    if not oversample:
        return len(labels)
    counts = np.bincount(labels, minlength=num_classes)
    return int((counts > 0).sum() * counts.max())


def epoch_order(
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


__all__ = ["epoch_order", "epoch_size", "warmup_cosine"]
