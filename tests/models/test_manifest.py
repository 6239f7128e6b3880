"""The full-size model's state dict against the release's manifest (golden/s2d_base_manifest.json)."""

from __future__ import annotations

import json

import pytest

from s2dcli.models import S2D, LandmarkNet, S2DConfig, apply_release_freezing, is_release_trainable


@pytest.fixture(scope="module")
def manifest(golden_dir):
    return json.loads((golden_dir / "s2d_base_manifest.json").read_text())


def _entries(state_dict):
    return [[k, list(v.shape), str(v.dtype).removeprefix("torch.")] for k, v in state_dict.items()]


@pytest.mark.parametrize(
    "variant", ["s2d_base_patch16_224_classes7", "s2d_base_patch16_224_classes11"]
)
def test_full_size_state_dict_key_for_key(manifest, variant):
    entry = manifest[variant]
    model = S2D(S2DConfig.from_dict(entry["constructor"]))
    state_dict = model.state_dict()
    assert _entries(state_dict) == entry["state_dict"]  # keys, shapes, dtypes, order
    assert len(state_dict) == entry["num_state_dict_entries"]
    assert sum(v.numel() for v in state_dict.values()) == entry["total_parameters"]

    trainable = apply_release_freezing(model)
    assert trainable == entry["trainable_keys"]
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert count == entry["trainable_parameters_under_release_freezing_rule"]


def test_default_config_is_the_7_class_base_model(manifest):
    constructor = manifest["s2d_base_patch16_224_classes7"]["constructor"]
    default = S2DConfig()
    for key, value in constructor.items():
        assert getattr(default, key) == value, key


def test_parameter_overhead_over_vit_b(manifest):
    total = manifest["s2d_base_patch16_224_classes7"]["total_parameters"]
    vit = manifest["vit_base_patch16_224_params_for_comparison"]
    assert 1.09 < total / vit < 1.11  # the paper's +9.8 %


def test_landmark_state_dict_matches_release(manifest):
    entry = manifest["mobilefacenet_112_136"]
    model = LandmarkNet()
    assert _entries(model.state_dict()) == entry["state_dict"]
    assert sum(p.numel() for p in model.parameters()) == entry["total_parameters"]


def test_landmark_net_is_frozen_and_stays_in_eval():
    model = LandmarkNet()
    model.train()
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize(
    ("name", "trainable"),
    [
        ("temporal_embedding", True),
        ("prompt_blocks.3.TMA.T_Adapter.attn.qkv.weight", True),
        ("prompt_norms.11.bias", True),
        ("ln_post.weight", True),
        ("head.fc_cls.bias", True),
        ("blocks.0.attn.qkv.weight", False),
        ("patch_embed.proj.weight", False),
        ("cls_token", False),
        ("pos_embed", False),
    ],
)
def test_release_freezing_rule(name, trainable):
    assert is_release_trainable(name) is trainable
