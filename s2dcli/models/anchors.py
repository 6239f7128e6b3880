"""Emotion anchors: the release's self-distillation (SDL) queues.

Per class, a FIFO queue of `size` pooled features and the softmax probabilities that went
with them. A sample's soft target is the similarity-weighted mean of the probabilities of the
`k` most similar queued features of every class.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class EmotionAnchors(nn.Module):
    """Self-distillation queues.

    Tensors (buffers, so they follow `.to(device)` and are saved in the state dict):
        queue: `(num_classes, size, dim)` features.
        probs: `(num_classes, size, num_classes)` softmax probabilities.
    Both start uniformly random in [0, 1), as in the release.
    """

    queue: torch.Tensor  # registered buffers: declared so nn.Module's __getattr__ is not asked
    probs: torch.Tensor

    def __init__(self, num_classes: int, dim: int, k: int = 2, size: int = 16) -> None:
        super().__init__()
        if not 1 <= k <= size:
            raise ValueError(f"k must be between 1 and size ({size}), got {k}")
        self.num_classes, self.dim, self.k, self.size = num_classes, dim, k, size
        self.register_buffer("queue", torch.rand(num_classes, size, dim))
        self.register_buffer("probs", torch.rand(num_classes, size, num_classes))

    @torch.no_grad()
    def update(self, features: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> None:
        """Push each sample, in batch order, into its label's queue (dropping the oldest).

        features: `(B, dim)`; logits: `(B, num_classes)`; labels: `(B,)` class indices.
        """
        probs = torch.softmax(logits.detach().float(), dim=1)
        features = features.detach().to(self.queue.dtype)
        for label in labels.unique().tolist():
            rows = (labels == label).nonzero().flatten()
            count = min(len(rows), self.size)
            rows = rows[-count:]  # only the newest `size` survive a FIFO of length `size`
            self.queue[label] = torch.cat((self.queue[label][count:], features[rows]))
            self.probs[label] = torch.cat((self.probs[label][count:], probs[rows]))

    @torch.no_grad()
    def soft_targets(self, features: torch.Tensor) -> torch.Tensor:
        """`(B, dim)` features -> `(B, num_classes)` soft targets."""
        queue = F.normalize(self.queue.float(), dim=2)
        feats = F.normalize(features.detach().float(), dim=1)
        similarity = torch.einsum("bd,csd->bcs", feats, queue)  # (B, classes, size)
        top_sim, top_idx = similarity.topk(self.k, dim=2)  # (B, classes, k)
        classes = torch.arange(self.num_classes, device=features.device)
        top_probs = self.probs.float()[classes[None, :, None], top_idx]  # (B, classes, k, C)
        weighted = (top_sim.unsqueeze(-1) * top_probs).sum(dim=(1, 2))
        return weighted / top_sim.sum(dim=(1, 2)).unsqueeze(-1)

    def loss(self, logits: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Unweighted BCE-with-logits between `logits` and the soft targets of `features`."""
        return F.binary_cross_entropy_with_logits(logits, self.soft_targets(features))


def sdl_weight(epoch: int, total_epochs: int = 100) -> float:
    """The release's SDL loss weight for `epoch`, its 100-epoch schedule scaled to the run.

    0 before 30 %, 0.01 before 50 %, 0.1 before 60 %, 0.5 before 80 %, then 1.
    """
    position = epoch * 100 / total_epochs
    for end, weight in ((30, 0.0), (50, 0.01), (60, 0.1), (80, 0.5)):
        if position < end:
            return weight
    return 1.0
