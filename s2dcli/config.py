"""The run's configuration: frozen, typed option groups, each default written once.

Every layer that needs an option imports its group from here (torch-free, so the CLI can
build a config before anything heavy loads). The Click options in `s2dcli.options` take their
defaults from these fields; `AnnotateConfig.from_kwargs` builds a config from the flat
keyword names `s2dcli.annotate()` accepts (the CLI's option names).

Values are checked once, in `s2dcli.resolve`; the groups only hold them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
EXECUTORS = ("local", "ray")
CPU_BATCH_SIZE = 8
CUDA_BATCH_SIZE = 32


@dataclass(frozen=True)
class ModelOptions:
    """Which weights, and what their classes are called.

    Attributes:
        model: published weights by registry name (see `s2d models list`).
        weights: other S2D weights: a path, https:// URL or hf://owner/repo/file.
        model_config: an S2DConfig JSON for weights of a non-standard shape.
        landmark_weights: MobileFaceNet landmark weights (None: the published ones).
        classes: class names when the weights do not say: dfew, ferv39k, mafw or
            comma-separated names.
        offline: never download; cached weights only.
    """

    model: str = "dfew-fold1"
    weights: str | None = None
    model_config: str | None = None
    landmark_weights: str | None = None
    classes: str | None = None
    offline: bool = False

    @property
    def spec(self) -> str:
        """What to load: `weights` when given, else the registry name."""
        return self.weights or self.model


@dataclass(frozen=True)
class DeviceOptions:
    """Where and how the model runs.

    Attributes:
        device: auto, cpu, cuda or cuda:N.
        precision: auto (bf16 on CUDA, fp32 on CPU), fp32, bf16 or fp16.
        batch_size: clips per model call (None: `CUDA_BATCH_SIZE` on CUDA, else
            `CPU_BATCH_SIZE`).
        compile: torch.compile the model.
    """

    device: str = "auto"
    precision: str = "auto"
    batch_size: int | None = None
    compile: bool = False

    def batch_size_for(self, device_type: str) -> int:
        """The batch size to use on a device of this type ("cuda", "cpu")."""
        if self.batch_size is not None:
            return self.batch_size
        return CUDA_BATCH_SIZE if device_type == "cuda" else CPU_BATCH_SIZE


@dataclass(frozen=True)
class FaceOptions:
    """How faces are found.

    Attributes:
        faces: the detector: auto, scrfd, an InsightFace pack, a .onnx file, mtcnn, or none
            (each frame's centre square is the face: for collections of face crops).
        detect_every: run the detector on every k-th frame; the tracker fills the rest.
        min_face: ignore faces smaller than this (pixels, shorter side).
    """

    faces: str = "auto"
    detect_every: int = 5
    min_face: float = 20.0


@dataclass(frozen=True)
class ClipOptions:
    """How tracks become clips.

    Attributes:
        clip_seconds: length of each clip.
        stride_seconds: time between clip starts.
    """

    clip_seconds: float = 2.0
    stride_seconds: float = 1.0


@dataclass(frozen=True)
class InputOptions:
    """Which files are videos.

    Attributes:
        ext: comma-separated extensions to look for in folders (None: common video types).
        recursive: descend into sub-folders.
    """

    ext: str | None = None
    recursive: bool = True


@dataclass(frozen=True)
class ExecutorOptions:
    """Where the videos are processed.

    Attributes:
        executor: local (this process) or ray (a Ray cluster's workers).
        workers: videos decoded and searched for faces at once.
        ray_address: with ray: auto or HOST:PORT (None: RAY_ADDRESS, else a local Ray).
        ray_workers: with ray: workers, each holding a model (None: as many as fit).
        gpus_per_worker: with ray: GPUs per worker (None: 1 with GPUs, else 0).
        cpus_per_worker: with ray: CPU cores per worker (None: 1, or the CPUs per GPU).
    """

    executor: str = "local"
    workers: int = 2
    ray_address: str | None = None
    ray_workers: int | None = None
    gpus_per_worker: float | None = None
    cpus_per_worker: int | None = None


@dataclass(frozen=True)
class OutputOptions:
    """Where the files go, beside `output` unless told otherwise.

    Attributes:
        output: the clip table (.csv, .parquet or .jsonl, by extension).
        summary: the per-video summary (None: `<stem>.videos.csv` beside `output`).
        plots: a folder for PNG timelines, a label chart and index.html.
        overlay: a folder for one MP4 per video with boxes and labels drawn.
        report: a folder for the interactive report (`s2d report`).
        resume: continue the run that wrote `output`.
        overwrite: replace existing results.
    """

    output: Path
    summary: Path | None = None
    plots: Path | None = None
    overlay: Path | None = None
    report: Path | None = None
    resume: bool = False
    overwrite: bool = False

    @property
    def stem(self) -> str:
        """`results` for `results.csv`."""
        suffix = self.output.suffix
        return self.output.name[: -len(suffix)] if suffix else self.output.name

    @property
    def summary_path(self) -> Path:
        return self.summary or self.output.with_name(f"{self.stem}.videos.csv")

    @property
    def segments_path(self) -> Path:
        return self.output.with_name(f"{self.stem}.segments.csv")

    @property
    def journal_path(self) -> Path:
        return self.output.with_name(self.output.name + ".journal")

    @property
    def run_path(self) -> Path:
        return self.output.with_name(self.output.name + ".run.json")

    @property
    def lock_path(self) -> Path:
        return self.output.with_name(f".{self.output.name}.lock")


@dataclass(frozen=True)
class AnnotateConfig:
    """Everything `annotate` can be told, apart from its inputs and output files."""

    model: ModelOptions = field(default_factory=ModelOptions)
    device: DeviceOptions = field(default_factory=DeviceOptions)
    faces: FaceOptions = field(default_factory=FaceOptions)
    clips: ClipOptions = field(default_factory=ClipOptions)
    inputs: InputOptions = field(default_factory=InputOptions)
    executor: ExecutorOptions = field(default_factory=ExecutorOptions)
    max_failures: str | None = None  # "N" or "P%": stop once that many videos failed

    @classmethod
    def from_kwargs(cls, **options: Any) -> AnnotateConfig:
        """A config from flat option names (`device="cuda", batch_size=64, ...`).

        Raises:
            TypeError: an option no group has.
        """
        groups: dict[str, dict[str, Any]] = {name: {} for name in _GROUPS}
        top: dict[str, Any] = {}
        unknown = []
        for key, value in options.items():
            group = _FIELD_GROUP.get(key)
            if group is None:
                unknown.append(key)
            elif group == "":
                top[key] = value
            else:
                groups[group][key] = value
        if unknown:
            raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
        built = {name: _GROUPS[name](**values) for name, values in groups.items()}
        return cls(**built, **top)

    def replace(self, **options: Any) -> AnnotateConfig:
        """A copy with some flat options changed (`config.replace(device="cpu")`)."""
        return AnnotateConfig.from_kwargs(**{**self.flat(), **options})

    def flat(self) -> dict[str, Any]:
        """The options by their flat names (as the run record lists them)."""
        out: dict[str, Any] = {}
        for name in _GROUPS:
            out.update(dataclasses.asdict(getattr(self, name)))
        out["max_failures"] = self.max_failures
        return out


_GROUPS: dict[str, type[Any]] = {
    "model": ModelOptions,
    "device": DeviceOptions,
    "faces": FaceOptions,
    "clips": ClipOptions,
    "inputs": InputOptions,
    "executor": ExecutorOptions,
}
_FIELD_GROUP: dict[str, str] = {
    f.name: group for group, cls in _GROUPS.items() for f in fields(cls)
} | {"max_failures": ""}


def default(cls: type[Any], name: str) -> Any:
    """The default of field `name` of the dataclass `cls` (what `--help` shows)."""
    for f in fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            raise ValueError(f"{cls.__name__}.{name} has no plain default")
    raise AttributeError(f"{cls.__name__} has no field {name!r}")


__all__ = [
    "CPU_BATCH_SIZE",
    "CUDA_BATCH_SIZE",
    "EXECUTORS",
    "PRECISIONS",
    "AnnotateConfig",
    "ClipOptions",
    "DeviceOptions",
    "ExecutorOptions",
    "FaceOptions",
    "InputOptions",
    "ModelOptions",
    "OutputOptions",
    "default",
]
