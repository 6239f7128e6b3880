"""Face detection: InsightFace's SCRFD, an offline MTCNN, or the whole frame as one face.

numpy + ONNX Runtime only (no torch). Start with `create_detector`:

    from s2dcli.faces import create_detector

    with create_detector("auto", min_face=32) as detector:
        dets = detector.detect(rgb_uint8_image)   # Detections: boxes, scores, landmarks
"""

from __future__ import annotations

from s2dcli.faces.base import BaseDetector
from s2dcli.faces.boxes import box_iou, nms
from s2dcli.faces.factory import OFFLINE_DETECTOR, SPECS, create_detector
from s2dcli.faces.mtcnn import MtcnnDetector
from s2dcli.faces.packs import DEFAULT_PACK, KNOWN_PACKS, insightface_root
from s2dcli.faces.scrfd import ScrfdDetector
from s2dcli.faces.tracker import FaceTracker, TrackerConfig, track_faces
from s2dcli.faces.types import Detections, FaceDetector
from s2dcli.faces.whole_frame import (
    WHOLE_FRAME,
    WholeFrameDetector,
    crop_whole_frame,
    is_whole_frame,
    whole_frame_box,
)

__all__ = [
    "DEFAULT_PACK",
    "KNOWN_PACKS",
    "OFFLINE_DETECTOR",
    "SPECS",
    "WHOLE_FRAME",
    "BaseDetector",
    "Detections",
    "FaceDetector",
    "FaceTracker",
    "MtcnnDetector",
    "ScrfdDetector",
    "TrackerConfig",
    "WholeFrameDetector",
    "box_iou",
    "create_detector",
    "crop_whole_frame",
    "insightface_root",
    "is_whole_frame",
    "nms",
    "track_faces",
    "whole_frame_box",
]
