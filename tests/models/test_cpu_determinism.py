"""A clip's CPU scores depend on the clip alone: not on the torch thread count, not on the
clips batched with it. Ray workers run with fewer threads than a local run and batch only
their own video's clips, and their output must be byte-identical to the local executor's."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from s2dcli.models import LandmarkNet, S2DConfig, create_model, load_landmarks, load_s2d
from s2dcli.pipeline.classify import Classifier


@pytest.fixture
def restore_threads() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def random_landmarks() -> LandmarkNet:
    torch.manual_seed(0)
    net = LandmarkNet()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so that every layer matters
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2.0)
    return net.eval()


@pytest.mark.parametrize("size", [(224, 224), (120, 200), (56, 56)])
def test_resize_is_the_release_interpolation_whatever_the_threads(size, restore_threads):
    frames = torch.randn(24, 3, *size, generator=torch.Generator().manual_seed(1))
    release = F.interpolate(frames, size=(112, 112), mode="bilinear", align_corners=True)
    outputs = []
    for threads in (1, 2, 3):
        torch.set_num_threads(threads)
        outputs.append(LandmarkNet.resize(frames))
    torch.testing.assert_close(outputs[0], release, rtol=0, atol=1e-6)
    assert all(torch.equal(outputs[0], out) for out in outputs[1:])
    assert torch.equal(LandmarkNet.resize(frames[5:7]), outputs[0][5:7])


@torch.inference_mode()
def test_landmark_features_do_not_depend_on_threads_or_batch(restore_threads):
    net = random_landmarks()
    frames = torch.randn(48, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    torch.set_num_threads(2)
    reference = net(frames)
    torch.set_num_threads(1)
    assert torch.equal(net(frames), reference)
    assert torch.equal(net(frames[16:48]), reference[16:48])  # two 16-frame clips of three


@pytest.mark.slow
def test_full_size_scores_do_not_depend_on_threads_or_batch(restore_threads):
    torch.manual_seed(0)
    classifier = Classifier(
        create_model("s2d_base_patch16_224", num_classes=7), random_landmarks(), torch.device("cpu")
    )
    clips = torch.randint(
        0, 256, (3, 16, 224, 224, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1)
    )

    def logits(threads: int, batch: int) -> torch.Tensor:
        torch.set_num_threads(threads)
        parts = [classifier(clips[lo : lo + batch]).logits for lo in range(0, len(clips), batch)]
        return torch.cat([torch.from_numpy(p) for p in parts])

    reference = logits(2, 3)
    assert torch.equal(logits(1, 1), reference)
    assert torch.equal(logits(2, 2), reference)


@pytest.mark.parametrize("name", ["tinyA", "tinyB"])
def test_tiny_scores_do_not_depend_on_threads_or_batch(name, golden_dir, restore_threads):
    # 4-frame clips, 8 frames a call: in the default (NCHW) layout, oneDNN's 1x1 convolutions
    # over so few frames split their sums between threads; channels-last ones do not.
    config = S2DConfig.from_json(golden_dir / f"{name}_config.json")
    classifier = Classifier(
        load_s2d(golden_dir / f"{name}_s2d.pth", config),
        load_landmarks(golden_dir / f"{name}_landmark.pth.tar"),
        torch.device("cpu"),
    )
    clips = torch.randint(
        0,
        256,
        (5, *classifier.clip_shape),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(3),
    )

    def logits(threads: int, batch: int) -> np.ndarray:
        torch.set_num_threads(threads)
        return np.concatenate(
            [classifier(clips[lo : lo + batch]).logits for lo in range(0, len(clips), batch)]
        )

    reference = logits(2, 5)
    for threads, batch in [(1, 1), (1, 2), (2, 1), (2, 3), (3, 5)]:
        np.testing.assert_array_equal(
            logits(threads, batch), reference, err_msg=f"{threads} threads, batch {batch}"
        )


def test_inference_adds_in_place_with_the_same_result_as_training(golden_dir):
    config = S2DConfig.from_json(golden_dir / "tinyA_config.json")
    model = load_s2d(golden_dir / "tinyA_s2d.pth", config).eval()
    frames = torch.randn(
        2 * config.num_frames,
        3,
        config.img_size,
        config.img_size,
        generator=torch.Generator().manual_seed(4),
    )
    features = load_landmarks(golden_dir / "tinyA_landmark.pth.tar")(frames)
    with torch.enable_grad():
        training = model.forward_features(frames, features)
    with torch.inference_mode():
        inference = model.forward_features(frames, features)
    assert training.requires_grad
    assert torch.equal(training.detach(), inference)
