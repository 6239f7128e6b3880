"""Reading the authors' checkpoint files safely and loading them strictly.

Released checkpoints are pickles. They are read with `torch.load(weights_only=True)`, which
refuses any pickled object that could run code; the only class allowed beyond tensors and
plain containers is `argparse.Namespace`, which the release's training script stores as `args`.
"""

from __future__ import annotations

import argparse
import json
import logging
import pickle
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from s2dcli.errors import CheckpointError
from s2dcli.models.config import LANDMARK_GRID, S2DConfig

logger = logging.getLogger("s2d.models")

# The form torch.serialization.safe_globals takes: a class (a callable) or (class, name).
SAFE_GLOBALS: list[Callable[..., Any] | tuple[Callable[..., Any], str]] = [argparse.Namespace]
STATE_DICT_KEYS = ("model", "model_state_dict", "state_dict")
CONFIG_KEYS = ("s2d_config", "config")
SIDECAR_SUFFIX = ".json"
MAX_LISTED = 12


def sidecar_path(path: str | Path) -> Path:
    """Where the metadata of a checkpoint lives: `best.pth` -> `best.pth.json`."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_checkpoint(path: str | Path) -> Any:
    """`torch.load` with `weights_only=True`; unreadable or unsafe files raise CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Checkpoint {str(path)!r} does not exist or is not a file.")
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc), flags=re.IGNORECASE)
        what = f" ({found.group(1)})" if found else ""
        raise CheckpointError(
            f"Refusing to load {str(path)!r}: it holds a pickled Python object{what} that could "
            "run code when loaded. s2dcli only reads plain weight files. If you trust the file, "
            "re-save its weights on a trusted machine with "
            "torch.save({'model': model.state_dict()}, 'clean.pth') and load that instead."
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"Cannot read checkpoint {str(path)!r}: it is not a PyTorch checkpoint or it is "
            f"truncated ({type(exc).__name__}: {exc}). Download it again."
        ) from None


def extract_state_dict(obj: Any, path: str | Path) -> dict[str, torch.Tensor]:
    """Find the weights inside a checkpoint: `model`, `model_state_dict`, `state_dict` or bare."""
    state_dict: Any = obj
    if isinstance(obj, Mapping):
        for key in STATE_DICT_KEYS:
            if key in obj and isinstance(obj[key], Mapping):
                state_dict = obj[key]
                break
    if not isinstance(state_dict, Mapping) or not state_dict:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} holds no state dict (looked for the keys "
            f"{', '.join(STATE_DICT_KEYS)} and for a bare state dict)."
        )
    bad = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} is not a state dict: entries {_listing(bad)} are not "
            "tensors."
        )
    keys = list(state_dict)
    for prefix in ("module.", "_orig_mod."):  # DistributedDataParallel, torch.compile
        if all(k.startswith(prefix) for k in keys):
            state_dict = {k[len(prefix) :]: v for k, v in state_dict.items()}
            keys = list(state_dict)
    return dict(state_dict)


def embedded_config(obj: Any, path: str | Path) -> S2DConfig | None:
    """The S2D config a checkpoint carries, in the file itself or in its JSON sidecar."""
    if isinstance(obj, Mapping):
        for key in CONFIG_KEYS:
            if isinstance(obj.get(key), Mapping):
                return S2DConfig.from_dict(dict(obj[key]))
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(
                f"Cannot read checkpoint metadata {str(sidecar)!r}: {exc}."
            ) from None
        if isinstance(meta, Mapping) and isinstance(meta.get("config"), Mapping):
            return S2DConfig.from_dict(dict(meta["config"]))
    return None


def infer_config(state_dict: Mapping[str, torch.Tensor]) -> S2DConfig:
    """Derive the architecture from tensor shapes; heads = embed_dim // 64 (ViT convention).

    Keys an image (pre-training) checkpoint lacks keep the full-size defaults.
    """
    defaults = S2DConfig()
    values: dict[str, Any] = {}
    try:
        patch = state_dict["patch_embed.proj.weight"]
    except KeyError:
        raise CheckpointError(
            "Cannot infer the model configuration: the checkpoint has no "
            "'patch_embed.proj.weight'. Pass a config (--model-config JSON)."
        ) from None
    dim, in_chans, patch_size = patch.shape[0], patch.shape[1], patch.shape[2]
    values.update(
        embed_dim=dim,
        in_chans=in_chans,
        patch_size=patch_size,
        img_size=LANDMARK_GRID * patch_size,
        num_heads=max(1, dim // 64),
    )
    depth = {int(m.group(1)) for k in state_dict if (m := re.match(r"blocks\.(\d+)\.", k))}
    if depth:
        values["depth"] = max(depth) + 1
    shapes = {k: tuple(v.shape) for k, v in state_dict.items()}
    if "temporal_embedding" in shapes:
        values["num_frames"] = shapes["temporal_embedding"][1]
    if "head.fc_cls.weight" in shapes:
        values["num_classes"] = shapes["head.fc_cls.weight"][0]
    if "blocks.0.mlp.fc1.weight" in shapes:
        values["mlp_ratio"] = shapes["blocks.0.mlp.fc1.weight"][0] / dim
    has_qkv = "blocks.0.attn.qkv.weight" in shapes
    values["qkv_bias"] = "blocks.0.attn.qkv.bias" in shapes or not has_qkv
    if "prompt_blocks.0.conv0_0.weight" in shapes:
        values["hidden_dim"] = shapes["prompt_blocks.0.conv0_0.weight"][0]
    if "prompt_blocks.0.TMA.T_Adapter.D_fc1.weight" in shapes:
        values["adapter_scale"] = shapes["prompt_blocks.0.TMA.T_Adapter.D_fc1.weight"][0] / dim
    if "patch_embed_prompt.proj.weight" in shapes:
        values["in_chans_l"] = shapes["patch_embed_prompt.proj.weight"][1]
    merged = {**defaults.to_dict(), **values}
    return S2DConfig.from_dict(merged)


def is_image_checkpoint(state_dict: Mapping[str, torch.Tensor]) -> bool:
    """An image-model (pre-training) checkpoint lacks the video parts or names `norm.*`."""
    return (
        "norm.weight" in state_dict
        or "temporal_embedding" not in state_dict
        or not any(".T_Adapter." in k for k in state_dict)
    )


def filter_image_checkpoint(
    state_dict: Mapping[str, torch.Tensor], model: nn.Module
) -> dict[str, torch.Tensor]:
    """The release's rules for image weights: `norm.*` -> `ln_post.*`, drop `landmark` keys,
    and drop `patch_embed_prompt.proj.weight` when its channel count differs."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if "landmark" in key:
            continue
        if key.startswith("norm."):
            key = "ln_post." + key[len("norm.") :]
        out[key] = value
    own = model.state_dict()
    key = "patch_embed_prompt.proj.weight"
    if key in out and out[key].shape[1] != own[key].shape[1]:
        del out[key]
    return out


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def load_state_dict_checked(
    model: nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    path: str | Path,
    *,
    strict: bool = True,
) -> tuple[list[str], list[str]]:
    """Load weights; any missing, unexpected or mis-shaped key fails with one clear error.

    With `strict=False`, missing and unexpected keys are allowed and returned, but shapes must
    still match.
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [
        f"{k} (file {tuple(state_dict[k].shape)}, model {tuple(own[k].shape)})"
        for k in own
        if k in state_dict and state_dict[k].shape != own[k].shape
    ]
    problems = []
    if mismatched:
        problems.append(f"shape mismatches: {_listing(mismatched)}")
    if strict and missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if strict and unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if problems:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} does not fit the {type(model).__name__} model "
            f"({'; '.join(problems)}). Check that the weights belong to this model, or pass the "
            "matching configuration (--model-config JSON)."
        )
    model.load_state_dict(state_dict, strict=strict)
    return missing, unexpected
