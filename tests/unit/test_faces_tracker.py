"""The face tracker: synthetic boxes for the rules, MTCNN on real-photo sequences for the rest."""

from __future__ import annotations

import numpy as np
import pytest

from s2dcli.clips import TrackFrames
from s2dcli.faces import Detections, box_iou, create_detector
from s2dcli.faces.tracker import FaceTracker, TrackerConfig, track_faces
from tests import faces_media as fm

FPS = 25.0


def dets(*boxes: tuple[float, float, float, float], score: float = 0.9) -> Detections:
    """Detections with xyxy `boxes`, all scored `score`."""
    arr = np.asarray(boxes, np.float32).reshape(-1, 4)
    return Detections(arr, np.full(len(arr), score, np.float32))


def square(cx: float, cy: float, side: float) -> tuple[float, float, float, float]:
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def xyxy(track: TrackFrames) -> np.ndarray:
    """(N, 4) xyxy boxes of a track."""
    return np.concatenate([track.boxes[:, :2], track.boxes[:, :2] + track.boxes[:, 2:]], axis=1)


def crossing_observations(frames: int = 40, every: int = 2, hide: range = range(0)):
    """Face A (60 px) moves right at y=100, face B (50 px) left at y=120; they overlap mid-way.
    B is not detected on the frames in `hide`. Detections are listed B first, then A."""
    out = []
    for f in range(0, frames, every):
        ax, bx = 50 + 10 * f, 450 - 10 * f
        boxes = [] if f in hide else [square(bx, 120, 50)]
        boxes.append(square(ax, 100, 60))
        out.append((f, f / FPS, dets(*boxes)))
    return out


def test_crossing_faces_keep_their_ids():
    tracks = track_faces(crossing_observations())
    assert len(tracks) == 2
    a, b = tracks  # same first frame: A is further left, so it is face 0
    assert (a.face_id, b.face_id) == (0, 1)
    assert np.all(np.diff(a.boxes[:, 0]) > 0) and np.all(np.diff(b.boxes[:, 0]) < 0)
    np.testing.assert_allclose(a.boxes[:, 2], 60) and np.testing.assert_allclose(b.boxes[:, 2], 50)


def test_hidden_face_keeps_its_id_behind_the_other():
    tracks = track_faces(crossing_observations(hide=range(16, 26)))
    assert len(tracks) == 2
    b = tracks[1]
    assert np.all(np.diff(b.boxes[:, 0]) < 0)  # moved left all along, filled while hidden
    assert np.isnan(b.scores[b.frame_indices == 20]).all()
    np.testing.assert_allclose(b.boxes[b.frame_indices == 20, 0], 450 - 200 - 25, atol=1e-3)


def test_face_gone_longer_than_the_gap_gets_a_new_id():
    cfg = TrackerConfig(max_gap_seconds=0.5)
    obs = [(f, f / FPS, dets(square(100, 100, 60))) for f in range(0, 20)]
    obs += [(f, f / FPS, Detections.empty()) for f in range(20, 40)]  # 0.8 s without it
    obs += [(f, f / FPS, dets(square(100, 100, 60))) for f in range(40, 60)]
    tracks = track_faces(obs, cfg)
    assert [t.face_id for t in tracks] == [0, 1]
    assert tracks[0].frame_indices[-1] == 19 and tracks[1].frame_indices[0] == 40
    # a shorter gap is bridged
    assert len(track_faces(obs, TrackerConfig(max_gap_seconds=1.0))) == 1


def test_flicker_and_small_faces_are_dropped_and_ids_have_no_gaps():
    obs = []
    for f in range(30):
        boxes = [square(300, 100, 60), square(500, 300, 12)]  # a 12 px face: below min_face
        if f in (5, 6):
            boxes.append(square(50, 50, 40))  # a two-frame flicker, before the late face
        if f >= 10:
            boxes.append(square(100, 300, 40))
        obs.append((f, f / FPS, dets(*boxes)))
    tracks = track_faces(obs, TrackerConfig(min_face=20, min_track_seconds=0.2))
    assert [t.face_id for t in tracks] == [0, 1]
    assert tracks[0].frame_indices[0] == 0 and tracks[1].frame_indices[0] == 10
    assert tracks[1].boxes[0, 0] == pytest.approx(80)


def test_ids_follow_first_appearance_then_left_to_right():
    obs = [
        (
            f,
            f / FPS,
            dets(
                *[square(x, 100, 40) for x in (400, 100)]
                + ([square(250, 300, 40)] if f >= 4 else [])
            ),
        )
        for f in range(0, 30, 2)
    ]
    tracks = track_faces(obs)
    firsts = [(int(t.frame_indices[0]), float(t.boxes[0, 0])) for t in tracks]
    assert firsts == [(0, 80.0), (0, 380.0), (4, 230.0)]


def test_filled_frames_are_interpolated_with_nan_scores_and_true_times():
    obs = [(f, f / FPS, dets(square(100 + 3 * f, 100, 40 + f))) for f in range(0, 31, 3)]
    frame_times = np.arange(31) / FPS + 0.5  # a stream that starts at 0.5 s
    (track,) = track_faces(obs, frame_times=frame_times)
    np.testing.assert_array_equal(track.frame_indices, np.arange(31))
    assert track.boxes.dtype == np.float32 and track.times_s.dtype == np.float64
    detected = track.frame_indices % 3 == 0
    assert np.isnan(track.scores[~detected]).all() and (track.scores[detected] == 0.9).all()
    f = track.frame_indices.astype(np.float64)
    side = 40 + f
    np.testing.assert_allclose(
        track.boxes, np.stack([100 + 3 * f - side / 2, 100 - side / 2, side, side], 1), atol=1e-4
    )
    np.testing.assert_allclose(track.times_s, frame_times)
    (untimed,) = track_faces(obs)
    np.testing.assert_allclose(untimed.times_s, f / FPS)


def test_deterministic_and_checks_order():
    obs = crossing_observations(hide=range(16, 26))
    one, two = track_faces(obs), track_faces(obs)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.boxes, b.boxes)
        np.testing.assert_array_equal(a.frame_indices, b.frame_indices)
    tracker = FaceTracker()
    tracker.update(5, 0.2, Detections.empty())
    with pytest.raises(ValueError, match="increasing"):
        tracker.update(5, 0.3, Detections.empty())
    with pytest.raises(ValueError):
        TrackerConfig(iou_threshold=1.5)


# ---------------------------------------------------------------- real faces (MTCNN)


@pytest.fixture(scope="module")
def mtcnn():
    with create_detector("mtcnn", min_face=20, threads=1) as detector:
        yield detector


def run_clip(detector, clip: fm.FaceClip, every: int) -> list[TrackFrames]:
    obs = [(f, f / FPS, detector.detect(clip.frames[f])) for f in range(0, len(clip.frames), every)]
    return track_faces(obs, TrackerConfig(min_face=20, min_track_seconds=0.3))


def assert_no_swaps(tracks: list[TrackFrames], clip: fm.FaceClip) -> dict[int, int]:
    """Each track stays on one ground-truth face: wherever that face is in the ground truth, the
    track's box overlaps it more than any other face. Returns track id -> ground-truth id."""
    owner = {}
    for track in tracks:
        votes = []
        for f, box in zip(track.frame_indices, xyxy(track), strict=True):
            iou = box_iou(box[None], clip.boxes[f])[0]
            if iou.size and iou.max() > 0.3:
                votes.append(int(clip.ids[f][iou.argmax()]))
        assert votes, f"track {track.face_id} never on a face"
        gt = max(set(votes), key=votes.count)
        for f, box in zip(track.frame_indices, xyxy(track), strict=True):
            where = np.flatnonzero(clip.ids[f] == gt)
            if not where.size:  # hidden or out of frame
                continue
            iou = box_iou(box[None], clip.boxes[f])[0]
            assert iou[where[0]] > 0.3 and iou.argmax() == where[0], (track.face_id, f, iou)
        owner[track.face_id] = gt
    assert len(set(owner.values())) == len(owner), owner  # one track per person
    return owner


def people(clip: fm.FaceClip) -> set[int]:
    return {int(i) for ids in clip.ids for i in ids}


def test_real_crossing(mtcnn):
    clip = fm.crossing(frames=24, width=480, height=240, face=100)
    tracks = run_clip(mtcnn, clip, every=2)
    assert len(tracks) == len(people(clip)) == 2
    assert assert_no_swaps(tracks, clip) == {0: 0, 1: 1}  # the astronaut starts on the left


def test_real_pan(mtcnn):
    clip = fm.pan(fm.group_photo(480), 440, 300, frames=24, step=(1.0, 0.8))
    tracks = run_clip(mtcnn, clip, every=3)
    visible = {i for i in people(clip) if sum(i in ids for ids in clip.ids) >= 12}
    assert len(tracks) == len(visible)
    assert set(assert_no_swaps(tracks, clip).values()) == visible


def test_real_zoom(mtcnn):
    four = fm.crop(fm.group_photo(640), 100, 10, 540, 270)  # the middle four, 50-70 px
    clip = fm.zoom(four, frames=24, end_scale=1.3)
    tracks = run_clip(mtcnn, clip, every=3)
    visible = {i for i in people(clip) if sum(i in ids for ids in clip.ids) >= 12}
    assert len(tracks) == len(visible)
    assert set(assert_no_swaps(tracks, clip).values()) == visible


def test_fast_face_is_linked_from_its_second_detection():
    obs = [(f, f / FPS, dets(square(50 + 20 * f, 100, 40))) for f in range(0, 30, 2)]  # 40 px/step
    assert len(track_faces(obs)) == 1
    assert len(track_faces(obs, TrackerConfig(max_first_step=0))) == 0  # single-detection tracks
