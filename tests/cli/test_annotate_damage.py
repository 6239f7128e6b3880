"""`s2d annotate` on inputs that only partly read: a damaged video is `partial` and keeps its
clips; pipes and sockets fail at once, never opened. Real files, the real CLI, tiny weights."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from tests.cli.review_media import TINY
from tests.engine.videos import damage_copy, write_video

REASON = (
    "decoding failed at frame 43 (about 1.7 s) of about 150: corrupt data; "
    "resumed at frame 50 (about 2.0 s); clips before and after it kept"
)


@pytest.fixture(scope="module")
def weights() -> list[str]:
    return [*TINY, "--classes", "dfew", "--faces", "none", "--device", "cpu"]


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    good = write_video(root / "good.mp4", 75, height=48, width=96, gop=25).path
    whole = write_video(root / "whole.mp4", 150, height=96, width=128, gop=25).path
    damage_copy(whole, root / "damaged.mp4", 43)
    whole.unlink()
    assert good.exists()
    return root


def annotate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["annotate", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_damaged_video_is_partial_keeps_its_clips_and_resumes_as_done(videos, weights, tmp_path):
    out = tmp_path / "r.csv"
    code, output = annotate(str(videos), "-o", str(out), *weights, "-v")
    assert code == 0, output  # partial is not failed
    summary = pd.read_csv(out.with_name("r.videos.csv"), keep_default_na=False)
    rows = {r.video: r for r in summary.itertuples()}
    assert rows["damaged.mp4"].status == "partial"
    assert rows["damaged.mp4"].error == REASON
    assert rows["damaged.mp4"].frames == 143 and rows["damaged.mp4"].clips > 0
    assert rows["good.mp4"].status == "ok"
    text = out.read_text() + out.with_name("r.videos.csv").read_text()
    assert "Errno" not in text and "avcodec" not in text and "Invalid data" not in text
    assert "Invalid data" in output  # FFmpeg's words: in the -v (debug) log only
    clips = pd.read_csv(out)
    assert clips[clips["video"] == "damaged.mp4"]["end_frame"].max() == 149  # after the damage

    before = out.read_bytes()
    code, output = annotate(str(videos), "-o", str(out), *weights, "--resume", "-q")
    assert code == 0, output
    record = json.loads(out.with_name("r.csv.run.json").read_text())
    assert record["videos"]["resumed"] == 2 and record["videos"]["processed"] == 0
    assert out.read_bytes() == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_pipes_and_sockets_fail_at_once_as_videos(videos, weights, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.mp4").write_bytes((videos / "good.mp4").read_bytes())
    os.mkfifo(folder / "pipe.mp4")  # opened, it would wait for a writer for ever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.mp4"))
    try:
        out = tmp_path / "r.csv"
        code, output = annotate(
            str(folder), str(tmp_path / "in" / "pipe.mp4"), "-o", str(out), *weights
        )
    finally:
        sock.close()
    assert code == 1, output  # some inputs failed
    summary = pd.read_csv(out.with_name("r.videos.csv"), keep_default_na=False)
    status = {r.video: (r.status, r.error) for r in summary.itertuples()}
    assert status == {
        "good.mp4": ("ok", ""),
        "pipe.mp4": ("failed", "not a regular file"),  # not "decoding stalled": never opened
        "sock.mp4": ("failed", "not a regular file"),
    }
