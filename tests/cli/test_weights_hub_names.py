"""A registry name the hub does not have: the message lists the checkpoint files the
repository holds (read through huggingface_hub's file listing from the local fake hub), and
the `--weights hf://...` / `s2d models pull hf://...` it suggests are run and work."""

from __future__ import annotations

import shlex

import pandas as pd
import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.errors import MissingWeightsError
from s2dcli.weights import resolve
from s2dcli.weights.hub_files import hub_candidates, rank_candidates
from s2dcli.weights.registry import DFEW_CLASSES, HF_FILES, _build
from tests.engine.videos import write_video

HUB_FILES = [
    "README.md",
    ".gitattributes",
    "DFEW/DFEW_fold1_oversampling.pth",
    "DFEW/DFEW_fold1.pth",
    "DFEW/DFEW_fold2.pth",
    "MAFW/fold1.pth",
]


def invoke(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture
def renamed_hub(server, golden_dir):
    """A hub whose DFEW files are not named as the registry guesses (DFEW/fold1.pth)."""
    tiny = (golden_dir / "tinyA_s2d.pth").read_bytes()
    for path in HUB_FILES:
        server.add_hub_file("cyinen/S2D", path, tiny, lfs=path.endswith(".pth"))
    return server


def test_ranking_prefers_the_same_folder_and_fold():
    assert rank_candidates(HUB_FILES, "DFEW/fold1.pth") == [
        "DFEW/DFEW_fold1.pth",
        "DFEW/DFEW_fold1_oversampling.pth",
        "DFEW/DFEW_fold2.pth",
        "MAFW/fold1.pth",
    ]
    assert rank_candidates(["a.txt", "w.safetensors", "m.pth.tar"], "x.pth") == [
        "m.pth.tar",
        "w.safetensors",
    ]


def test_listing_asks_the_hub_tree_api(home, renamed_hub):
    found = hub_candidates("cyinen/S2D", None, "DFEW/fold1.pth", renamed_hub.endpoint)
    assert found[:2] == (
        "hf://cyinen/S2D/DFEW/DFEW_fold1.pth",
        "hf://cyinen/S2D/DFEW/DFEW_fold1_oversampling.pth",
    )
    assert ("hub", "GET", "/api/models/cyinen/S2D/tree/main?recursive=true&expand=false") in (
        renamed_hub.requests
    )
    assert hub_candidates("nobody/none", "v2", "x.pth", renamed_hub.endpoint) is None


def test_not_found_lists_the_repositorys_checkpoints(home, renamed_hub):
    with pytest.raises(MissingWeightsError) as err:
        resolve("dfew-fold1")
    msg = str(err.value)
    assert "the hub has no file 'DFEW/fold1.pth' in cyinen/S2D." in msg
    assert (
        "    The repository holds these checkpoint files (most similar name first); use one:\n"
        "      --weights hf://cyinen/S2D/DFEW/DFEW_fold1.pth --classes dfew\n"
        "      --weights hf://cyinen/S2D/DFEW/DFEW_fold1_oversampling.pth --classes dfew\n"
        "      --weights hf://cyinen/S2D/DFEW/DFEW_fold2.pth --classes dfew\n"
        "      --weights hf://cyinen/S2D/MAFW/fold1.pth\n"  # another data set: its own classes
    ) in msg
    assert "README.md" not in msg
    assert "s2d models pull dfew-fold1" not in msg  # pulling the same name cannot help
    (m,) = err.value.missing
    assert m.retry is False and len(m.candidates) == 4


def test_not_found_in_a_repository_that_cannot_be_listed(home, server):
    with pytest.raises(MissingWeightsError) as err:
        resolve("hf://someone/gone/w.pth")
    msg = str(err.value)
    assert "the hub has no such file" in msg
    assert "--weights hf://someone/gone/NEW/PATH" in msg


def test_no_checkpoint_in_the_repository(home, server):
    server.add_hub_file("someone/docs", "README.md", b"# hi", lfs=False)
    with pytest.raises(MissingWeightsError, match="nor any checkpoint file"):
        resolve("hf://someone/docs/w.pth")


def test_the_suggested_weights_option_runs(home, renamed_hub, tmp_path, golden_dir):
    videos = tmp_path / "videos"
    videos.mkdir()
    write_video(videos / "a.mp4", 50, height=48, width=64, fps=25)
    out = tmp_path / "out" / "r.csv"
    common = [
        "annotate",
        str(videos),
        "-o",
        str(out),
        "--model-config",
        str(golden_dir / "tinyA_config.json"),
        "--landmark-weights",
        str(golden_dir / "tinyA_landmark.pth.tar"),
        "--faces",
        "none",
        "--device",
        "cpu",
    ]
    failed = invoke([*common, "--model", "dfew-fold1"])
    assert failed.exit_code == 2
    lines = [ln.strip() for ln in failed.output.splitlines()]
    first = lines[lines.index(next(ln for ln in lines if "use one:" in ln)) + 1]
    assert first == "--weights hf://cyinen/S2D/DFEW/DFEW_fold1.pth --classes dfew"
    done = invoke([*common, *shlex.split(first)])
    assert done.exit_code == 0, done.output
    rows = pd.read_csv(out)
    assert set(rows["label"]) <= set(DFEW_CLASSES)
    assert set(rows["model"]) == {"hf://cyinen/S2D/DFEW/DFEW_fold1.pth"}


def test_pull_suggests_pulling_the_candidates(home, renamed_hub):
    failed = invoke(["models", "pull", "dfew-fold1"])
    assert failed.exit_code == 2
    assert "--weights" not in failed.output
    commands = [
        shlex.split(ln.strip())[1:]
        for ln in failed.output.splitlines()
        if ln.strip().startswith("s2d models pull hf://")
    ]
    assert commands[0] == ["models", "pull", "hf://cyinen/S2D/DFEW/DFEW_fold1.pth"]
    done = invoke(commands[0])
    assert done.exit_code == 0, done.output
    name, path, _ = done.stdout.strip().split("\t")
    assert name.startswith("src-")  # an address outside the registry: its own cache entry
    assert path.endswith("/DFEW_fold1.pth")


def test_the_registry_has_room_for_an_oversampled_checkpoint_per_fold():
    registry = _build(oversampled={"dfew-fold1": "DFEW/DFEW_fold1_oversampling.pth"})
    names = list(registry)
    assert names[:3] == ["dfew-fold1", "dfew-fold1-oversampled", "dfew-fold2"]
    spec = registry["dfew-fold1-oversampled"]
    assert spec.source == "hf://cyinen/S2D/DFEW/DFEW_fold1_oversampling.pth"
    assert spec.class_names == DFEW_CLASSES
    assert spec.description.endswith("trained with oversampling")
    assert len(_build()) == len(HF_FILES) + 1  # unverified: no oversampled entry today
    with pytest.raises(AssertionError, match="dfew-fold9"):
        _build(oversampled={"dfew-fold9": "x.pth"})
