"""Test images and frame sequences built from real photographs that installed packages ship.

No file is committed and nothing is downloaded: the photos come from InsightFace
(`insightface/data/images/t1.jpg`, six people round a table, 1280x886, and a 112x112 face
close-up) and scikit-image (NASA's astronaut portrait, 512x512, and 100 LFW face crops of
25x25 px). Ground-truth boxes were set by hand on the full-size photos, starting from MTCNN's
boxes, and checked by eye on drawn overlays.

Everything returns RGB uint8 arrays and float32 xyxy boxes in pixels of the returned image.
Variants (`rescale`, `rotate`, `darken`, `blur`, `crop`) are pure functions, and the sequence
builders (`pan`, `zoom`, `crossing`) return frames plus per-frame boxes and identities for the
tracker tests; no video is encoded here.

Importable from tests and benchmarks: `from tests.faces_media import group_photo, ...`. The
stand-in SCRFD graph (`write_fake_scrfd`) lives in `tests.fake_scrfd` and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from tests.fake_scrfd import FAKE_SCRFD_KPS as FAKE_SCRFD_KPS  # re-exported
from tests.fake_scrfd import write_fake_scrfd as write_fake_scrfd  # re-exported

# Faces in t1.jpg (1280x886), left to right: x1, y1, x2, y2.
GROUP_FACES = np.array(
    [
        [56, 266, 162, 396],  # woman at the left, cards in hand
        [266, 146, 368, 266],  # woman standing behind
        [464, 262, 572, 404],  # man in the grey shirt
        [738, 340, 846, 474],  # man in the red shirt
        [904, 58, 1012, 200],  # man standing at the right
        [1130, 274, 1226, 396],  # woman at the right
    ],
    np.float32,
)
ASTRONAUT_FACE = np.array([[174, 68, 276, 188]], np.float32)  # in the 512x512 portrait
# The 112x112 crop: a close-up filling the frame (eyes near (37, 50) and (72, 50)).
CROP_FACE = np.array([[6, 2, 88, 112]], np.float32)


@dataclass(frozen=True)
class FaceImage:
    """An RGB image and the faces in it.

    Attributes:
        image: (H, W, 3) uint8 RGB.
        boxes: (N, 4) float32 xyxy ground truth.
        name: what it is, for test ids and benchmark rows.
    """

    image: np.ndarray
    boxes: np.ndarray
    name: str

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


@dataclass(frozen=True)
class FaceClip:
    """Frames with the faces in each.

    Attributes:
        frames: list of (H, W, 3) uint8 RGB frames, all the same size.
        boxes: per frame, (N_t, 4) float32 xyxy of the faces at least `min_visible` in frame.
        ids: per frame, (N_t,) int64 identity of each box (stable across frames).
        name: what it is.
    """

    frames: list[np.ndarray]
    boxes: list[np.ndarray]
    ids: list[np.ndarray]
    name: str


def _insightface_images() -> Path:
    """InsightFace's sample photos, found without importing InsightFace."""
    import importlib.util

    spec = importlib.util.find_spec("insightface")
    assert spec is not None and spec.submodule_search_locations, "insightface is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "images"


def _read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {path}"
    return np.ascontiguousarray(image[:, :, ::-1])


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    shrink = width < image.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)


# ---------------------------------------------------------------- photos with faces


def group_photo(width: int = 640) -> FaceImage:
    """InsightFace's group photo (six faces), resized to `width` (faces ~ width / 12 px)."""
    full = _read_rgb(_insightface_images() / "t1.jpg")
    fi = FaceImage(full, GROUP_FACES.copy(), "group")
    return rescale(fi, width / full.shape[1]) if width != full.shape[1] else fi


def astronaut(size: int = 512) -> FaceImage:
    """scikit-image's astronaut portrait (one face in the upper middle), `size` square."""
    from skimage import data

    fi = FaceImage(np.ascontiguousarray(data.astronaut()), ASTRONAUT_FACE.copy(), "astronaut")
    return rescale(fi, size / 512) if size != 512 else fi


def face_crop(pad: float = 0.0, value: int = 128) -> FaceImage:
    """InsightFace's 112x112 face close-up, with a plain border `pad` x 112 px wide."""
    image = _read_rgb(_insightface_images() / "Tom_Hanks_54745.png")
    border = round(pad * image.shape[0])
    if border:
        image = cv2.copyMakeBorder(image, *[border] * 4, cv2.BORDER_CONSTANT, value=[value] * 3)
    return FaceImage(image, CROP_FACE + border, "face_crop")


def lfw_grid(start: int = 0, count: int = 25, cell: int = 75, gap: int = 45) -> FaceImage:
    """LFW face crops `start`..`start+count` (of 100; grey, 25 px, tight round the face), each
    upscaled to `cell` px, on a mid-grey square grid with `gap` px between them."""
    from skimage import data

    faces = data.lfw_subset()[:100][start : start + count]
    per_row = int(np.ceil(np.sqrt(len(faces))))
    side = per_row * (cell + gap) + gap
    canvas = np.full((side, side), 128, np.uint8)
    boxes = []
    for k, face in enumerate(faces):
        y, x = gap + (k // per_row) * (cell + gap), gap + (k % per_row) * (cell + gap)
        canvas[y : y + cell, x : x + cell] = _resize(
            (face * 255).round().astype(np.uint8), cell, cell
        )
        boxes.append([x, y, x + cell, y + cell])
    rgb = np.ascontiguousarray(np.repeat(canvas[:, :, None], 3, axis=2))
    return FaceImage(rgb, np.asarray(boxes, np.float32), f"lfw{start}-{start + len(faces)}")


# ---------------------------------------------------------------- images without faces


def blank(height: int = 480, width: int = 640, value: int = 128) -> np.ndarray:
    """A flat grey frame."""
    return np.full((height, width, 3), value, np.uint8)


def noise(height: int = 480, width: int = 640, seed: int = 0) -> np.ndarray:
    """Uniform RGB noise, smoothed a little so it has edges at several scales."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, 3), np.uint8)
    return cv2.GaussianBlur(image, (0, 0), 1.0)


def no_face_photos() -> dict[str, np.ndarray]:
    """Real photos without a face: InsightFace's four face-mask pictures and scikit-image's
    coffee cup, cat, rocket, bricks and motorcycle."""
    from skimage import data

    photos = {
        name: _read_rgb(_insightface_images() / f"mask_{name}.jpg")
        for name in ("black", "blue", "green", "white")
    }
    photos["coffee"] = data.coffee()
    photos["chelsea_cat"] = data.chelsea()
    photos["rocket"] = data.rocket()
    photos["motorcycle"] = data.stereo_motorcycle()[0]
    photos["brick"] = np.repeat(data.brick()[:, :, None], 3, axis=2)
    return {name: np.ascontiguousarray(image) for name, image in photos.items()}


# ---------------------------------------------------------------- harder variants


def rescale(fi: FaceImage, factor: float) -> FaceImage:
    """Resize by `factor` (area filter when shrinking)."""
    width, height = round(fi.width * factor), round(fi.height * factor)
    sx, sy = width / fi.width, height / fi.height
    boxes = fi.boxes * np.array([sx, sy, sx, sy], np.float32)
    return replace(fi, image=_resize(fi.image, width, height), boxes=boxes)


def rotate(fi: FaceImage, degrees: float) -> FaceImage:
    """Rotate counter-clockwise about the centre, same size, black corners. Each face box
    keeps its size and moves with its centre (an upright box round the turned face)."""
    centre = ((fi.width - 1) / 2, (fi.height - 1) / 2)
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    image = cv2.warpAffine(fi.image, matrix, (fi.width, fi.height), flags=cv2.INTER_LINEAR)
    centres = (fi.boxes[:, :2] + fi.boxes[:, 2:]) / 2
    moved = np.hstack([centres, np.ones((len(centres), 1))]) @ matrix.T
    half = (fi.boxes[:, 2:] - fi.boxes[:, :2]) / 2
    boxes = np.hstack([moved - half, moved + half]).astype(np.float32)
    return replace(fi, image=image, boxes=boxes)


def darken(fi: FaceImage, factor: float = 0.3) -> FaceImage:
    """Scale brightness by `factor` (an underexposed shot)."""
    image = (fi.image.astype(np.float32) * factor).round().clip(0, 255).astype(np.uint8)
    return replace(fi, image=image)


def blur(fi: FaceImage, sigma: float = 2.5) -> FaceImage:
    """Gaussian blur (out of focus, or motion-free camera shake)."""
    return replace(fi, image=cv2.GaussianBlur(fi.image, (0, 0), sigma))


def crop(fi: FaceImage, x0: int, y0: int, x1: int, y1: int, min_visible: float = 0.5) -> FaceImage:
    """Cut out [x0, x1) x [y0, y1); faces cut by the border are kept (clipped) when at least
    `min_visible` of their area is left."""
    boxes = fi.boxes - np.array([x0, y0, x0, y0], np.float32)
    clipped = boxes.copy()
    clipped[:, 0::2] = clipped[:, 0::2].clip(0, x1 - x0)
    clipped[:, 1::2] = clipped[:, 1::2].clip(0, y1 - y0)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    left = np.prod(clipped[:, 2:] - clipped[:, :2], axis=1)
    keep = left >= min_visible * area
    image = np.ascontiguousarray(fi.image[y0:y1, x0:x1])
    return replace(fi, image=image, boxes=clipped[keep])


# ---------------------------------------------------------------- frame sequences


def pan(
    fi: FaceImage,
    width: int,
    height: int,
    frames: int,
    step: tuple[float, float] = (4, 0),
    start: tuple[float, float] = (0, 0),
    min_visible: float = 0.5,
) -> FaceClip:
    """A camera pan: a `width` x `height` window moving by `step` px per frame over the photo,
    starting at `start` (sub-pixel positions are interpolated). Faces keep their index in
    `fi.boxes` as identity."""
    out_frames, out_boxes, out_ids = [], [], []
    for t in range(frames):
        x, y = start[0] + step[0] * t, start[1] + step[1] * t
        matrix = np.array([[1, 0, -x], [0, 1, -y]], np.float64)
        out_frames.append(
            cv2.warpAffine(
                fi.image,
                matrix,
                (width, height),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            )
        )
        boxes, ids = _visible(
            fi.boxes - np.array([x, y, x, y], np.float32), width, height, min_visible
        )
        out_boxes.append(boxes)
        out_ids.append(ids)
    return FaceClip(out_frames, out_boxes, out_ids, f"{fi.name}-pan")


def zoom(
    fi: FaceImage,
    frames: int,
    end_scale: float = 2.0,
    centre: tuple[float, float] | None = None,
    min_visible: float = 0.5,
) -> FaceClip:
    """A zoom into `centre` (default: the image centre) from 1x to `end_scale`, same frame size."""
    cx, cy = centre if centre is not None else (fi.width / 2, fi.height / 2)
    out_frames, out_boxes, out_ids = [], [], []
    for t in range(frames):
        s = 1.0 + (end_scale - 1.0) * t / max(frames - 1, 1)
        # output = s * (input - centre) + frame centre
        tx, ty = fi.width / 2 - s * cx, fi.height / 2 - s * cy
        matrix = np.array([[s, 0, tx], [0, s, ty]], np.float64)
        out_frames.append(
            cv2.warpAffine(
                fi.image,
                matrix,
                (fi.width, fi.height),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT,
            )
        )
        boxes = fi.boxes * s + np.array([tx, ty, tx, ty], np.float32)
        boxes, ids = _visible(boxes.astype(np.float32), fi.width, fi.height, min_visible)
        out_boxes.append(boxes)
        out_ids.append(ids)
    return FaceClip(out_frames, out_boxes, out_ids, f"{fi.name}-zoom")


def crossing(
    frames: int = 24,
    width: int = 640,
    height: int = 360,
    face: int = 120,
    background: np.ndarray | None = None,
) -> FaceClip:
    """Two real faces crossing: the astronaut's moves left to right in front, the group photo's
    standing man (identity 1) right to left behind her; they overlap mid-clip, where the face
    behind is hidden and leaves the ground truth while less than half of it shows.

    Identity 0 is the astronaut, 1 the man. Faces are square patches of `face` px, cut with a
    margin round the hand-drawn boxes so a detector sees forehead and chin.
    """
    if background is None:
        background = cv2.GaussianBlur(noise(height, width, seed=1), (0, 0), 6)
    patches = [_face_patch(astronaut(), 0, face), _face_patch(group_photo(1280), 4, face)]
    inner = [p[1] for p in patches]
    y = (height - face) // 2
    out_frames, out_boxes, out_ids = [], [], []
    for t in range(frames):
        a = t / max(frames - 1, 1)
        xs = [round(a * (width - face)), round((1 - a) * (width - face))]
        frame = background.copy()
        for k in (1, 0):  # the man first, the astronaut over him
            frame[y : y + face, xs[k] : xs[k] + face] = patches[k][0]
        boxes, ids = [], []
        for k in (0, 1):
            box = inner[k] + np.array([xs[k], y, xs[k], y], np.float32)
            hidden = 0.0
            if k == 1:  # share of the man's face box under the astronaut's patch
                front = np.array([xs[0], y, xs[0] + face, y + face], np.float32)
                w = max(0.0, min(box[2], front[2]) - max(box[0], front[0]))
                h = max(0.0, min(box[3], front[3]) - max(box[1], front[1]))
                hidden = w * h / float(np.prod(box[2:] - box[:2]))
            if hidden <= 0.5:
                boxes.append(box)
                ids.append(k)
        out_frames.append(frame)
        out_boxes.append(np.asarray(boxes, np.float32).reshape(-1, 4))
        out_ids.append(np.asarray(ids, np.int64))
    return FaceClip(out_frames, out_boxes, out_ids, "crossing")


def _face_patch(fi: FaceImage, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A square cut round face `index` (box side x 1.6), resized to `size`; and the face box
    inside that patch."""
    x1, y1, x2, y2 = fi.boxes[index]
    side = 1.6 * max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left, top = round(cx - side / 2), round(cy - side / 2)
    side_px = round(side)
    padded = cv2.copyMakeBorder(fi.image, side_px, side_px, side_px, side_px, cv2.BORDER_REFLECT)
    cut = padded[top + side_px : top + 2 * side_px, left + side_px : left + 2 * side_px]
    scale = size / side_px
    box = (np.array([x1 - left, y1 - top, x2 - left, y2 - top]) * scale).astype(np.float32)
    return _resize(cut, size, size), box


def _visible(
    boxes: np.ndarray, width: int, height: int, min_visible: float
) -> tuple[np.ndarray, np.ndarray]:
    """Clip boxes to the frame; keep those with at least `min_visible` of their area inside."""
    clipped = boxes.copy()
    clipped[:, 0::2] = clipped[:, 0::2].clip(0, width)
    clipped[:, 1::2] = clipped[:, 1::2].clip(0, height)
    area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    left = np.prod(np.clip(clipped[:, 2:] - clipped[:, :2], 0, None), axis=1)
    ids = np.flatnonzero(left >= min_visible * area)
    return clipped[ids].astype(np.float32), ids.astype(np.int64)
