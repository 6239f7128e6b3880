"""The weights registry: names, sources, class orders and name look-ups."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from s2dcli.errors import InputError
from s2dcli.weights import DEFAULT_MODEL, LABEL_SETS, REGISTRY, WeightsSpec, get_spec, parse_hf
from s2dcli.weights.registry import HF_FILES, HF_REPO

DFEW = ("Happy", "Sad", "Neutral", "Angry", "Surprise", "Disgust", "Fear")
FERV39K = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")
MAFW = (
    "Anger",
    "Anxiety",
    "Contempt",
    "Disappointment",
    "Disgust",
    "Fear",
    "Happiness",
    "Helplessness",
    "Neutral",
    "Sadness",
    "Surprise",
)
AFFECTNET7 = ("Neutral", "Happy", "Sad", "Surprise", "Fear", "Disgust", "Anger")


def test_registry_names():
    expected = (
        [f"dfew-fold{k}" for k in range(1, 6)]
        + ["ferv39k"]
        + [f"mafw-fold{k}" for k in range(1, 6)]
        + ["affectnet7-image", "landmarks"]
    )
    assert list(REGISTRY) == expected
    assert DEFAULT_MODEL == "dfew-fold1"
    assert DEFAULT_MODEL in REGISTRY


@pytest.mark.parametrize(("prefix", "classes"), [("dfew", DFEW), ("mafw", MAFW)])
def test_fold_class_orders(prefix, classes):
    for k in range(1, 6):
        spec = get_spec(f"{prefix}-fold{k}")
        assert spec.class_names == classes
        assert spec.kind == "video"
        assert spec.architecture == "s2d_base_patch16_224"


def test_class_orders_and_label_sets():
    assert get_spec("ferv39k").class_names == FERV39K
    assert LABEL_SETS == {"dfew": DFEW, "ferv39k": FERV39K, "mafw": MAFW}
    assert [len(v) for v in LABEL_SETS.values()] == [7, 7, 11]
    image = get_spec("affectnet7-image")
    assert (image.kind, image.class_names) == ("image", AFFECTNET7)


def test_sources_come_from_one_table():
    for name, spec in REGISTRY.items():
        if spec.kind == "landmarks":
            assert spec.source == (
                "https://github.com/MSA-LMC/S2D/raw/main/landmark/mobilefacenet_model_best.pth.tar"
            )
            continue
        repo_id, revision, path = parse_hf(spec.source)
        assert (repo_id, revision, path) == (HF_REPO, None, HF_FILES[name])
        assert spec.sha256 is None


def test_filename_and_flag():
    assert get_spec("dfew-fold3").filename == "fold3.pth"
    assert get_spec("dfew-fold3").flag == "--weights"
    landmarks = get_spec("landmarks")
    assert landmarks.filename == "mobilefacenet_model_best.pth.tar"
    assert landmarks.flag == "--landmark-weights"
    assert landmarks.class_names == ()


def test_spec_is_frozen():
    spec = get_spec("ferv39k")
    assert isinstance(spec, WeightsSpec)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "x"  # type: ignore[misc]


def test_get_spec_is_case_insensitive():
    assert get_spec(" DFEW-Fold2 ").name == "dfew-fold2"


def test_unknown_name_suggests_close_match_and_lists_names():
    with pytest.raises(InputError) as err:
        get_spec("dfew-fodl1")
    msg = str(err.value)
    assert "'dfew-fodl1'" in msg
    assert "Did you mean 'dfew-fold1'?" in msg
    assert "ferv39k" in msg and "landmarks" in msg
    assert "hf://owner/repo/path/in/repo" in msg


def test_unknown_name_without_close_match():
    with pytest.raises(InputError) as err:
        get_spec("zzzz")
    assert "Did you mean" not in str(err.value)


@pytest.mark.parametrize(
    ("source", "parsed"),
    [
        ("hf://cyinen/S2D/DFEW/fold1.pth", ("cyinen/S2D", None, "DFEW/fold1.pth")),
        ("hf://a/b@v1.0/x.pth", ("a/b", "v1.0", "x.pth")),
    ],
)
def test_parse_hf(source, parsed):
    assert parse_hf(source) == parsed


@pytest.mark.parametrize("bad", ["hf://cyinen/S2D", "hf://cyinen//x.pth", "hf://only"])
def test_parse_hf_rejects_bad_addresses(bad):
    with pytest.raises(InputError, match="hf://owner/repo/path/in/repo"):
        parse_hf(bad)


def test_weights_package_imports_neither_torch_nor_hub():
    code = (
        "import sys, s2dcli.weights, s2dcli.commands.models\n"
        "print([m for m in ('torch', 'huggingface_hub', 'numpy') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
