"""`run_benchmark`: every stage, then end to end, into one `BenchmarkReport`."""

from __future__ import annotations

import logging
import platform
import tempfile
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from engine.device import autocast_dtype, resolve_device
from engine.stats import peak_rss_bytes
from engine.threads import openmp_wait_policy
from engine.video import VideoDecodeError, probe
from s2dcli.benchmark.end_to_end import bench_end_to_end
from s2dcli.benchmark.media import make_video, read_frames
from s2dcli.benchmark.stages import (
    Progress,
    Row,
    bench_decode,
    bench_detect,
    bench_models,
    detector_threads,
)
from s2dcli.config import ExecutorOptions, FaceOptions, default
from s2dcli.errors import InputError
from s2dcli.models import (
    ARCHITECTURES,
    S2D,
    LandmarkNet,
    S2DConfig,
    create_model,
    load_landmarks,
    load_s2d,
)

log = logging.getLogger("s2d.benchmark")

STAGES = ("decode", "detect", "landmarks", "model", "vit_reference", "end_to_end")
CPU_BATCH_SIZES = (1, 2)
CUDA_BATCH_SIZES = (1, 8, 32, 128)
VERSIONED = ("s2dcli", "torch", "timm", "numpy", "decord", "av", "onnxruntime", "opencv-python")
DETECT_FRAMES = 8  # frames per detection round
DEFAULT_MODEL = "s2d_base_patch16_224"


@dataclass(frozen=True)
class BenchmarkOptions:
    """What to measure, and for how long.

    Attributes:
        device: auto, cpu, cuda or cuda:N.
        batch_sizes: clips per model call; None means 1,2 on CPU and 1,8,32,128 on CUDA.
        precision: auto (bf16 on CUDA, fp32 on CPU), fp32, bf16 or fp16 (CUDA only).
        compile: `torch.compile` S2D and the ViT (first calls are slow, not timed).
        model: a registered architecture with random weights (see `ARCHITECTURES`).
        weights: S2D weights instead of `model` (path, published name or URL).
        model_config: S2DConfig JSON for `weights`.
        landmark_weights: landmark branch weights; None means random.
        video: the video for decode, detect and end to end; None writes one with a face.
        seconds: time bound of each timed stage (and of each batch size).
        faces: face detector spec for `create_detector` (none: whole frames).
        detect_every: end to end, the detector runs on every k-th frame.
        min_face: faces smaller than this are ignored (pixels, shorter side).
        workers: videos the pipeline reads at once (it gets that many copies of the video).
        min_rounds: timed rounds after the warm-up, at least.
        video_seconds: length of the generated video.
    """

    device: str = "auto"
    batch_sizes: tuple[int, ...] | None = None
    precision: str = "auto"
    compile: bool = False
    model: str = DEFAULT_MODEL
    weights: str | None = None
    model_config: str | None = None
    landmark_weights: str | None = None
    video: Path | None = None
    seconds: float = 4.0
    faces: str = default(FaceOptions, "faces")
    detect_every: int = default(FaceOptions, "detect_every")
    min_face: float = default(FaceOptions, "min_face")
    workers: int = default(ExecutorOptions, "workers")
    min_rounds: int = 3
    video_seconds: float = 4.0

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise InputError(f"--seconds must be positive, got {self.seconds}.")
        if self.batch_sizes is not None and (not self.batch_sizes or min(self.batch_sizes) < 1):
            raise InputError(f"Batch sizes must be positive, got {self.batch_sizes}.")
        if self.model_config and not self.weights:
            raise InputError("--model-config describes the --weights file: give both.")
        if self.workers < 1 or self.min_rounds < 1:
            raise InputError("workers and min_rounds must be at least 1.")
        if not self.video_seconds > 0:
            raise InputError(f"video_seconds must be positive, got {self.video_seconds}.")
        if not self.weights and self.model not in ARCHITECTURES:
            raise InputError(
                f"Unknown --model {self.model!r}: use one of "
                f"{', '.join(sorted(ARCHITECTURES))}, or --weights PATH for "
                "trained weights."
            )


@dataclass
class BenchmarkReport:
    """Result rows (one dict per stage and variant) and the headline figures.

    Attributes:
        results: rows, each with `stage` (one of `STAGES`) and that stage's figures.
        s2d_vs_vit_time_ratio: S2D (with its landmark branch) / ViT time at the largest batch
            size that ran (median of per-round ratios); None if none ran.
        end_to_end_vs_slowest_stage: the pipeline's wall time / the slower of its halves (scan:
            decode, detect, crop; model) on the same work, side by side (see `end_to_end`).
        bound_by: `model` or `scan (<its slowest part>)`.
        device: `cpu`, `cuda:0`, ...
        device_name: the CPU or GPU model.
        precision: what the model ran in (fp32, bf16, fp16).
        versions: package versions.
        settings: the options the run used.
        peak_rss_bytes: the process's peak resident memory.
    """

    results: list[Row]
    s2d_vs_vit_time_ratio: float | None
    end_to_end_vs_slowest_stage: float | None
    bound_by: str | None
    device: str
    device_name: str
    precision: str
    versions: dict[str, str | None]
    settings: dict[str, Any]
    peak_rss_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def load_models(options: BenchmarkOptions) -> tuple[S2D, LandmarkNet]:
    """S2D (random of `options.model`, or `options.weights`) and the landmark branch."""
    if options.weights:
        config = S2DConfig.from_json(options.model_config) if options.model_config else None
        model = load_s2d(options.weights, config)
    else:
        torch.manual_seed(0)
        model = create_model(options.model)
    landmarks = (
        load_landmarks(options.landmark_weights) if options.landmark_weights else LandmarkNet()
    )
    return model.eval(), landmarks.eval()


def reference_vit(config: S2DConfig) -> tuple[torch.nn.Module, str]:
    """timm's `vit_base_patch16_224` for the full-size geometry, else a ViT matching `config`."""
    import timm
    from timm.models.vision_transformer import VisionTransformer

    keys = ("img_size", "patch_size", "embed_dim", "depth", "num_heads", "mlp_ratio")
    if all(getattr(config, k) == getattr(S2DConfig(), k) for k in keys):
        return timm.create_model("vit_base_patch16_224", pretrained=False), "vit_base_patch16_224"
    vit = VisionTransformer(
        img_size=config.img_size,
        patch_size=config.patch_size,
        embed_dim=config.embed_dim,
        depth=config.depth,
        num_heads=config.num_heads,
        mlp_ratio=config.mlp_ratio,
        qkv_bias=config.qkv_bias,
        num_classes=config.num_classes,
    )
    return vit, f"vit_d{config.embed_dim}x{config.depth}_patch{config.patch_size}_{config.img_size}"


def stage_estimates(rows: list[Row], e2e: Row) -> dict[str, float]:
    """Each stage's time for the end-to-end run's work, from that stage's own row: decoding its
    frames with the backend it used, detecting on its detected frames, the model on its clips
    at its batch size; cropping as measured inside the run (summed over threads)."""

    def find(stage: str, **match: Any) -> Row | None:
        return next(
            (
                r
                for r in rows
                if r["stage"] == stage
                and "error" not in r
                and all(r.get(k) == v for k, v in match.items())
            ),
            None,
        )

    out: dict[str, float] = {}
    decode = find("decode", variant=f"{e2e['backend']}_engine")
    if decode:
        out["decode"] = e2e["frames"] / decode["frames_per_s"]
    detect = find("detect")
    if detect and e2e["detected_frames"]:
        out["detect"] = e2e["detected_frames"] / detect["frames_per_s"]
    out["crop"] = float(e2e["pipeline_stats"]["crop_s"])
    model = find("model", batch_size=e2e["batch_size"])
    if model and e2e["clips"]:
        out["model"] = e2e["clips"] / model["clips_per_s"]
    return out


def bound_by(e2e: Row) -> str:
    """`model`, or `scan (<its slowest part>)`: what end to end waits for."""
    if e2e["slowest_stage"] == "model":
        return "model"
    parts = {k: v for k, v in e2e["stage_seconds"].items() if k != "model"}
    return f"scan ({max(parts, key=parts.__getitem__)})" if parts else "scan"


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        versions[name] = None
        for dist in (name, f"{name}-gpu"):
            try:
                versions[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                pass
    versions["cuda"] = torch.version.cuda
    return versions


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            name = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                name,
            )
    except OSError:
        pass
    return f"{name}, {torch.get_num_threads()} torch threads"


def run_benchmark(options: BenchmarkOptions, progress: Progress | None = None) -> BenchmarkReport:
    """Measure every stage, then the pipeline end to end; `progress` gets a line per step.

    Raises:
        DeviceUnavailableError: the device cannot be used.
        InputError: unknown model, unreadable video, or a video the decoder cannot read.
    """
    from s2dcli.faces.whole_frame import is_whole_frame

    say = progress or (lambda message: None)
    device = resolve_device(options.device)
    dtype = autocast_dtype(device, options.precision)
    precision = "fp32" if dtype is None else {torch.bfloat16: "bf16"}.get(dtype, "fp16")
    if options.precision not in ("auto", precision):
        log.warning(
            "--precision %s applies on CUDA only: %s runs in %s.",
            options.precision,
            device,
            precision,
        )
    sizes = options.batch_sizes or (CUDA_BATCH_SIZES if device.type == "cuda" else CPU_BATCH_SIZES)
    say("loading models")
    model, landmarks = load_models(options)
    model.to(device)
    landmarks.to(device)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="s2d-benchmark-") as tmp:
        video = _input_video(options, Path(tmp), say)
        say("decode")
        rows += bench_decode(video, options.seconds, options.min_rounds)
        say("detect")
        if not is_whole_frame(options.faces):
            options = _bench_detector(options, device, video, rows)
        vit, vit_name = reference_vit(model.config)
        vit.to(device).eval()
        model_rows, ratio = bench_models(
            model,
            landmarks,
            vit,
            vit_name,
            device,
            sizes,
            precision=options.precision,
            compile=options.compile,
            seconds=options.seconds,
            min_rounds=options.min_rounds,
            progress=say,
        )
        rows += model_rows
        del vit
        done = [r["batch_size"] for r in model_rows if "error" not in r]
        batch = max(done) if done else 1
        say(f"end to end (batch size {batch})")
        e2e = bench_end_to_end(
            model,
            landmarks,
            device,
            video,
            batch_size=batch,
            faces=options.faces,
            detect_every=options.detect_every,
            min_face=options.min_face,
            workers=options.workers,
            precision=options.precision,
            compile=options.compile,
            seconds=options.seconds,
        )
    e2e["stage_seconds"] = stage_estimates(rows, e2e)
    rows.append(e2e)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(options).items()}
    settings.update(
        batch_sizes=list(sizes),
        model_name=options.weights or options.model,
        vit_reference=vit_name,
        torch_threads=torch.get_num_threads(),
        omp_wait_policy=openmp_wait_policy(),
    )
    return BenchmarkReport(
        rows,
        ratio,
        e2e["end_to_end_vs_slowest_stage"],
        bound_by(e2e),
        str(device),
        device_name(device),
        precision,
        package_versions(),
        settings,
        peak_rss_bytes(),
    )


def _input_video(options: BenchmarkOptions, tmp: Path, say: Progress) -> Path:
    if options.video is None:
        say("writing a test video")
        return make_video(tmp / "benchmark.mp4", options.video_seconds)
    video = Path(options.video)
    try:
        probe(video)
    except VideoDecodeError as exc:
        raise InputError(f"Cannot read --video {str(video)!r}: {exc.reason}") from None
    return video


def _bench_detector(
    options: BenchmarkOptions, device: torch.device, video: Path, rows: list[Row]
) -> BenchmarkOptions:
    """Adds the detect row; returns the options with the detector `auto` chose, so that the
    end-to-end stage does not warn about it again."""
    from s2dcli.faces import create_detector

    detector_device = "auto" if device.type == "cuda" else "cpu"
    threads = detector_threads(options.workers)
    spec, detectors = options.faces, []
    try:
        for _ in range(options.workers):
            detectors.append(
                create_detector(
                    spec,
                    min_face=options.min_face,
                    device=detector_device,
                    threads=threads,
                    download=False,
                )
            )
            if spec == "auto" and getattr(detectors[0], "name", "") == "mtcnn":
                spec = "mtcnn"  # `auto` warned once already
        rows.append(
            bench_detect(
                detectors, read_frames(video, DETECT_FRAMES), options.seconds, options.min_rounds
            )
        )
    finally:
        for one in detectors:
            one.close()
    return replace(options, faces=spec)
