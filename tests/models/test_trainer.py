"""The trainer on clips in memory, from the tiny golden checkpoint: seeded runs repeat, an
interrupted run resumes to the same end, a changed setting refuses to resume, the release's
freezing rule holds, and the metrics are the literature's UAR / WAR.
(`tests/cli/test_train.py` shows it learning a real-face task end to end.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from s2dcli.errors import InputError
from s2dcli.models import S2DConfig, is_release_trainable, load_landmarks, load_s2d
from s2dcli.training.metrics import compute_metrics
from s2dcli.training.trainer import ClipSet, TrainConfig, Trainer
from tests.training_media import CLASSES, face_clips


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def data() -> tuple[ClipSet, ClipSet]:
    return ClipSet(*face_clips(8, seed=0)), ClipSet(*face_clips(4, seed=1))


def make_trainer(golden_dir: Path, out: Path, **overrides) -> Trainer:
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    model = load_s2d(golden_dir / "tinyA_s2d.pth", config)
    landmarks = load_landmarks(golden_dir / "tinyA_landmark.pth.tar")
    settings = dict(
        epochs=3, batch_size=4, lr=3e-3, warmup_epochs=0.5, seed=3, sdl=True, oversample=True
    )
    settings.update(overrides)
    return Trainer(model, landmarks, CLASSES, TrainConfig(**settings), torch.device("cpu"), out)


def test_seeded_runs_repeat_and_resume_ends_where_a_straight_run_does(golden_dir, data, tmp_path):
    train, val = data
    straight = make_trainer(golden_dir, tmp_path / "a").fit(train, val)
    assert [r.epoch for r in straight.history] == [1, 2, 3]

    def stop_after_first(record, metrics):
        if record.epoch == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        make_trainer(golden_dir, tmp_path / "b").fit(train, val, on_epoch=stop_after_first)
    resumed = make_trainer(golden_dir, tmp_path / "b").fit(train, val, resume=True)
    assert [r.train_loss for r in resumed.history] == [r.train_loss for r in straight.history]
    assert [r.val_uar for r in resumed.history] == [r.val_uar for r in straight.history]
    assert resumed.best_epoch == straight.best_epoch
    a = torch.load(tmp_path / "a" / "last.pth", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "last.pth", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # another seed draws another head, order and augmentation
    other = make_trainer(golden_dir, tmp_path / "c", seed=4, epochs=1).fit(train, val)
    assert other.history[0].train_loss != straight.history[0].train_loss


def test_resume_with_other_settings_is_refused(golden_dir, data, tmp_path):
    train, val = data
    make_trainer(golden_dir, tmp_path, epochs=1).fit(train, val)
    with pytest.raises(InputError, match=r"lr: 0.003 then, 0.001 now"):
        make_trainer(golden_dir, tmp_path, epochs=1, lr=1e-3).fit(train, val, resume=True)


def test_only_the_release_trainable_parameters_move(golden_dir, data, tmp_path):
    train, val = data
    trainer = make_trainer(golden_dir, tmp_path, epochs=1)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit(train, val)
    after = trainer.model.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(is_release_trainable(k) for k in moved), sorted(moved)
    assert any(k.startswith("blocks.") for k in before)  # the frozen ViT is there, unmoved
    assert "head.fc_cls.weight" in moved and any("prompt" in k for k in moved)


def test_a_new_head_for_other_classes_is_seeded(golden_dir, tmp_path):
    a = make_trainer(golden_dir, tmp_path / "a").model.head.fc_cls.weight
    b = make_trainer(golden_dir, tmp_path / "b").model.head.fc_cls.weight
    assert a.shape == (2, 64) and torch.equal(a, b)


def test_uar_war_and_f1_are_the_literatures():
    truth = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 0, 0, 1, 1, 0, 2, 0])
    m = compute_metrics(truth, predicted, 4)  # class 3 never occurs: left out of the means
    assert m.war == pytest.approx(5 / 8)
    assert m.uar == pytest.approx((3 / 4 + 1 / 2 + 1 / 2) / 3)
    precision = np.array([3 / 5, 1 / 2, 1.0])
    recall = np.array([3 / 4, 1 / 2, 1 / 2])
    f1 = 2 * precision * recall / (precision + recall)
    assert m.macro_f1 == pytest.approx(f1.mean())
    assert m.weighted_f1 == pytest.approx((f1 * [4, 2, 2]).sum() / 8)
    assert np.isnan(m.recall[3]) and m.confusion[1].tolist() == [1, 1, 0, 0]
