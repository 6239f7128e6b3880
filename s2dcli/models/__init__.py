"""The S2D model family: architecture, landmark branch, checkpoints and self-distillation."""

from s2dcli.errors import CheckpointWarning
from s2dcli.models.anchors import EmotionAnchors, sdl_weight
from s2dcli.models.checkpoint import read_checkpoint, sidecar_path
from s2dcli.models.config import IMAGENET_MEAN, IMAGENET_STD, S2DConfig
from s2dcli.models.factory import ARCHITECTURES, create_model, load_landmarks, load_s2d
from s2dcli.models.landmarks import LandmarkNet
from s2dcli.models.s2d import (
    RELEASE_TRAINABLE_SUBSTRINGS,
    S2D,
    apply_release_freezing,
    is_release_trainable,
)

__all__ = [
    "ARCHITECTURES",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "RELEASE_TRAINABLE_SUBSTRINGS",
    "S2D",
    "CheckpointWarning",
    "EmotionAnchors",
    "LandmarkNet",
    "S2DConfig",
    "apply_release_freezing",
    "create_model",
    "is_release_trainable",
    "load_landmarks",
    "load_s2d",
    "read_checkpoint",
    "sdl_weight",
    "sidecar_path",
]
