#!/usr/bin/env bash
# The GPU check, one command on a machine with an NVIDIA GPU and driver:
#
#   scripts/cuda/gpu-check.sh [POLICYLENS_BIN]
#
# Builds the CUDA binary unless given one (`scripts/cuda/build.sh` makes it
# elsewhere, e.g. where crates.io is reachable, to carry it over), then:
# 1. labels datasets/examples on the CPU and on the GPU in f32 and checks
#    that every clause gets the same labels and scores within 1e-3;
#    Then the same clauses on the GPU in bf16 against f32: the largest
#    score difference and how many clauses change labels (reported; more
#    than 0.1 apart fails);
# 2. with ../shared present, evaluates the OPP-115 test split on the GPU
#    (f32 and bf16) and times it against the CPU (f32, batch 64);
# 3. with GPU_CHECK_CORPUS=DIR, labels that folder of policies on the GPU
#    (f32, then bf16) and on the CPU (the default precision) and prints
#    clauses/s.
# Exits non-zero when the GPU disagrees with the CPU. GPU_CHECK_DEVICE=cpu
# runs the same steps with the CPU on both sides (a dry run of this script).
set -euo pipefail
gpu=${GPU_CHECK_DEVICE:-cuda}
cd "$(dirname "$0")/../.."
bin=${1:-}
if [ -z "$bin" ]; then
    scripts/cuda/build.sh
    bin=target/cuda-release/release/policylens
fi
out=${OUT:-target/gpu-check}
mkdir -p "$out"
if [ "$gpu" != cpu ]; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | tee "$out/gpu.txt"
fi

echo "== biometrics test clauses: CPU f32 against GPU f32, every score"
for side in cpu gpu; do
    dev=$([ "$side" = cpu ] && echo cpu || echo "$gpu")
    "$bin" eval datasets/biometrics/clauses.jsonl@test --device "$dev" --precision f32 \
        --scores "$out/scores-$side.jsonl" > "$out/eval-bio-$side.txt"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rows = {d: [json.loads(l) for l in open(f"{out}/scores-{d}.jsonl")] for d in ("cpu", "gpu")}
worst = max(abs(a["scores"][k] - b["scores"][k])
            for a, b in zip(rows["cpu"], rows["gpu"]) for k in a["scores"])
same = all(a["predicted"] == b["predicted"] for a, b in zip(rows["cpu"], rows["gpu"]))
print(f"{len(rows['cpu'])} clauses: largest score difference {worst:.2e}, same labels: {same}")
sys.exit(0 if same and worst <= 1e-3 and len(rows["cpu"]) == len(rows["gpu"]) else 1)
PY

if [ "$gpu" != cpu ]; then
    echo "== biometrics test clauses: GPU bf16 against GPU f32"
    "$bin" eval datasets/biometrics/clauses.jsonl@test --device "$gpu" --precision bf16 \
        --scores "$out/scores-bf16.jsonl" > "$out/eval-bio-bf16.txt"
    python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
a = [json.loads(l) for l in open(f"{out}/scores-gpu.jsonl")]
b = [json.loads(l) for l in open(f"{out}/scores-bf16.jsonl")]
worst = max(abs(x["scores"][k] - y["scores"][k]) for x, y in zip(a, b) for k in x["scores"])
changed = sum(x["predicted"] != y["predicted"] for x, y in zip(a, b))
print(f"{len(a)} clauses: largest score difference {worst:.2e}, clauses with other labels: {changed}")
sys.exit(0 if worst <= 0.1 and len(a) == len(b) else 1)
PY
fi

test_file=../shared/data/opp115/splits/test.csv
if [ -f "$test_file" ]; then
    echo "== OPP-115 test split (697 clauses): macro-F1 and time, CPU against GPU"
    runs="cpu:f32 $gpu:f32"
    [ "$gpu" != cpu ] && runs="$runs $gpu:bf16"
    for run in $runs; do
        dev=${run%:*} prec=${run##*:}
        start=$(date +%s%N)
        "$bin" eval "$test_file" --device "$dev" --precision "$prec" --batch-size 64 \
            --json "$out/eval-$dev-$prec.json" > "$out/eval-$dev-$prec.txt"
        echo "$dev $prec: $(( ($(date +%s%N) - start) / 1000000 )) ms (whole process, model load included)"
        grep -E "^(macro|micro)" "$out/eval-$dev-$prec.txt"
    done
fi
corpus=${GPU_CHECK_CORPUS:-}
if [ -n "$corpus" ]; then
    echo "== labeling $corpus: GPU f32 and bf16 against CPU (default precision)"
    runs="$gpu:f32 cpu:auto"
    [ "$gpu" != cpu ] && runs="$gpu:f32 $gpu:bf16 cpu:auto"
    for run in $runs; do
        dev=${run%:*} prec=${run##*:}
        rm -rf "$out/label-$dev-$prec"
        start=$(date +%s%N)
        "$bin" label "$corpus" -o "$out/label-$dev-$prec" --device "$dev" --precision "$prec" \
            --batch-size "${GPU_CHECK_BATCH:-64}" > "$out/label-$dev-$prec.txt" 2>&1
        echo "$dev ($prec), whole process $(( ($(date +%s%N) - start) / 1000000 )) ms: $(grep '^labeled' "$out/label-$dev-$prec.txt")"
    done
fi
echo "gpu check passed; outputs in $out"
