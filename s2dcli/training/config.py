"""What a training run is told: its hyper-parameters and the defaults `s2d train` shows.

Torch- and numpy-free, so the command line can take its defaults from here without slowing
`--help`; `TrainConfig` is stored in every checkpoint's sidecar and in `state.pt`, where
`--resume` compares it with the new run's.
"""

from __future__ import annotations

from dataclasses import dataclass

VAL_SPLIT = 0.1  # share of each class held out for validation without a validation file
OUT = "runs/train"  # where `s2d train` writes without --out


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


__all__ = ["OUT", "VAL_SPLIT", "TrainConfig"]
