"""Missing weights, end to end: one message lists every missing file, and every command it
suggests is run here and does what it says (against the local fake hub, with the tiny golden
weights standing in for the published ones)."""

from __future__ import annotations

import dataclasses
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.errors import MissingWeightsError
from s2dcli.weights import REGISTRY, WeightsNeed, require_weights
from s2dcli.weights.registry import DFEW_CLASSES
from tests.engine.videos import write_video

LANDMARK_FILE = "mobilefacenet_model_best.pth.tar"


def invoke(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def suggested(output: str, prefix: str = "s2d models ") -> list[str]:
    """The argument lists of the `s2d ...` commands a message suggests (the leading `s2d`
    dropped), in order: indented lines and `backquoted` commands alike."""
    found = []
    for line in output.splitlines():
        text = line.strip()
        parts = text.split("`")[1::2] if "`" in text else [text]
        found += [shlex.split(p)[1:] for p in parts if p.startswith(prefix)]
    return found


@pytest.fixture
def published(server, golden_dir, monkeypatch) -> dict[str, Path]:
    """The fake hub serves tinyA as dfew-fold1; the landmark URL points at the fake server."""
    s2d = golden_dir / "tinyA_s2d.pth"
    landmarks = golden_dir / "tinyA_landmark.pth.tar"
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", s2d.read_bytes())
    url = server.add_url(LANDMARK_FILE, landmarks.read_bytes())
    monkeypatch.setitem(
        REGISTRY, "landmarks", dataclasses.replace(REGISTRY["landmarks"], source=url)
    )
    return {"dfew-fold1": s2d, "landmarks": landmarks}


@pytest.fixture
def annotate_args(tmp_path, golden_dir) -> list[str]:
    videos = tmp_path / "videos"
    videos.mkdir()
    write_video(videos / "a.mp4", 50, height=48, width=64, fps=25)
    return [
        "annotate",
        str(videos),
        "-o",
        str(tmp_path / "out" / "r.csv"),
        "--model",
        "dfew-fold1",
        "--model-config",
        str(golden_dir / "tinyA_config.json"),
        "--faces",
        "none",
        "--device",
        "cpu",
    ]


def _labels(args: list[str]) -> set[str]:
    """The labels of the run's CSV (every one a DFEW class, as `--model dfew-fold1` says)."""
    rows = pd.read_csv(args[args.index("-o") + 1])
    assert len(rows) >= 1 and set(rows["model"]) == {"dfew-fold1"}
    return set(rows["label"])


def test_offline_run_lists_every_missing_file_and_one_pull_fetches_them(
    home, server, published, annotate_args
):
    result = invoke([*annotate_args, "--offline"])
    assert result.exit_code == 2
    out = result.output
    assert out.startswith(
        "Error: 2 weights files this run needs are missing and cannot be downloaded:\n"
    )
    assert "  - --model dfew-fold1 (hf://cyinen/S2D/DFEW/fold1.pth): offline mode is on" in out
    assert f"Put the file at {home / 'weights/dfew-fold1/fold1.pth'}, or pass --weights PATH" in out
    assert "  - --landmark-weights landmarks (http://127.0.0.1:" in out
    dest = home / "weights/landmarks" / LANDMARK_FILE
    assert f"Put the file at {dest}, or pass --landmark-weights PATH" in out
    assert server.requests == []  # offline: nothing was asked of the network
    pulls = [c for c in suggested(out) if c[:2] == ["models", "pull"]]
    assert pulls == [["models", "pull", "dfew-fold1", "landmarks"]]  # one line for all

    fetched = invoke(pulls[0])  # run it (online, as it says)
    assert fetched.exit_code == 0, fetched.output
    assert (home / "weights/dfew-fold1/fold1.pth").read_bytes() == published[
        "dfew-fold1"
    ].read_bytes()
    assert dest.read_bytes() == published["landmarks"].read_bytes()

    again = invoke([*annotate_args, "--offline"])
    assert again.exit_code == 0, again.output
    assert _labels(annotate_args) <= set(DFEW_CLASSES)


def test_putting_the_files_where_the_message_says_works(home, published, annotate_args):
    out = invoke([*annotate_args, "--offline"]).output
    destinations = [
        Path(line.split("Put the file at ", 1)[1].split(", or pass")[0])
        for line in out.splitlines()
        if "Put the file at " in line
    ]
    assert [d.name for d in destinations] == ["fold1.pth", LANDMARK_FILE]
    for dest, src in zip(destinations, published.values(), strict=True):
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    result = invoke([*annotate_args, "--offline"])
    assert result.exit_code == 0, result.output


def test_the_suggested_imports_work(home, published, annotate_args):
    out = invoke([*annotate_args, "--offline"]).output
    assert "If you have the files, import:\n  s2d models import FILE --name dfew-fold1\n" in out
    imports = [c for c in suggested(out) if c[:2] == ["models", "import"]]
    assert imports == [
        ["models", "import", "FILE", "--name", "dfew-fold1"],
        ["models", "import", "FILE", "--name", "landmarks"],
    ]
    for command in imports:
        name = command[-1]
        done = invoke([x if x != "FILE" else str(published[name]) for x in command])
        assert done.exit_code == 0, done.output
    result = invoke([*annotate_args, "--offline"])
    assert result.exit_code == 0, result.output


def test_unreachable_hub_is_one_message_too(monkeypatch, tmp_path, annotate_args):
    from tests.weights_server import WeightsServer, isolate_weights_env

    with WeightsServer() as server:
        dead, dead_files = server.endpoint, server.cdn_url
    isolate_weights_env(monkeypatch, tmp_path, dead)
    landmarks = dataclasses.replace(
        REGISTRY["landmarks"], source=f"{dead_files}/files/{LANDMARK_FILE}"
    )
    monkeypatch.setitem(REGISTRY, "landmarks", landmarks)
    result = invoke(annotate_args)
    assert result.exit_code == 2
    assert "2 weights files this run needs are missing" in result.output
    assert "ConnectError" in result.output  # the hub file (through huggingface_hub)
    assert "URLError" in result.output  # the landmarks (a plain URL)
    assert "s2d models pull dfew-fold1 landmarks" in result.output


def test_require_weights_checks_every_spec_before_downloading(home, server, published):
    with pytest.raises(Exception, match="Did you mean 'landmarks'"):
        require_weights([WeightsNeed("dfew-fold1"), WeightsNeed("landmark")])
    assert server.requests == []  # the typo was refused before the first download
    paths = require_weights(
        [WeightsNeed("dfew-fold1"), WeightsNeed("landmarks", "--landmark-weights")]
    )
    assert [p.name for p in paths] == ["fold1.pth", LANDMARK_FILE]


def test_require_weights_reports_the_options_of_the_caller(home):
    with pytest.raises(MissingWeightsError) as err:
        require_weights(
            [
                WeightsNeed("ferv39k", "--weights", "--init"),
                WeightsNeed("landmarks", "--landmark-weights"),
                WeightsNeed("ferv39k", "--weights", "--init"),  # asked twice, listed once
            ],
            offline=True,
        )
    missing = err.value.missing
    assert [(m.label, m.option, m.flag) for m in missing] == [
        ("ferv39k", "--init", "--weights"),
        ("landmarks", "--landmark-weights", "--landmark-weights"),
    ]
    assert "  s2d models pull ferv39k landmarks\n" in str(err.value)
