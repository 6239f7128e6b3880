"""What the trainer takes and gives: its hyper-parameters, the clips, and the epoch records.

`TrainConfig` (from `s2dcli.training.config`, torch-free for the CLI) is stored in every
checkpoint's sidecar and in `state.pt`, where `resume=True` compares it with the new run's;
`EpochRecord.row()` is one row of `metrics.csv`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from s2dcli.training.config import TrainConfig
from s2dcli.training.metrics import Metrics


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
            row[k] = round(float(getattr(self, k)), 6)
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


__all__ = ["ClipSet", "EpochRecord", "TrainConfig", "TrainResult"]
