"""The published S2D checkpoints, their sources and their class orders.

Every name-taking option (`--model`, `--weights`, `--landmark-weights`, `s2d models pull`)
accepts a registry name from `REGISTRY`, or instead a local path, an `https://` URL or an
`hf://owner/repo/path/in/repo` address. The hub file names below are our best knowledge of the
authors' release; if they move, pass the new address directly until this table is updated.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from s2dcli.errors import InputError

WeightsKind = Literal["video", "image", "landmarks"]

HF_REPO = "cyinen/S2D"
ARCHITECTURE = "s2d_base_patch16_224"
DEFAULT_MODEL = "dfew-fold1"

# Class orders exactly as the checkpoints' output heads were trained.
DFEW_CLASSES = ("Happy", "Sad", "Neutral", "Angry", "Surprise", "Disgust", "Fear")
FERV39K_CLASSES = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")
MAFW_CLASSES = (
    "Anger",
    "Anxiety",
    "Contempt",
    "Disappointment",
    "Disgust",
    "Fear",
    "Happiness",
    "Helplessness",
    "Neutral",
    "Sadness",
    "Surprise",
)
AFFECTNET7_CLASSES = ("Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger")

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "dfew": DFEW_CLASSES,
    "ferv39k": FERV39K_CLASSES,
    "mafw": MAFW_CLASSES,
}

# THE table of hub file names (inside hf://cyinen/S2D). They are not verified against the hub
# (no network when this was written); the pre-training name comes from the authors' README link.
HF_FILES: dict[str, str] = {
    **{f"dfew-fold{k}": f"DFEW/fold{k}.pth" for k in range(1, 6)},
    "ferv39k": "FERV39K/ferv39k.pth",
    **{f"mafw-fold{k}": f"MAFW/fold{k}.pth" for k in range(1, 6)},
    "affectnet7-image": "pretrain-AffectNet-7.pth",
}
LANDMARKS_URL = "https://github.com/MSA-LMC/S2D/raw/main/landmark/mobilefacenet_model_best.pth.tar"


@dataclass(frozen=True)
class WeightsSpec:
    """One published checkpoint.

    Attributes:
        name: Registry name, e.g. `dfew-fold1`.
        source: `hf://owner/repo/path/in/repo` or `https://...` address of the file.
        class_names: Output classes in head order (empty for the landmark model).
        kind: `video` (fine-tuned on a video data set), `image` (image pre-training) or
            `landmarks` (the MobileFaceNet landmark branch).
        architecture: Model architecture the checkpoint fits.
        description: One line for `s2d models list`.
        sha256: Known sha256 of the file, or None to trust the hub's own hash / first download.
    """

    name: str
    source: str
    class_names: tuple[str, ...]
    kind: WeightsKind
    architecture: str
    description: str
    sha256: str | None = None

    @property
    def filename(self) -> str:
        """The file's base name (the last component of the source path)."""
        return source_filename(self.source)

    @property
    def flag(self) -> str:
        """The command-line option that points at a local copy of this file."""
        return "--landmark-weights" if self.kind == "landmarks" else "--weights"


def source_filename(source: str) -> str:
    """Base name of the file behind a source address (URL fragment and query dropped)."""
    path = urlsplit(source).path if "://" in source else source
    return path.rstrip("/").rsplit("/", 1)[-1] or "weights.bin"


def _hf(name: str) -> str:
    return f"hf://{HF_REPO}/{HF_FILES[name]}"


def _build() -> dict[str, WeightsSpec]:
    specs: list[WeightsSpec] = []
    for k in range(1, 6):
        specs.append(
            WeightsSpec(
                f"dfew-fold{k}",
                _hf(f"dfew-fold{k}"),
                DFEW_CLASSES,
                "video",
                ARCHITECTURE,
                f"Fine-tuned on DFEW, fold {k} (7 classes)",
            )
        )
    specs.append(
        WeightsSpec(
            "ferv39k",
            _hf("ferv39k"),
            FERV39K_CLASSES,
            "video",
            ARCHITECTURE,
            "Fine-tuned on FERV39K (7 classes)",
        )
    )
    for k in range(1, 6):
        specs.append(
            WeightsSpec(
                f"mafw-fold{k}",
                _hf(f"mafw-fold{k}"),
                MAFW_CLASSES,
                "video",
                ARCHITECTURE,
                f"Fine-tuned on MAFW, fold {k} (11 classes)",
            )
        )
    specs.append(
        WeightsSpec(
            "affectnet7-image",
            _hf("affectnet7-image"),
            AFFECTNET7_CLASSES,
            "image",
            ARCHITECTURE,
            "Image pre-training on AffectNet-7 (start point for fine-tuning)",
        )
    )
    specs.append(
        WeightsSpec(
            "landmarks",
            LANDMARKS_URL,
            (),
            "landmarks",
            "mobilefacenet",
            "MobileFaceNet facial landmark model used by the landmark-aware prompters",
        )
    )
    return {s.name: s for s in specs}


REGISTRY: dict[str, WeightsSpec] = _build()


def get_spec(name: str) -> WeightsSpec:
    """The registry entry called `name`.

    Args:
        name: A registry name such as `dfew-fold1` (case-insensitive).

    Returns:
        The matching `WeightsSpec`.

    Raises:
        InputError: `name` is not in the registry; the message lists the known names and a
            close match if there is one.
    """
    spec = REGISTRY.get(name.strip().lower())
    if spec is not None:
        return spec
    close = difflib.get_close_matches(name.lower(), list(REGISTRY), n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InputError(
        f"Unknown weights name {name!r}.{hint} Known names: {', '.join(REGISTRY)}. "
        "A local path, an https:// URL or hf://owner/repo/path/in/repo also works."
    )
