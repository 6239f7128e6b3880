"""The annotation pipeline: read videos into face clips, classify them, batched across videos.

pipeline = Pipeline(Classifier(model, landmarks, device), DetectorPool(make_detector),
                    FaceClipOptions(...), PipelineOptions(batch_size=32, workers=2))
for result in pipeline.run(paths):   # one VideoResult per video, in input order
    result.status, result.clips, result.scan.tracks

Stages by file: `face_clips` (decode, detect, track, crop, cut clips; the clip rules are in
`s2dcli.clips`), `classify` (the model on its device), `run` (threads and batching).
"""

from s2dcli.clips import CutClip, StreamingClipCutter
from s2dcli.pipeline.classify import Classifier, ClipScores
from s2dcli.pipeline.face_clips import (
    FaceClipOptions,
    FaceClipReader,
    VideoFailure,
    VideoScan,
    read_face_clips,
)
from s2dcli.pipeline.run import (
    ClipResult,
    DetectorPool,
    Pipeline,
    PipelineOptions,
    PipelineStats,
    VideoResult,
)

__all__ = [
    "Classifier",
    "ClipResult",
    "ClipScores",
    "CutClip",
    "DetectorPool",
    "FaceClipOptions",
    "FaceClipReader",
    "Pipeline",
    "PipelineOptions",
    "PipelineStats",
    "StreamingClipCutter",
    "VideoFailure",
    "VideoResult",
    "VideoScan",
    "read_face_clips",
]
