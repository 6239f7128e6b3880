"""Label files: the plain CSV forms, the datasets' published split files, the bad-row battery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from s2dcli.errors import InputError
from s2dcli.labels import LabelFileError, read_labels
from s2dcli.weights.registry import DFEW_CLASSES, FERV39K_CLASSES, MAFW_CLASSES

FORMATS = Path(__file__).resolve().parents[1] / "data" / "label-formats"


def touch_videos(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_plain_csv_with_names_ranges_and_faces(tmp_path):
    touch_videos(tmp_path, ["a.mp4", "sub/b c.mov"])
    (tmp_path / "labels.csv").write_text(
        "video,start_s,end_s,label,face_id\n"
        "a.mp4,0,2,Happy,0\n"
        "sub/b c.mov,1.5,3,sad,\n"
        "a,2,4,happy,1\n"
    )  # without the extension
    labels = read_labels(tmp_path / "labels.csv")
    assert labels.classes == ["Happy", "sad"] and labels.format == "csv"
    assert [(c.video.name, c.label, c.start_s, c.end_s, c.face_id) for c in labels.clips] == [
        ("a.mp4", 0, 0.0, 2.0, 0),
        ("b c.mov", 1, 1.5, 3.0, None),
        ("a.mp4", 0, 2.0, 4.0, 1),
    ]


def test_plain_csv_with_indices_and_given_classes(tmp_path):
    touch_videos(tmp_path / "videos", ["x.mp4", "y.mp4"])
    (tmp_path / "l.csv").write_text("video,label\nx.mp4,2\ny.mp4,neutral\n")
    labels = read_labels(tmp_path / "l.csv", tmp_path / "videos", ["angry", "happy", "neutral"])
    assert [c.label for c in labels.clips] == [2, 2]


def test_every_bad_row_is_listed_with_its_line(tmp_path):
    touch_videos(tmp_path, ["a.mp4", "b.mp4"])
    (tmp_path / "bad.csv").write_text(
        "video,start_s,end_s,label\n"
        "a.mp4,0,2,happy\n"
        "missing.mp4,0,2,happy\n"
        "a.mp4,3,1,happy\n"
        "b.mp4,0,2,joyful\n"
        "a.mp4,0,2,happy\n"
        "b.mp4,x,2,happy\n"
        "b.mp4,0,2\n"
    )
    with pytest.raises(LabelFileError) as info:
        read_labels(tmp_path / "bad.csv", classes=["happy", "sad"])
    problems = dict(info.value.problems)
    assert set(problems) == {3, 4, 5, 6, 7, 8}
    assert "no video 'missing.mp4'" in problems[3]
    assert "end_s 1 is not after start_s 3" in problems[4]
    assert "unknown label 'joyful'" in problems[5]
    assert "duplicate of line 2" in problems[6]
    assert "must be numbers" in problems[7]
    assert "expected 4 fields" in problems[8]
    assert "6 bad row(s); nothing was run" in str(info.value)


def test_dfew_split_in_dfew_order_with_its_numbering(tmp_path):
    shutil.copy(FORMATS / "dfew_test_set_1.csv", tmp_path)
    lines = (tmp_path / "dfew_test_set_1.csv").read_text().splitlines()[1:]
    touch_videos(tmp_path / "clips", [f"{line.split(',')[0]}.mp4" for line in lines])
    labels = read_labels(tmp_path / "dfew_test_set_1.csv", tmp_path / "clips")
    assert labels.format == "dfew" and labels.classes == list(DFEW_CLASSES)
    assert len(labels.clips) == len(lines)
    first = lines[0].split(",")
    assert labels.clips[0].video.name == f"{first[0]}.mp4"
    # the reference sample is numbered 0..6 (no 7): read as 0-based; documented 1..7 files
    # are 1-based
    assert labels.clips[0].label == int(first[1])
    (tmp_path / "one_based.csv").write_text(
        f"video_name,label\n{first[0]},7\n{lines[1].split(',')[0]},1\n"
    )
    one = read_labels(tmp_path / "one_based.csv", tmp_path / "clips")
    assert [DFEW_CLASSES[c.label] for c in one.clips] == ["Fear", "Happy"]


def test_ferv39k_and_mafw_splits(tmp_path):
    ferv = (FORMATS / "ferv39k_test_head.csv").read_text().splitlines()[1:]
    touch_videos(tmp_path, [f"{line.split(',')[0]}.mp4" for line in ferv])
    labels = read_labels(FORMATS / "ferv39k_test_head.csv", tmp_path)
    assert labels.classes == list(FERV39K_CLASSES)
    assert [FERV39K_CLASSES[c.label] for c in labels.clips][:2] == ["Happy", "Angry"]
    # FERV39K paths name their class: the mapping must agree with it
    for clip, line in zip(labels.clips, ferv, strict=True):
        assert FERV39K_CLASSES[clip.label] == line.split("/")[1]

    mafw = (FORMATS / "mafw_set_1_test_head.txt").read_text().split()[::2]
    touch_videos(tmp_path, mafw)
    txt = read_labels(FORMATS / "mafw_set_1_test_head.txt", tmp_path)
    csv = read_labels(FORMATS / "mafw_set_1_test_head.csv", tmp_path)
    assert txt.classes == csv.classes == list(MAFW_CLASSES)
    assert [c.label for c in txt.clips][: len(csv.clips)] == [c.label for c in csv.clips]


def test_unknown_format_and_unreadable_file(tmp_path):
    (tmp_path / "x.csv").write_text("clip,emotion\na,b\n")
    with pytest.raises(InputError, match="unknown label format"):
        read_labels(tmp_path / "x.csv")
    with pytest.raises(InputError, match="Cannot read label file"):
        read_labels(tmp_path / "nope.csv")


def test_extra_columns_such_as_reviews_predictions_are_ignored(tmp_path):
    touch_videos(tmp_path, ["a.mp4"])
    (tmp_path / "labels.csv").write_text(
        "video,start_s,end_s,face_id,label,prediction,confidence\na.mp4,0,2,0,Happy,Sad,0.41\n"
    )
    (clip,) = read_labels(tmp_path / "labels.csv").clips
    assert (clip.label, clip.start_s, clip.end_s, clip.face_id) == (0, 0.0, 2.0, 0)
    (tmp_path / "twice.csv").write_text("video,label,label\na.mp4,Happy,Sad\n")
    with pytest.raises(InputError, match="names label twice"):
        read_labels(tmp_path / "twice.csv")
    (tmp_path / "half.csv").write_text("video,start_s,label\na.mp4,0,Happy\n")
    with pytest.raises(InputError, match="start_s and end_s go together"):
        read_labels(tmp_path / "half.csv")
