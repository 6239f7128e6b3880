"""S2DConfig: defaults, JSON files, validation."""

from __future__ import annotations

import json

import pytest

from s2dcli.errors import InputError
from s2dcli.models import S2DConfig


def test_from_json_ignores_unknown_keys(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            {"patch_size": 2, "img_size": 28, "embed_dim": 32, "num_heads": 2, "batch": 3, "x": 1}
        )
    )
    config = S2DConfig.from_json(path)
    assert (config.patch_size, config.img_size, config.embed_dim) == (2, 28, 32)


def test_golden_configs_load(golden_dir):
    for name in ("tinyA", "tinyB"):
        config = S2DConfig.from_json(golden_dir / f"{name}_config.json")
        assert config.tma_layer_norm_eps == 1e-5 and config.layer_norm_eps == 1e-6


def test_round_trip():
    config = S2DConfig(num_classes=11, num_frames=8)
    assert S2DConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"img_size": 200}, "14 \\* patch_size"),
        ({"num_heads": 5}, "divisible by num_heads"),
        ({"adapter_scale": 0.01}, "adapter_attention_heads"),
        ({"num_frames": 0}, "num_frames must be at least 1"),
        ({"prompt_type": "shallow"}, "only 'deep'"),
    ],
)
def test_invalid_configs_are_user_errors(changes, message):
    with pytest.raises(InputError, match=message):
        S2DConfig(**changes)


def test_missing_and_malformed_json(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        S2DConfig.from_json(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(InputError, match="not a readable JSON"):
        S2DConfig.from_json(bad)
