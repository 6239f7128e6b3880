"""Turning options into a ready pipeline: weights, class names, device, detector.

`load_runtime(config)` resolves the S2D and landmark weights (a registry name, a path, an
https:// URL or hf:// address; offline when asked), picks the class names, moves the model to
the device, creates the face detector once in the calling thread (so a missing detector fails
the run at once, not every video), and builds the `Pipeline`. Its `fingerprint` names what makes
results comparable between runs (`--resume` refuses to mix runs whose fingerprints differ).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from s2dcli.errors import DeviceError, InputError
from s2dcli.models.config import S2DConfig
from s2dcli.weights.require import WeightsNeed, require_weights

if TYPE_CHECKING:
    from s2dcli.config import AnnotateConfig
    from s2dcli.faces.types import FaceDetector
    from s2dcli.pipeline import DetectorPool, Pipeline

log = logging.getLogger("s2d.annotate")


@dataclass
class Runtime:
    """A loaded model and detector in their `Pipeline`, with what they are."""

    pipeline: Pipeline
    classes: list[str]
    model_name: str
    fingerprint: dict[str, object]
    details: dict[str, object] = field(default_factory=dict)
    detectors: DetectorPool | None = None

    def describe(self) -> dict[str, object]:
        return dict(self.details)

    def close(self) -> None:
        if self.detectors is not None:
            self.detectors.close()


def weights_name(spec: str, path: Path) -> str:
    """The name to show for weights: the file name for a local path, else the spec."""
    return path.name if Path(spec).exists() else spec


def run_weights(
    spec: str, landmark_spec: str | None, offline: bool, *, named_by: str = "--weights"
) -> tuple[Path, Path]:
    """The S2D checkpoint and the landmark weights of a run, both resolved before either loads.

    Args:
        spec: The S2D checkpoint (a registry name, path, URL or hf:// address).
        landmark_spec: The landmark weights, or None for the published ones.
        offline: Never download.
        named_by: The option `spec` came from (`--model`, `--weights`, `--init`).

    Raises:
        MissingWeightsError: One message for every file that is missing and not downloadable.
    """
    weights_path, landmark_path = require_weights(
        [
            WeightsNeed(spec, "--weights", named_by),
            WeightsNeed(landmark_spec or "landmarks", "--landmark-weights"),
        ],
        offline=True if offline else None,
        progress=True,
    )
    return weights_path, landmark_path


def class_names(
    labels: str | None, weights_path: Path, registry_name: str | None, num_classes: int
) -> list[str]:
    """The names of the model's classes, in head order (see the module docstring)."""
    from s2dcli.models.checkpoint import sidecar_path
    from s2dcli.weights.registry import LABEL_SETS, REGISTRY

    names: list[str] | None = None
    origin = ""
    if labels:
        key = labels.strip().lower()
        if key in LABEL_SETS:
            names = list(LABEL_SETS[key])
        else:
            names = [n.strip() for n in labels.split(",") if n.strip()]
        origin = f"--classes {labels!r}"
    else:
        sidecar = sidecar_path(weights_path)
        if sidecar.exists():
            try:
                meta = json.loads(sidecar.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                meta = {}
            if isinstance(meta, dict) and isinstance(meta.get("class_names"), list):
                names = [str(n) for n in meta["class_names"]]
                origin = str(sidecar)
        if names is None and registry_name in REGISTRY:
            names = list(REGISTRY[registry_name].class_names) or None
            origin = registry_name or ""
    if names is None:
        log.warning(
            "The weights do not name their classes; using class_0..class_%d. Pass "
            "--classes dfew|ferv39k|mafw or --classes name1,name2,... to name them.",
            num_classes - 1,
        )
        return [f"class_{i}" for i in range(num_classes)]
    if len(names) != num_classes:
        raise InputError(
            f"{origin} gives {len(names)} class names but the model has "
            f"{num_classes} outputs; pass --classes with {num_classes} names."
        )
    if len(set(names)) != len(names):
        raise InputError(f"{origin}: class names must be distinct, got {names}.")
    return names


def load_runtime(config: AnnotateConfig) -> Runtime:
    """Everything `annotate` needs, from the run's (checked) options."""
    import torch

    from engine.device import DeviceUnavailableError, autocast_dtype, resolve_device
    from s2dcli.clips import ClipConfig
    from s2dcli.faces import TrackerConfig, create_detector, is_whole_frame
    from s2dcli.models import load_landmarks, load_s2d
    from s2dcli.pipeline import (
        Classifier,
        DetectorPool,
        FaceClipOptions,
        Pipeline,
        PipelineOptions,
    )
    from s2dcli.weights.cache import sha256_file

    model_options, faces, clips = config.model, config.faces, config.clips
    try:
        device = resolve_device(config.device.device)
        dtype = autocast_dtype(device, config.device.precision)
    except DeviceUnavailableError as exc:
        raise DeviceError(str(exc)) from exc
    s2d_config = None
    if model_options.model_config:
        s2d_config = S2DConfig.from_json(model_options.model_config)
    weights_path, landmark_path = run_weights(
        model_options.spec,
        model_options.landmark_weights,
        model_options.offline,
        named_by="--weights" if model_options.weights else "--model",
    )
    model_name = weights_name(model_options.spec, weights_path)
    registry_name = None if model_options.weights else model_options.model
    model = load_s2d(weights_path, s2d_config)
    landmarks = load_landmarks(landmark_path)
    classes = class_names(
        model_options.classes, weights_path, registry_name, model.config.num_classes
    )
    classifier = Classifier(
        model, landmarks, device, config.device.precision, compile=config.device.compile
    )

    whole_frame = is_whole_frame(faces.faces)
    workers = config.executor.workers
    pool = None
    if not whole_frame:
        threads = max(1, (os.cpu_count() or 2) // workers)
        detector_device = "cuda" if device.type == "cuda" else "cpu"

        def make_detector() -> FaceDetector:
            return create_detector(
                faces.faces,
                min_face=faces.min_face,
                device=detector_device,
                threads=threads,
                download=True,
            )

        pool = DetectorPool(make_detector)
        pool.release(pool.acquire())  # fail now, not on every video
    scan = FaceClipOptions(
        clips=ClipConfig(
            clip_seconds=clips.clip_seconds,
            stride_seconds=clips.stride_seconds,
            num_frames=model.config.num_frames,
            # face-crop collections: even a clip shorter than 0.5 s is the input
            min_seconds=0.0 if whole_frame else ClipConfig.min_seconds,
        ),
        tracker=TrackerConfig(min_face=faces.min_face),
        detect_every=faces.detect_every,
        crop_size=model.config.img_size,
        whole_frame=whole_frame,
    )
    batch_size = config.device.batch_size_for(device.type)
    pipeline = Pipeline(
        classifier, pool, scan, PipelineOptions(batch_size=batch_size, workers=workers)
    )
    weights_sha = sha256_file(weights_path)
    landmarks_sha = sha256_file(landmark_path)
    detector_name = "none" if pool is None else pool.describe()
    fingerprint = {
        "weights_sha256": weights_sha,
        "landmarks_sha256": landmarks_sha,
        "model_config": model.config.to_dict(),
        "classes": classes,
        "faces": detector_name,
        "detect_every": faces.detect_every,
        "clip_seconds": clips.clip_seconds,
        "stride_seconds": clips.stride_seconds,
        "min_face": faces.min_face,
        "device_type": device.type,
        "precision": str(dtype).replace("torch.", "") if dtype is not None else "float32",
    }
    details = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "weights": str(weights_path),
        "landmark_weights": str(landmark_path),
        "batch_size": batch_size,
        "workers": workers,
        **fingerprint,
    }
    return Runtime(pipeline, classes, model_name, fingerprint, details, pool)
