"""The annotation engine's application side: scan videos into face clips, classify them.

engine = Engine(Classifier(model, landmarks, device), DetectorPool(make_detector),
                ScanOptions(...), EngineOptions(batch_size=32, workers=2))
for result in engine.run(paths):   # one VideoResult per video, in input order
    result.status, result.clips, result.scan.tracks
"""

from s2dcli.pipeline.classify import Classifier, ClipScores
from s2dcli.pipeline.cutter import CutClip, StreamingClipCutter
from s2dcli.pipeline.runner import (
    ClipResult,
    DetectorPool,
    Engine,
    EngineOptions,
    EngineStats,
    VideoResult,
)
from s2dcli.pipeline.scan import ScanOptions, VideoFailure, VideoScan, scan_video

__all__ = [
    "Classifier",
    "ClipResult",
    "ClipScores",
    "CutClip",
    "DetectorPool",
    "Engine",
    "EngineOptions",
    "EngineStats",
    "ScanOptions",
    "StreamingClipCutter",
    "VideoFailure",
    "VideoResult",
    "VideoScan",
    "scan_video",
]
