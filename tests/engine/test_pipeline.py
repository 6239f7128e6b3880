"""The pipeline end to end on real video files, real faces, the offline detector and the tiny
golden S2D: decode once, tracks that keep their ids, clips, batches, order, failures, shutdown."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import engine.video
from s2dcli.clips import ClipConfig
from s2dcli.faces import create_detector
from s2dcli.models import S2DConfig, load_landmarks, load_s2d
from s2dcli.pipeline import face_clips as face_clips_module
from s2dcli.pipeline.classify import Classifier
from s2dcli.pipeline.face_clips import FaceClipOptions
from s2dcli.pipeline.run import DetectorPool, Pipeline, PipelineOptions
from tests import faces_media as fm
from tests.engine.videos import write_frames, write_video
from tests.unit.test_faces_tracker import assert_no_swaps

FPS = 25
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def classifier(golden_dir: Path) -> Classifier:
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    model = load_s2d(golden_dir / "tinyA_s2d.pth", config)
    return Classifier(
        model, load_landmarks(golden_dir / "tinyA_landmark.pth.tar"), torch.device("cpu")
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("media")
    crossing = fm.crossing(frames=90, width=480, height=240, face=100)
    pan = fm.pan(fm.group_photo(960), 480, 272, frames=60, step=(3.0, 1.0))
    return {
        "crossing": crossing,
        "crossing.mp4": write_frames(root / "crossing.mp4", crossing.frames, fps=FPS),
        "pan.mp4": write_frames(root / "pan.mp4", pan.frames, fps=FPS),
        "blank.mp4": write_frames(root / "blank.mp4", [fm.blank(240, 320)] * 30, fps=FPS),
        "text.mp4": _text(root / "text.mp4"),
        "empty.mp4": _empty(root / "empty.mp4"),
    }


def _text(path: Path) -> Path:
    path.write_text("this is not a video\n")
    return path


def _empty(path: Path) -> Path:
    path.touch()
    return path


def make_pipeline(
    classifier: Classifier,
    *,
    batch_size: int = 8,
    workers: int = 2,
    whole_frame: bool = False,
    pad: bool | None = None,
) -> Pipeline:
    options = FaceClipOptions(
        clips=ClipConfig(num_frames=classifier.num_frames),
        crop_size=classifier.size,
        detect_every=3,
        whole_frame=whole_frame,
    )
    pool = (
        None
        if whole_frame
        else DetectorPool(lambda: create_detector("mtcnn", min_face=20, threads=1))
    )
    return Pipeline(
        classifier,
        pool,
        options,
        PipelineOptions(batch_size=batch_size, workers=workers, pad_batches=pad),
    )


def flatten(results) -> list[tuple]:
    return [(r.path.name, r.status, c.spec, c.probs.tobytes()) for r in results for c in r.clips]


def test_crossing_faces_are_tracked_clipped_and_classified(classifier, media):
    (result,) = make_pipeline(classifier).run([media["crossing.mp4"]])
    assert result.status == "ok" and result.error is None
    tracks = result.scan.tracks
    assert [t.face_id for t in tracks] == [0, 1]
    assert assert_no_swaps(tracks, media["crossing"]) == {0: 0, 1: 1}  # ids never swap
    # 90 frames at 25 fps = 3.6 s: windows at 0, 1 s and one aligned to the end, per face
    for face in (0, 1):
        specs = [c.spec for c in result.clips if c.spec.face_id == face]
        assert [s.clip_index for s in specs] == list(range(len(specs)))
        assert len(specs) >= 2
        assert all(len(s.positions) == classifier.num_frames for s in specs)
    for clip in result.clips:
        assert clip.probs.shape == (7,) and abs(float(clip.probs.sum()) - 1) < 1e-5
    assert result.scan.frames == 90


def test_each_frame_is_decoded_once(classifier, media, monkeypatch):
    opened: list[Path] = []
    real_open = engine.video.open_video

    def counting_open(path, *args, **kwargs):
        opened.append(Path(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(face_clips_module, "open_video", counting_open)
    results = list(make_pipeline(classifier).run([media["crossing.mp4"], media["pan.mp4"]]))
    assert opened == [media["crossing.mp4"], media["pan.mp4"]]
    assert [r.scan.frames for r in results] == [90, 60]


def test_same_outputs_in_the_same_order_whatever_the_batching(classifier, media):
    videos = [media["crossing.mp4"], media["blank.mp4"], media["pan.mp4"]]
    first = flatten(make_pipeline(classifier, batch_size=3, workers=1).run(videos))
    second = flatten(make_pipeline(classifier, batch_size=8, workers=3, pad=True).run(videos))
    # a clip's scores do not depend on the clips batched with it (what --resume relies on)
    alone = flatten(make_pipeline(classifier, batch_size=1).run(videos[2:]))
    assert first == second
    assert [row for row in first if row[0] == "pan.mp4"] == alone
    assert len(first) > 6


def test_bad_files_fail_alone_with_their_reason(classifier, media):
    videos = [media["text.mp4"], media["crossing.mp4"], media["empty.mp4"], media["blank.mp4"]]
    results = list(make_pipeline(classifier).run(videos))
    assert [r.path for r in results] == videos
    assert [r.status for r in results] == ["failed", "ok", "failed", "no_face"]
    assert "not a readable video" in results[0].error
    assert "empty" in results[2].error
    assert results[3].scan.tracks == [] and results[3].clips == []


def test_whole_frame_mode_is_one_face_centre_cropped(classifier, tmp_path):
    made = write_video(tmp_path / "crops.mp4", 75, height=48, width=64, fps=FPS)
    (result,) = make_pipeline(classifier, whole_frame=True).run([made.path])
    assert result.status == "ok"
    specs = [c.spec for c in result.clips]
    assert [(s.face_id, s.clip_index, s.start_s, s.end_s) for s in specs] == [
        (0, 0, 0.0, 2.0),
        (0, 1, 1.0, 3.0),
    ]
    assert specs[0].box == (8.0, 0.0, 48.0, 48.0)  # the centre square


def _pipeline_threads() -> list[str]:
    return [
        t.name
        for t in threading.enumerate()
        if t.name == "collate" or t.name.endswith(".mp4") or t.name.startswith("s2d-")
    ]


def test_stopping_early_leaves_no_thread(classifier, media):
    videos = [media["crossing.mp4"], media["pan.mp4"], media["crossing.mp4"]] * 2
    for result in make_pipeline(classifier, batch_size=2).run(videos):
        assert result.status == "ok"
        break
    deadline = time.monotonic() + 2.0
    while _pipeline_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pipeline_threads() == []


def test_ctrl_c_stops_within_two_seconds(media, golden_dir, tmp_path):
    script = textwrap.dedent(f"""
        import sys, torch
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.engine.test_pipeline import Classifier, make_pipeline
        from s2dcli.models import S2DConfig, load_landmarks, load_s2d
        g = Path({str(golden_dir)!r})
        config = S2DConfig.from_json(g / "tinyA_config.json")
        clf = Classifier(load_s2d(g / "tinyA_s2d.pth", config),
                         load_landmarks(g / "tinyA_landmark.pth.tar"), torch.device("cpu"))
        videos = [Path({str(media["pan.mp4"])!r})] * 200
        for r in make_pipeline(clf, batch_size=2).run(videos):
            print("video", flush=True)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "video"  # well into the run
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    elapsed = time.monotonic() - sent
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in proc.stderr.read()
    assert elapsed < 2.0, elapsed


@pytest.mark.slow
def test_compiled_model_gives_the_same_scores(golden_dir, media):
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    landmarks = load_landmarks(golden_dir / "tinyA_landmark.pth.tar")
    eager = Classifier(
        load_s2d(golden_dir / "tinyA_s2d.pth", config), landmarks, torch.device("cpu")
    )
    compiled = Classifier(
        load_s2d(golden_dir / "tinyA_s2d.pth", config), landmarks, torch.device("cpu"), compile=True
    )
    clips = torch.randint(0, 256, (3, *eager.clip_shape), dtype=torch.uint8)
    np.testing.assert_allclose(compiled(clips).probs, eager(clips).probs, atol=1e-5)
