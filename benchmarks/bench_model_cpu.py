"""Full-size S2D forward against timm's plain ViT-B/16 on the same frames, side by side.

The release adds 9.8 % parameters and about 12 % FLOPs to ViT-B/16; the S2D forward should
cost at most 1.25x the ViT's on the same B*T frames. Runs alternate (ViT, S2D, ViT, S2D, ...)
after a warm-up so that machine noise hits both alike (the order flips every round). The
figure of merit is the median over rounds of the per-round time ratio S2D / ViT, which a
burst of load on a shared machine moves far less than either time alone.

    python benchmarks/bench_model_cpu.py [--clips 1] [--rounds 7] [--threads N] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import timm
import torch

from s2dcli.models import S2D, LandmarkNet, S2DConfig


def _timed(fn, sync) -> float:
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1, help="clips per batch (B)")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per model")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    config = S2DConfig()
    torch.manual_seed(0)
    s2d = S2D(config).eval().to(device)
    landmarks = LandmarkNet().to(device)
    vit = timm.create_model("vit_base_patch16_224", pretrained=False).eval().to(device)

    frames = args.clips * config.num_frames
    video = torch.randn(args.clips, 3, config.num_frames, 224, 224, device=device)
    flat = video.transpose(1, 2).flatten(0, 1).contiguous()
    with torch.inference_mode():
        landmark_features = landmarks(video)

        runs = {
            "vit_base_patch16_224": lambda: vit(flat),
            "s2d": lambda: s2d(video, landmark_features),
            "s2d+landmarks": lambda: s2d(video, landmarks(video)),
        }
        for fn in runs.values():  # warm-up
            fn()
        times: dict[str, list[float]] = {name: [] for name in runs}
        for round_index in range(args.rounds):
            order = list(runs.items())
            if round_index % 2:
                order.reverse()
            for name, fn in order:
                times[name].append(_timed(fn, sync))

    vit_median = statistics.median(times["vit_base_patch16_224"])
    print(
        f"device={device} threads={torch.get_num_threads()} torch={torch.__version__} "
        f"timm={timm.__version__} batch={args.clips} clips x {config.num_frames} frames "
        f"= {frames} frames, {args.rounds} alternating rounds"
    )
    print(f"{'model':<22}{'median s':>10}{'min s':>9}{'frames/s':>10}{'ratio':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<22}{median:>10.3f}{min(values):>9.3f}{frames / median:>10.1f}"
            f"{median / vit_median:>8.3f}"
        )
    vit_times = times["vit_base_patch16_224"]
    paired = [s / v for s, v in zip(times["s2d"], vit_times, strict=True)]
    ratio = statistics.median(paired)
    best = min(times["s2d"]) / min(vit_times)
    print(
        f"S2D / ViT-B time ratio: {ratio:.3f} (median of per-round ratios; "
        f"ratio of best times {best:.3f}; target <= 1.25)"
    )


if __name__ == "__main__":
    main()
