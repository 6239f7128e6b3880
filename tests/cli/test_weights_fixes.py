"""The fixes that weights messages suggest for a damaged cache entry and for an offline
`s2d models pull`: each suggested command is run, and does what the message says."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from s2dcli.cli import cli

TINY = ("tinyA_s2d.pth", "tinyA_config.json", "tinyA_landmark.pth.tar")


def invoke(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def backquoted(text: str) -> list[list[str]]:
    """The `s2d ...` commands a message quotes, as argument lists without the `s2d`."""
    return [shlex.split(c)[1:] for c in text.split("`")[1::2] if c.startswith("s2d ")]


def tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def tiny(tmp_path, golden_dir) -> dict[str, Path]:
    """Copies of the tiny golden files (so a test may delete its 'original')."""
    (tmp_path / "mine").mkdir()
    return {name: shutil.copy(golden_dir / name, tmp_path / "mine" / name) for name in TINY}


@pytest.fixture
def annotate_args(tmp_path, tiny) -> list[str]:
    from tests.engine.videos import write_video

    (tmp_path / "videos").mkdir()
    write_video(tmp_path / "videos" / "a.mp4", 30)
    return [
        "annotate",
        str(tmp_path / "videos"),
        "-o",
        str(tmp_path / "out" / "r.csv"),
        "--model-config",
        str(tiny["tinyA_config.json"]),
        "--landmark-weights",
        str(tiny["tinyA_landmark.pth.tar"]),
        "--classes",
        "dfew",
        "--faces",
        "none",
        "--device",
        "cpu",
        "--overwrite",
    ]


def test_tampered_import_suggests_importing_again(home, tiny, annotate_args):
    src = tiny["tinyA_s2d.pth"]
    assert invoke(["models", "import", str(src), "--name", "my-fold1"]).exit_code == 0
    cached = home / "weights/my-fold1/tinyA_s2d.pth"
    tamper(cached)
    run = [*annotate_args, "--weights", "my-fold1"]
    failed = invoke(run)
    assert failed.exit_code == 2
    assert "pull my-fold1" not in failed.output  # `pull` knows only registry names
    (fix,) = backquoted(failed.output)
    assert fix == ["models", "import", str(src), "--name", "my-fold1", "--force"]
    assert invoke(fix).exit_code == 0
    assert invoke(run).exit_code == 0

    verify = invoke(["models", "verify", "my-fold1"])
    assert verify.exit_code == 0 and verify.output.startswith("OK")


def test_tampered_import_whose_original_is_gone(home, tiny, annotate_args, golden_dir):
    src = tiny["tinyA_s2d.pth"]
    invoke(["models", "import", str(src), "--name", "my-fold1"])
    src.unlink()
    tamper(home / "weights/my-fold1/tinyA_s2d.pth")
    verify = invoke(["models", "verify"])
    assert verify.exit_code == 1
    assert "  my-fold1: s2d models import FILE --name my-fold1 --force" in verify.output
    fix = shlex.split(verify.output.splitlines()[-1].split(": ", 1)[1])[1:]
    fix[fix.index("FILE")] = str(golden_dir / "tinyA_s2d.pth")  # a good copy, from elsewhere
    assert invoke(fix).exit_code == 0
    assert invoke(["models", "verify"]).exit_code == 0
    assert invoke([*annotate_args, "--weights", "my-fold1"]).exit_code == 0


@pytest.mark.parametrize("name", ["dfew-fold1", "hf://someone/repo/w.pth"])
def test_tampered_download_suggests_pulling_again(home, server, tiny, name):
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", tiny["tinyA_s2d.pth"].read_bytes())
    server.add_hub_file("someone/repo", "w.pth", tiny["tinyA_s2d.pth"].read_bytes())
    pulled = invoke(["models", "pull", name])
    assert pulled.exit_code == 0, pulled.output
    path = Path(pulled.stdout.strip().split("\t")[1])
    tamper(path)
    failed = invoke(["models", "pull", name])
    assert failed.exit_code == 2
    (fix,) = backquoted(failed.output)
    assert fix == ["models", "pull", name, "--force"]
    assert invoke(fix).exit_code == 0
    assert path.read_bytes() == tiny["tinyA_s2d.pth"].read_bytes()


@pytest.fixture
def offline_pull_message(home, server, tiny) -> str:
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", tiny["tinyA_s2d.pth"].read_bytes())
    failed = invoke(["models", "--offline", "pull", "dfew-fold1"])
    assert failed.exit_code == 2
    assert "--weights" not in failed.output  # `pull` has no such option
    return failed.output


def _offline_pull_works(home) -> None:
    result = invoke(["models", "--offline", "pull", "dfew-fold1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"dfew-fold1\t{home / 'weights/dfew-fold1/fold1.pth'}\t")


def test_offline_pull_put_it_there(home, tiny, offline_pull_message):
    dest = Path(offline_pull_message.split("put it at ", 1)[1].split(", or run")[0])
    dest.parent.mkdir(parents=True)
    shutil.copyfile(tiny["tinyA_s2d.pth"], dest)
    _offline_pull_works(home)


def test_offline_pull_import(home, tiny, offline_pull_message):
    fix, _ = backquoted(offline_pull_message)
    assert fix == ["models", "import", "FILE", "--name", "dfew-fold1"]
    assert invoke([str(tiny["tinyA_s2d.pth"]) if a == "FILE" else a for a in fix]).exit_code == 0
    _offline_pull_works(home)


def test_offline_pull_run_it_where_the_network_is(home, server, offline_pull_message):
    _, pull = backquoted(offline_pull_message)
    assert pull == ["models", "pull", "dfew-fold1"]
    assert "without --offline, HF_HUB_OFFLINE unset" in offline_pull_message
    assert server.requests == []
    assert invoke(pull).exit_code == 0  # online now
    _offline_pull_works(home)


def test_corrupted_download_retry_works_once_the_transfer_is_right(home, server, tiny):
    data = tiny["tinyA_s2d.pth"].read_bytes()
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", data, advertised_sha256="ab" * 32)
    failed = invoke(["models", "pull", "dfew-fold1"])
    assert failed.exit_code == 2
    assert "nothing was cached" in failed.output
    (retry,) = backquoted(failed.output)
    assert retry == ["models", "pull", "dfew-fold1"]
    server.add_hub_file("cyinen/S2D", "DFEW/fold1.pth", data)  # the hub serves it right now
    assert invoke(retry).exit_code == 0
    assert (home / "weights/dfew-fold1/fold1.pth").read_bytes() == data
