"""Building S2D models and loading weights into them."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from s2dcli.errors import CheckpointWarning
from s2dcli.models.checkpoint import (
    embedded_config,
    extract_state_dict,
    filter_image_checkpoint,
    infer_config,
    is_image_checkpoint,
    load_state_dict_checked,
    read_checkpoint,
)
from s2dcli.models.config import S2DConfig
from s2dcli.models.landmarks import LandmarkNet
from s2dcli.models.s2d import S2D

logger = logging.getLogger("s2d.models")

# Architectures by name (timm style). Published weights live in `s2dcli.weights`.
ARCHITECTURES: dict[str, S2DConfig] = {
    "s2d_base_patch16_224": S2DConfig(),
    # A tiny model for tests and smoke runs: 4 frames of 56x56, 2 blocks of width 64.
    "s2d_test": S2DConfig(
        img_size=56, patch_size=4, embed_dim=64, depth=2, num_heads=2, num_frames=4
    ),
}


def create_model(name: str = "s2d_base_patch16_224", **overrides: object) -> S2D:
    """A randomly initialised S2D of a registered architecture; `None` overrides are dropped."""
    try:
        config = ARCHITECTURES[name]
    except KeyError:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ValueError(f"Unknown architecture {name!r}; known: {known}.") from None
    changes = {k: v for k, v in overrides.items() if v is not None}
    return S2D(config.replace(**changes) if changes else config)


def _local_file(path: str | Path) -> Path:
    """A local path as is; a model name, https:// URL or hf:// address through the cache."""
    candidate = Path(path)
    if candidate.exists():
        return candidate
    text = str(path)
    if "://" in text or not (candidate.suffix or "/" in text or "\\" in text):
        from s2dcli.weights import resolve

        return resolve(text)
    return candidate  # a missing local file: read_checkpoint names it


def load_s2d(path: str | Path, config: S2DConfig | None = None) -> S2D:
    """Load S2D weights in any of the release's formats, strictly, into an eval-mode model.

    Args:
        path: a checkpoint file (`{'model': ...}`, `{'model_state_dict': ...}` or a bare state
            dict), or a published model name, `https://` URL or `hf://owner/repo/file`.
        config: the architecture. Without it, the config the file carries (or its JSON
            sidecar) is used, else it is inferred from the tensor shapes.

    Image-model (pre-training) checkpoints load by the release's non-strict rules; their
    missing and unexpected keys are reported as a `CheckpointWarning` and a log warning.
    """
    path = _local_file(path)
    obj = read_checkpoint(path)
    state_dict = extract_state_dict(obj, path)
    if config is None:
        config = embedded_config(obj, path) or infer_config(state_dict)
    model = S2D(config)
    if is_image_checkpoint(state_dict):
        state_dict = filter_image_checkpoint(state_dict, model)
        missing, unexpected = load_state_dict_checked(model, state_dict, path, strict=False)
        message = (
            f"Loaded image-model weights {str(path)!r} non-strictly: "
            f"{len(missing)} missing keys ({', '.join(missing) or 'none'}), "
            f"{len(unexpected)} unexpected keys ({', '.join(unexpected) or 'none'}). "
            "The missing parts keep their random initialisation: fine-tune before use."
        )
        logger.warning(message)
        warnings.warn(message, CheckpointWarning, stacklevel=2)
    else:
        load_state_dict_checked(model, state_dict, path)
    return model.eval()


def load_landmarks(path: str | Path) -> LandmarkNet:
    """Load the MobileFaceNet landmark checkpoint (`{'state_dict': ...}` or bare), strictly."""
    path = _local_file(path)
    state_dict = extract_state_dict(read_checkpoint(path), path)
    model = LandmarkNet()
    load_state_dict_checked(model, state_dict, path)
    return model.eval()
