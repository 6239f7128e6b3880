"""Pictures of a training run: the confusion matrix (CSV and PNG) and the training curves.

matplotlib is imported only here and only when a picture is drawn (the Agg backend, no screen).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from s2dcli.atomic import write_atomic


def write_confusion_csv(confusion: np.ndarray, classes: Sequence[str], path: Path) -> None:
    """Rows are the true classes, columns the predicted ones (header `true\\predicted,...`)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["true\\predicted", *classes])
    for name, row in zip(classes, confusion, strict=True):
        writer.writerow([name, *(int(v) for v in row)])
    write_atomic(path, text.getvalue())


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(confusion: np.ndarray, classes: Sequence[str], path: Path) -> None:
    """Row-normalised confusion matrix with the counts written in each cell."""
    plt = _pyplot()
    n = len(classes)
    totals = confusion.sum(axis=1, keepdims=True)
    share = np.divide(confusion, totals, out=np.zeros(confusion.shape, float), where=totals > 0)
    side = max(4.0, 0.6 * n + 2)
    fig, ax = plt.subplots(figsize=(side + 1, side))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), classes, rotation=45, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                str(int(confusion[i, j])),
                ha="center",
                va="center",
                color="white" if share[i, j] > 0.5 else "black",
                fontsize=8,
            )
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(history: Sequence[dict[str, object]], path: Path) -> None:
    """Training loss and validation UAR / WAR per epoch."""
    if not history:
        return
    plt = _pyplot()
    epochs = [int(_number(r["epoch"])) for r in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, [_number(r["train_loss"]) for r in history], marker="o")
    left.set_xlabel("epoch")
    left.set_ylabel("training loss")
    for key, label in (("val_uar", "UAR"), ("val_war", "WAR")):
        right.plot(epochs, [_number(r[key]) for r in history], marker="o", label=label)
    right.set_xlabel("epoch")
    right.set_ylabel("validation")
    right.set_ylim(0, 1)
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _number(value: object) -> float:
    """A number cell of an `EpochRecord.row()` (typed `object` there, as rows mix types)."""
    if not isinstance(value, int | float):
        raise TypeError(f"expected a number in the training history, got {value!r}")
    return float(value)
