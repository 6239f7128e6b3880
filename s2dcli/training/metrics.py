"""Classification metrics as the FER literature reports them.

UAR is the unweighted average recall (the mean of the per-class recalls, over the classes that
occur in the ground truth), WAR the weighted average recall (plain accuracy). F1 is given as
the macro mean over the same classes and weighted by their support.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Metrics:
    """Scores of one evaluation; `confusion[i, j]` counts true class i predicted as j."""

    uar: float
    war: float
    macro_f1: float
    weighted_f1: float
    recall: np.ndarray  # per class; NaN for a class absent from the ground truth
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray

    def to_dict(self, classes: list[str]) -> dict[str, object]:
        def number(x: float) -> float | None:
            return None if np.isnan(x) else round(float(x), 6)

        return {
            "uar": round(self.uar, 6),
            "war": round(self.war, 6),
            "macro_f1": round(self.macro_f1, 6),
            "weighted_f1": round(self.weighted_f1, 6),
            "recall": {c: number(r) for c, r in zip(classes, self.recall, strict=True)},
            "f1": {c: number(f) for c, f in zip(classes, self.f1, strict=True)},
            "support": {c: int(s) for c, s in zip(classes, self.support, strict=True)},
            "confusion": self.confusion.tolist(),
        }


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    truth = np.asarray(truth, np.int64)
    predicted = np.asarray(predicted, np.int64)
    if truth.shape != predicted.shape:
        raise ValueError(f"truth {truth.shape} and predictions {predicted.shape} differ")
    flat = np.bincount(truth * num_classes + predicted, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def compute_metrics(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> Metrics:
    """UAR, WAR, macro / weighted F1, per-class recall and F1, support and the confusion."""
    return metrics_from_confusion(confusion_matrix(truth, predicted, num_classes))


def metrics_from_confusion(confusion: np.ndarray) -> Metrics:
    """Every score from a confusion matrix (rows: true class, columns: predicted)."""
    confusion = np.asarray(confusion, np.int64)
    support = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    hits = np.diag(confusion).astype(np.float64)
    present = support > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(present, hits / support, np.nan)
        precision = np.where(predicted_count > 0, hits / predicted_count, 0.0)
        f1 = np.where(
            present,
            np.where(
                precision + np.nan_to_num(recall) > 0,
                2 * precision * recall / (precision + recall),
                0.0,
            ),
            np.nan,
        )
    total = int(support.sum())
    if total == 0:
        nan = float("nan")
        return Metrics(nan, nan, nan, nan, recall, f1, support, confusion)
    return Metrics(
        uar=float(np.nanmean(recall)),
        war=float(hits.sum() / total),
        macro_f1=float(np.nanmean(f1)),
        weighted_f1=float(np.nansum(f1 * support) / total),
        recall=recall,
        f1=f1,
        support=support,
        confusion=confusion,
    )
