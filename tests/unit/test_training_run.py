"""The train / evaluate controllers' pure parts: the validation split, matching a label file's
classes to the starting model's, and per-command TOML defaults."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from s2dcli.commands.config_file import config_defaults
from s2dcli.errors import InputError
from s2dcli.labels import LabelledClip, LabelSet
from s2dcli.training.run import fits_model_classes, read_label_sets, split_validation
from s2dcli.weights.registry import DFEW_CLASSES


def label_set(counts: list[int]) -> LabelSet:
    clips, line = [], 2
    for label, count in enumerate(counts):
        for _ in range(count):
            clips.append(LabelledClip(Path(f"v{line}.mp4"), label, line=line))
            line += 1
    return LabelSet(clips, [f"c{i}" for i in range(len(counts))], "csv")


def test_validation_split_is_stratified_seeded_and_disjoint():
    labels = label_set([20, 10, 1])
    train, val = split_validation(labels, 0.2, seed=0)
    assert [sum(c.label == k for c in val.clips) for k in range(3)] == [4, 2, 0]
    assert {c.line for c in train.clips}.isdisjoint(c.line for c in val.clips)
    assert len(train.clips) + len(val.clips) == 31
    assert split_validation(labels, 0.2, seed=0)[1].clips == val.clips
    assert split_validation(labels, 0.2, seed=1)[1].clips != val.clips
    with pytest.raises(InputError, match="validation split is empty"):
        split_validation(label_set([1, 1]), 0.2, seed=0)


def test_label_classes_keep_the_models_head_when_they_are_its_own(tmp_path):
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "l.csv").write_text("video,label\na.mp4,fear\nb.mp4,Happy\nc.mp4,fear\n")
    train, _ = read_label_sets(str(tmp_path / "l.csv"), None, None, list(DFEW_CLASSES))
    assert train.classes == list(DFEW_CLASSES)  # the model's order, not the file's
    assert [c.label for c in train.clips] == [6, 0, 6]
    own, _ = read_label_sets(str(tmp_path / "l.csv"), None, None, ["Cat", "Dog"])
    assert own.classes == ["fear", "Happy"]  # a new head for the file's classes (sorted)
    assert fits_model_classes(label_set([1, 1]), ["x", "y"]) is False


def test_toml_defaults_come_from_the_commands_own_table(tmp_path):
    @click.command(name="train")
    @click.option("--config", callback=config_defaults, is_eager=True, expose_value=False)
    @click.option("--labels", "labels_path")
    @click.option("--val-split", type=float, default=0.1)
    def train(labels_path, val_split):
        click.echo(f"{labels_path} {val_split}")

    (tmp_path / "s2d.toml").write_text(
        '[annotate]\nbatch-size = 4\n[train]\nlabels = "my.csv"\nval-split = 0.3\n'
    )
    runner = CliRunner()
    assert runner.invoke(train, ["--config", str(tmp_path / "s2d.toml")]).output == "my.csv 0.3\n"
    result = runner.invoke(train, ["--config", str(tmp_path / "s2d.toml"), "--val-split", "0.5"])
    assert result.output == "my.csv 0.5\n"  # the command line wins
    (tmp_path / "typo.toml").write_text("[train]\nval_splt = 0.3\n")
    result = runner.invoke(train, ["--config", str(tmp_path / "typo.toml")])
    assert result.exit_code == 2 and "has no option 'val_splt'" in result.output
