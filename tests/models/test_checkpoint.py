"""Reading checkpoints: the release's formats, strictness, clear errors, hostile files."""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle

import numpy as np
import pytest
import torch

from s2dcli.errors import CheckpointError, CheckpointWarning
from s2dcli.models import S2D, S2DConfig, load_landmarks, load_s2d, sidecar_path
from s2dcli.models.checkpoint import infer_config


@pytest.fixture(scope="module")
def tiny_a(golden_dir):
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    state_dict = torch.load(golden_dir / "tinyA_s2d.pth", weights_only=True)["model"]
    io = np.load(golden_dir / "tinyA_io.npz")
    inputs = (torch.from_numpy(io["x"]), torch.from_numpy(io["landmark_feat"]))
    return config, state_dict, inputs, torch.from_numpy(io["logits"])


@torch.no_grad()
def _assert_golden(model, tiny_a):
    *_, inputs, logits = tiny_a
    torch.testing.assert_close(model(*inputs)[0], logits, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda sd: {"model": sd},
        lambda sd: {"model_state_dict": sd},
        lambda sd: sd,
        lambda sd: {"model": {f"module.{k}": v for k, v in sd.items()}, "epoch": 3},
        lambda sd: {"model": sd, "args": argparse.Namespace(lr=1e-5, model="s2d_base_patch16_224")},
    ],
    ids=["model", "model_state_dict", "bare", "ddp-prefix", "with-args-namespace"],
)
def test_release_formats_load_strictly(tmp_path, tiny_a, wrap):
    config, state_dict, *_ = tiny_a
    path = tmp_path / "ckpt.pth"
    torch.save(wrap(state_dict), path)
    model = load_s2d(path, config)
    assert not model.training
    _assert_golden(model, tiny_a)


def test_config_carried_by_the_file(tmp_path, tiny_a):
    config, state_dict, *_ = tiny_a
    path = tmp_path / "with_config.pth"
    torch.save({"model": state_dict, "s2d_config": config.to_dict()}, path)
    _assert_golden(load_s2d(path), tiny_a)


def test_config_from_sidecar(tmp_path, tiny_a):
    config, state_dict, *_ = tiny_a
    path = tmp_path / "best.pth"
    torch.save({"model": state_dict}, path)
    sidecar_path(path).write_text(
        json.dumps({"config": config.to_dict(), "class_names": list("abcdefg")})
    )
    assert sidecar_path(path).name == "best.pth.json"
    _assert_golden(load_s2d(path), tiny_a)


def test_config_inferred_from_shapes(tiny_a):
    config, state_dict, *_ = tiny_a
    inferred = infer_config(state_dict)
    for field in (
        "embed_dim",
        "depth",
        "patch_size",
        "img_size",
        "num_frames",
        "num_classes",
        "hidden_dim",
        "adapter_scale",
        "in_chans_l",
        "mlp_ratio",
        "qkv_bias",
    ):
        assert getattr(inferred, field) == getattr(config, field), field
    assert inferred.num_heads == config.embed_dim // 64 or inferred.num_heads == 1


def test_full_size_config_inferred(tmp_path):
    config = S2DConfig(num_classes=11)
    inferred = infer_config(S2D(config).state_dict())
    assert inferred == config


def test_mismatching_checkpoint_names_file_keys_and_shapes(tmp_path, golden_dir):
    wrong = S2DConfig.from_json(golden_dir / "tinyB_config.json")
    path = golden_dir / "tinyA_s2d.pth"
    with pytest.raises(CheckpointError) as err:
        load_s2d(path, wrong)
    message = str(err.value)
    assert "tinyA_s2d.pth" in message
    assert "cls_token (file (1, 1, 64), model (1, 1, 32))" in message
    assert "unexpected keys: prompt_blocks.2." in message


def test_missing_and_unexpected_keys_are_listed(tmp_path, tiny_a):
    config, state_dict, *_ = tiny_a
    broken = dict(state_dict)
    broken.pop("prompt_blocks.1.fovea.smooth")
    broken["extra.weight"] = torch.zeros(1)
    path = tmp_path / "broken.pth"
    torch.save({"model": broken}, path)
    with pytest.raises(
        CheckpointError,
        match=r"missing keys: prompt_blocks\.1\.fovea\.smooth.*unexpected keys: extra\.weight",
    ):
        load_s2d(path, config)


class _RunsCode:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = _RunsCode()
    payload.marker = marker
    path = tmp_path / "evil.pth"
    torch.save({"model": {"w": torch.zeros(1)}, "payload": payload}, path)
    with pytest.raises(
        CheckpointError, match=r"Refusing to load .*evil\.pth.*pickled Python object"
    ) as err:
        load_s2d(path)
    assert "system" in str(err.value)  # names the offending global (posix.system / nt.system)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="Refusing"):
        load_landmarks(path)
    assert not marker.exists()


def test_plain_pickle_file_is_refused(tmp_path):
    marker = tmp_path / "pwned2"
    payload = _RunsCode()
    payload.marker = marker
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"model": payload}, protocol=2))
    with pytest.raises(CheckpointError):
        load_s2d(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content", [b"", b"not a checkpoint at all", None], ids=["empty", "text", "truncated"]
)
def test_unreadable_files(tmp_path, golden_dir, content):
    path = tmp_path / "bad.pth"
    if content is None:
        content = (golden_dir / "tinyB_s2d.pth").read_bytes()[:5000]
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"bad\.pth"):
        load_s2d(path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_s2d(tmp_path / "nope.pth")


def test_not_a_state_dict(tmp_path):
    path = tmp_path / "odd.pth"
    torch.save({"model": {"a": 1}}, path)
    with pytest.raises(CheckpointError, match="not tensors"):
        load_s2d(path)


def test_image_checkpoint_loads_non_strictly_with_a_warning(tmp_path, tiny_a, caplog, capsys):
    """Pre-training weights: no TMA / temporal embedding, `norm.*` instead of `ln_post.*`,
    landmark weights inside, a prompt embedding for another channel count."""
    config, state_dict, *_ = tiny_a
    image = {k: v for k, v in state_dict.items() if "TMA" not in k and k != "temporal_embedding"}
    image["norm.weight"] = image.pop("ln_post.weight")
    image["norm.bias"] = image.pop("ln_post.bias")
    image["landmark.conv1.conv.weight"] = torch.zeros(64, 3, 3, 3)
    image["patch_embed_prompt.proj.weight"] = torch.zeros(config.embed_dim, 64, 1, 1)
    image["head.weight"] = torch.zeros(7, config.embed_dim)
    path = tmp_path / "Pretrain-AffectNet-7.pth"
    torch.save({"model": image}, path)

    with caplog.at_level(logging.WARNING, logger="s2d"), pytest.warns(CheckpointWarning) as record:
        model = load_s2d(path, config)
    message = str(record[0].message)
    assert "temporal_embedding" in message and "patch_embed_prompt.proj.weight" in message
    assert "head.weight" in message  # unexpected
    assert "landmark" not in message.split("unexpected")[1]  # dropped, not reported
    assert any("non-strictly" in r.message for r in caplog.records)
    assert capsys.readouterr().out == ""
    torch.testing.assert_close(model.ln_post.weight, state_dict["ln_post.weight"])
    torch.testing.assert_close(
        model.blocks[0].attn.qkv.weight, state_dict["blocks.0.attn.qkv.weight"]
    )


def test_load_by_cached_name_verifies_sha256(tmp_path, monkeypatch, tiny_a, golden_dir):
    """Names resolve through the weights cache, whose sha256 is checked on every load."""
    from s2dcli.errors import ChecksumError
    from s2dcli.weights import import_file

    monkeypatch.setenv("S2D_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config, *_ = tiny_a
    entry = import_file(golden_dir / "tinyA_s2d.pth", "my-tiny")
    _assert_golden(load_s2d("my-tiny", config), tiny_a)

    data = bytearray(entry.path.read_bytes())
    data[-100] ^= 0xFF  # flip a byte inside the cached copy
    entry.path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match=r"my-tiny|tinyA_s2d"):
        load_s2d("my-tiny", config)


def test_unknown_name_offline_says_how_to_get_it(tmp_path, monkeypatch):
    from s2dcli.errors import WeightsNotAvailableError

    monkeypatch.setenv("S2D_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotAvailableError, match=r"--weights PATH") as err:
        load_s2d("dfew-fold1")
    assert str(tmp_path) in str(err.value)
    with pytest.raises(WeightsNotAvailableError, match=r"--landmark-weights PATH"):
        load_landmarks("landmarks")
