"""A stand-in SCRFD face detector: an ONNX graph with SCRFD's inputs and outputs, no weights.

The InsightFace packs cannot be downloaded here, so the SCRFD wrapper's letterbox, anchor
decoding and NMS are tested on this graph, which "detects" bright squares (see
`write_fake_scrfd`). Re-exported by `tests.faces_media` for the tests that import it there.
"""

from __future__ import annotations

from pathlib import Path

# Keypoint offsets (in stride units, x/y pairs) the stand-in graph returns for every anchor.
FAKE_SCRFD_KPS = (-0.5, -0.5, 0.5, -0.5, 0.0, 0.0, -0.4, 0.5, 0.4, 0.5)


def write_fake_scrfd(path: Path, *, batched: bool = True, half_side: float = 1.5) -> Path:
    """Write an ONNX graph with SCRFD's signature (1 input, 9 outputs: scores, box distances and
    keypoint distances for strides 8, 16, 32 with 2 anchors each) but no learned weights.

    It "detects" bright squares: the stride-32 score of a cell is sigmoid(20 * (m - 0.5)), m
    the mean normalised value of its 32x32 input pixels (white gives ~1, black ~0); strides 8
    and 16 score 0. Every box reaches `half_side` strides from its anchor on all four sides and
    the keypoints sit at `FAKE_SCRFD_KPS`. This tests the wrapper's letterbox, decoding and
    NMS, not detection quality. `batched=False` writes InsightFace's packaged layout: batch 1,
    rank-2 outputs.
    """
    import onnx
    from onnx import TensorProto, helper

    nodes, inits, outputs = [], [], []

    def const(name: str, values: list[float], shape: list[int]) -> str:
        inits.append(helper.make_tensor(name, TensorProto.FLOAT, shape, values))
        return name

    def ints(name: str, values: list[int]) -> str:
        inits.append(helper.make_tensor(name, TensorProto.INT64, [len(values)], values))
        return name

    const("zero", [0.0], [])
    const("half", [0.5], [])
    const("dist", [half_side] * 4, [1, 1, 4])
    const("kps", list(FAKE_SCRFD_KPS), [1, 1, 10])
    ints("flat_shape", [0, -1, 1])
    scores, boxes, marks = [], [], []
    for s in (8, 16, 32):
        p = f"s{s}_"
        # score = sigmoid(gain * (mean - 0.5) + bias): live at stride 32, ~0 elsewhere
        const(p + "gain", [20.0 if s == 32 else 0.0], [])
        const(p + "bias", [0.0 if s == 32 else -20.0], [])
        nodes += [
            helper.make_node(
                "AveragePool", ["input.1"], [p + "pool"], kernel_shape=[s, s], strides=[s, s]
            ),
            helper.make_node("ReduceMean", [p + "pool"], [p + "mean"], axes=[1], keepdims=1),
            helper.make_node("Sub", [p + "mean", "half"], [p + "c"]),
            helper.make_node("Mul", [p + "c", p + "gain"], [p + "g"]),
            helper.make_node("Add", [p + "g", p + "bias"], [p + "logit"]),
            helper.make_node("Sigmoid", [p + "logit"], [p + "sig"]),
            helper.make_node("Transpose", [p + "sig"], [p + "nhwc"], perm=[0, 2, 3, 1]),
            helper.make_node("Reshape", [p + "nhwc", "flat_shape"], [p + "flat"]),
            helper.make_node("Concat", [p + "flat", p + "flat"], [p + "two"], axis=2),
            helper.make_node("Reshape", [p + "two", "flat_shape"], [p + "score3"]),
            helper.make_node("Mul", [p + "score3", "zero"], [p + "z"]),
            helper.make_node("Add", [p + "z", "dist"], [p + "bbox3"]),
            helper.make_node("Add", [p + "z", "kps"], [p + "kps3"]),
        ]
        for kind, width, bucket in (("score", 1, scores), ("bbox", 4, boxes), ("kps", 10, marks)):
            out = f"{kind}_{s}"
            if batched:
                nodes.append(helper.make_node("Identity", [p + kind + "3"], [out]))
                shape: list[int | str] = ["n", f"k{s}", width]
            else:
                ints(p + kind + "_2d", [-1, width])
                nodes.append(helper.make_node("Reshape", [p + kind + "3", p + kind + "_2d"], [out]))
                shape = [f"k{s}", width]
            bucket.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, shape))
    outputs = scores + boxes + marks
    batch: int | str = "n" if batched else 1
    graph = helper.make_graph(
        nodes,
        "fake_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [batch, 3, "h", "w"])],
        outputs,
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path
