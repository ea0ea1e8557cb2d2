#!/usr/bin/env bash
# The GPU checks of issue 14 in one call of the device tool (at most ~8 minutes on one H200): the CUDA
# tests, `pelg bench` (three parts), and one bf16 training run per PE at K23's full model size. Every part
# has its own timeout and writes its own file under $OUT, so a part that runs long loses only itself.
#
# The device image has torch but not PyWavelets, which theory/ imports. Before the call, here:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
#     -d runs/wheels PyWavelets          # runs/ is git-ignored; ~4.5 MB
# then: run(command="bash bench/gpu_check.sh", carry=["runs/wheels"], timeout_s=540)
# and copy the files that come back into bench/results/ (bench_*.json, gpu_bf16_run.json, the logs).
set -u
OUT=${OUT:-bench/results/gpu_check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=python3
LOG="$OUT/gpu_check.log"
step() { echo "== $(date +%T) $*" | tee -a "$LOG"; }

step "environment"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  $PY -c "import torch, numpy; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0), 'numpy', numpy.__version__)"
} >> "$LOG" 2>&1
if ! $PY -c "import pywt" 2>/dev/null; then
  if ls runs/wheels/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site runs/wheels/*.whl >> "$LOG" 2>&1
    export PYTHONPATH="/tmp/site:$PYTHONPATH"
  fi
  $PY -c "import pywt" >> "$LOG" 2>&1 || { step "PyWavelets missing: carry runs/wheels (see the header)"; exit 3; }
fi

step "tests (CPU reference checks and CUDA tests)"
timeout 180 $PY -m pytest -q -p no:cacheprovider -rs tests/empirics/test_gpu_path.py \
  tests/empirics/test_batched.py::test_cuda_eight_batched_models_equal_separate_runs > "$OUT/pytest_gpu_path.txt" 2>&1
echo "pytest exit $?" | tee -a "$LOG"

step "bench: 2 x 64, every PE"
timeout 110 $PY -m empirics.cli bench --json --sizes 2x64 --parts train --out "$OUT/bench_2x64.json" > /dev/null 2>> "$LOG"
echo "bench 2x64 exit $?" | tee -a "$LOG"

step "bench: 12 x 768 (MFU at T = 256)"
timeout 60 $PY -m empirics.cli bench --json --sizes 12x768 --pes nope,rope,alibi --parts train \
  --out "$OUT/bench_12x768.json" > /dev/null 2>> "$LOG"
echo "bench 12x768 exit $?" | tee -a "$LOG"

step "bench: batched models and evaluation"
timeout 50 $PY -m empirics.cli bench --json --parts batched,eval --out "$OUT/bench_batched_eval.json" > /dev/null 2>> "$LOG"
echo "bench batched/eval exit $?" | tee -a "$LOG"

step "one bf16 training run per PE at K23's full size"
timeout 60 $PY bench/gpu_bf16_run.py --steps 300 --pes t5,rope --out "$OUT/gpu_bf16_run.json" >> "$LOG" 2>&1
echo "bf16 run exit $?" | tee -a "$LOG"
step "done"
