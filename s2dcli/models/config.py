"""`S2DConfig`: the constructor arguments of the authors' S2D model, under their names."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s2dcli.errors import InputError

LANDMARK_GRID = 14  # the landmark feature map is 14x14, so the ViT grid must be 14x14 too

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class S2DConfig:
    """Architecture of an S2D model. `S2DConfig()` is the full-size `s2d_base_patch16_224`.

    The field names are the release's constructor arguments, so the release's configuration
    files (and the golden `*_config.json` files) load as they are.
    """

    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    in_chans_l: int = 128
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    num_frames: int = 16
    num_classes: int = 7
    hidden_dim: int = 8
    adapter_scale: float = 0.25
    head_dropout_ratio: float = 0.5
    prompt_type: str = "deep"
    global_pool: str = "token"
    layer_norm_eps: float = 1e-6
    tma_layer_norm_eps: float = 1e-5
    adapter_attention_heads: int = 8

    def __post_init__(self) -> None:
        problems = []
        if self.img_size != LANDMARK_GRID * self.patch_size:
            problems.append(
                f"img_size ({self.img_size}) must be {LANDMARK_GRID} * patch_size "
                f"({LANDMARK_GRID * self.patch_size}): the landmark prompt grid is "
                f"{LANDMARK_GRID}x{LANDMARK_GRID}"
            )
        if self.embed_dim % self.num_heads:
            problems.append(
                f"embed_dim ({self.embed_dim}) must be divisible by num_heads ({self.num_heads})"
            )
        adapter_dim = self.adapter_dim
        if adapter_dim < 1 or adapter_dim % self.adapter_attention_heads:
            problems.append(
                f"embed_dim * adapter_scale ({adapter_dim}) must be a positive multiple of "
                f"adapter_attention_heads ({self.adapter_attention_heads})"
            )
        if self.prompt_type != "deep":
            problems.append(f"prompt_type {self.prompt_type!r} is not supported (only 'deep')")
        if self.global_pool != "token":
            problems.append(f"global_pool {self.global_pool!r} is not supported (only 'token')")
        for name in ("depth", "num_frames", "num_classes", "hidden_dim", "patch_size"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1, got {getattr(self, name)}")
        if problems:
            raise InputError("Invalid S2D configuration: " + "; ".join(problems) + ".")

    @property
    def adapter_dim(self) -> int:
        """Hidden width of the temporal-modelling adapters (`int(embed_dim * adapter_scale)`)."""
        return int(self.embed_dim * self.adapter_scale)

    @property
    def num_patches(self) -> int:
        return (self.img_size // self.patch_size) ** 2

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> S2DConfig:
        """Build a config from a mapping, ignoring keys that are not constructor arguments."""
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in values.items() if k in names}
        if "mlp_ratio" in known:
            known["mlp_ratio"] = float(known["mlp_ratio"])
        return cls(**known)

    @classmethod
    def from_json(cls, path: str | Path) -> S2DConfig:
        """Read a JSON object of constructor arguments (unknown keys are ignored)."""
        path = Path(path)
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"Model config {str(path)!r} does not exist.") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(
                f"Model config {str(path)!r} is not a readable JSON file: {exc}."
            ) from None
        if not isinstance(values, dict):
            raise InputError(f"Model config {str(path)!r} must hold a JSON object.")
        return cls.from_dict(values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> S2DConfig:
        return dataclasses.replace(self, **changes)
