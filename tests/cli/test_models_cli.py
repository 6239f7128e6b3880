"""`s2d models list/pull/verify/import` end to end, downloads against a local fake hub."""

from __future__ import annotations

import hashlib
import inspect
import json
import os

import pytest
from click.testing import CliRunner

from s2dcli.cli import cli
from s2dcli.weights import REGISTRY
from tests.weights_server import files_under

DATA = os.urandom(200_000)
SHA = hashlib.sha256(DATA).hexdigest()


def run(*args: str):
    return CliRunner().invoke(cli, ["models", *args])


@pytest.mark.parametrize("command", [[], ["list"], ["pull"], ["verify"], ["import"]])
def test_help_ends_with_examples(command):
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output
    assert result.output.index("Examples:") < result.output.index("Options:")
    group = cli.commands["models"]
    cmd = group.commands[command[0]] if command else group
    last_block = inspect.cleandoc(cmd.help).split("\n\n")[-1]
    assert last_block.startswith("\b\nExamples:")
    assert all(ln.strip().startswith("s2d ") for ln in last_block.splitlines()[2:])


def test_list_plain_text(home):
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"# cache: {home}"
    assert lines[1].split("\t") == ["name", "kind", "classes", "source", "cached"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[2:]}
    assert list(rows) == list(REGISTRY)
    assert rows["dfew-fold1"] == [
        "dfew-fold1",
        "video",
        "Happy,Sad,Neutral,Angry,Surprise,Disgust,Fear",
        "hf://cyinen/S2D/DFEW/fold1.pth",
        "no",
    ]
    assert rows["landmarks"][2] == "-"


def test_list_json_shows_cached_files(home, tmp_path):
    src = tmp_path / "mine.pth"
    src.write_bytes(DATA)
    assert run("import", str(src), "--name", "mafw-fold2").exit_code == 0
    assert run("import", str(src), "--name", "my-model").exit_code == 0
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert len(rows) == len(REGISTRY) + 1
    assert rows["mafw-fold2"]["cached"] is True
    assert rows["mafw-fold2"]["path"] == str(home / "weights/mafw-fold2/fold2.pth")
    assert rows["mafw-fold2"]["sha256"] == SHA
    assert len(rows["mafw-fold2"]["classes"]) == 11
    assert rows["dfew-fold1"]["cached"] is False and rows["dfew-fold1"]["path"] is None
    assert rows["my-model"]["kind"] == "custom"


def test_pull_then_verify(home, server):
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", DATA)
    result = run("pull", "dfew-fold1")
    assert result.exit_code == 0, result.output
    path = home / "weights/dfew-fold1/fold1.pth"
    assert f"dfew-fold1\t{path}\tsha256={SHA}" in result.stdout
    assert path.read_bytes() == DATA
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["OK", "dfew-fold1", str(path)]


def test_pull_offline_flag_and_env(home, server, monkeypatch):
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", DATA)
    result = run("--offline", "pull", "dfew-fold1")
    assert result.exit_code == 2
    assert result.output.startswith("Error: Cannot fetch this weights file:\n  - dfew-fold1 (")
    assert "--weights" not in result.output  # pull has no such option
    assert f"put it at {home / 'weights/dfew-fold1/fold1.pth'}" in result.output
    assert "Offline mode is on: run `s2d models pull dfew-fold1` on a machine" in result.output
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert run("pull", "dfew-fold1").exit_code == 2
    assert server.requests == []


def test_pull_usage_errors(home):
    assert run("pull").exit_code == 2
    assert run("pull", "--all", "ferv39k").exit_code == 2
    result = run("pull", "dfew-fodl1")
    assert result.exit_code == 2
    assert "Did you mean 'dfew-fold1'?" in result.output


def test_pull_several_reports_each_failure(home, server):
    server.add_hub_file("cyinen/S2D", "FERV39K/ferv39k.pth", DATA)
    result = run("pull", "mafw-fold3", "ferv39k")  # mafw-fold3 is not on this hub
    assert result.exit_code == 1
    assert "Cannot fetch this weights file:\n  - mafw-fold3 (" in result.stderr
    assert "the hub has no file 'MAFW/fold3.pth' in cyinen/S2D" in result.stderr
    assert "1 of 2 downloads failed: mafw-fold3" in result.output
    assert (home / "weights/ferv39k/ferv39k.pth").read_bytes() == DATA


def test_pull_force_redownloads(home, server):
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", DATA)
    assert run("pull", "dfew-fold1").exit_code == 0
    path = home / "weights/dfew-fold1/fold1.pth"
    path.write_bytes(b"damaged")
    assert run("pull", "dfew-fold1").exit_code == 2  # the cached copy no longer verifies
    result = run("pull", "dfew-fold1", "--force")
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == DATA


def test_pull_a_local_file_points_to_import(home, tmp_path):
    src = tmp_path / "w.pth"
    src.write_bytes(b"x")
    result = run("pull", str(src))
    assert result.exit_code == 2
    assert "s2d models import" in result.output


def test_verify_reports_tampered_file(home, tmp_path):
    src = tmp_path / "w.pth"
    src.write_bytes(DATA)
    run("import", str(src), "--name", "dfew-fold1")
    run("import", str(src), "--name", "dfew-fold2")
    (home / "weights/dfew-fold2/fold2.pth").write_bytes(b"tampered")
    result = run("verify")
    assert result.exit_code == 1
    assert "OK     dfew-fold1" in result.output
    assert "FAILED dfew-fold2" in result.output
    assert "s2d models pull dfew-fold2 --force" in result.output
    assert run("verify", "DFEW-FOLD1").exit_code == 0


def test_verify_empty_cache_and_unknown_name(home):
    result = run("verify")
    assert result.exit_code == 0
    assert "empty" in result.output
    result = run("verify", "dfew-fold1")
    assert result.exit_code == 2
    assert "Not in the weights cache" in result.output


def test_import_refuses_overwrite_without_force(home, tmp_path):
    src = tmp_path / "w.pth"
    src.write_bytes(DATA)
    result = run("import", str(src), "--name", "landmarks")
    assert result.exit_code == 0, result.output
    dest = home / "weights/landmarks/mobilefacenet_model_best.pth.tar"
    assert f"{dest}\tsha256={SHA}" in result.output
    result = run("import", str(src), "--name", "landmarks")
    assert result.exit_code == 2
    assert "--force" in result.output
    assert run("import", str(src), "--name", "landmarks", "--force").exit_code == 0
    assert files_under(home) == ["index.json", "weights/landmarks/mobilefacenet_model_best.pth.tar"]


def test_import_usage_errors(home, tmp_path):
    assert run("import", str(tmp_path / "missing.pth"), "--name", "x").exit_code == 2
    src = tmp_path / "w.pth"
    src.write_bytes(b"x")
    assert run("import", str(src)).exit_code == 2  # --name is required
    result = run("import", str(src), "--name", "../x")
    assert result.exit_code == 2
    assert "Invalid weights name" in result.output
