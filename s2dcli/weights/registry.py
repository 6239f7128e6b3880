"""The published S2D checkpoints, their sources and their class orders.

Every name-taking option (`--model`, `--weights`, `--landmark-weights`, `s2d models pull`)
accepts a registry name from `REGISTRY`, or instead a local path, an `https://` URL or an
`hf://owner/repo/path/in/repo` address.

What is verified and what is not: the class orders are the authors' training code's; the hub
repository (`cyinen/S2D`) and the landmark URL are the ones the authors' README links. The
file names inside the repository (`HF_FILES`) are NOT verified against the hub: the README links
only the repository root for the fine-tuned checkpoints. It also reports two results per fold
(with and without oversampling the rare classes), so the hub may hold two checkpoints per fold,
under names we do not know. `HF_FILES_OVERSAMPLED` is the room for the second one: it is empty
until the names are checked, and every hub path put there adds a registry entry
`<name>-oversampled`. Until then a wrong name explains itself: when the hub answers "not found",
the error lists the checkpoint files the repository holds and the `--weights hf://...` to use.
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
# The oversampled-training checkpoint of a fold, by fold name, when the hub holds one (e.g.
# "dfew-fold1": "DFEW/<its file>"); empty: no such file name has been verified.
HF_FILES_OVERSAMPLED: dict[str, str] = {}
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


def _build(
    files: dict[str, str] = HF_FILES, oversampled: dict[str, str] = HF_FILES_OVERSAMPLED
) -> dict[str, WeightsSpec]:
    """The registry from the hub file tables (see the module docstring).

    Args:
        files: Registry name -> path inside `HF_REPO`, one checkpoint per fold.
        oversampled: Registry name -> path of the same fold's checkpoint trained with
            oversampling; each adds an entry `<name>-oversampled` after `<name>`.
    """

    def _hf(name: str) -> str:
        return f"hf://{HF_REPO}/{files[name]}"

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
    unknown = sorted(set(oversampled) - set(files))
    assert not unknown, f"HF_FILES_OVERSAMPLED names folds HF_FILES lacks: {unknown}"
    with_variants: list[WeightsSpec] = []
    for spec in specs:
        with_variants.append(spec)
        if spec.name in oversampled:
            with_variants.append(
                WeightsSpec(
                    f"{spec.name}-oversampled",
                    f"hf://{HF_REPO}/{oversampled[spec.name]}",
                    spec.class_names,
                    spec.kind,
                    spec.architecture,
                    f"{spec.description}, trained with oversampling",
                )
            )
    return {s.name: s for s in with_variants}


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
