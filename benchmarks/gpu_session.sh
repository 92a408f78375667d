#!/usr/bin/env bash
# Every GPU check and GPU training this project needs, in one run of under 10 minutes on an
# H100/H200 (the device time a session may get is short: run this once, then give the machine back).
#
#   1. the Tsetlin Machine GPU tests and the GPU-vs-CPU benchmark at IMDb size (2-4 minutes);
#   2. then, side by side on the same GPU for MINUTES (default 4) minutes each: two ReCAT parsers
#      from scratch (mixed precision and float32, in case float16 overflows in the chart) and the
#      shipped StructFormer parser trained further at two learning rates (--init default).
#
# Inputs (prepare them on a CPU machine first; about 25 MB together):
#   .devdata/tm                          python benchmarks/tsetlin_vs_peers.py --datasets imdb synthetic \
#                                            --methods tm --cache-dir .devdata/tm
#   .devdata/parser_corpus.txt.gz        python scripts/make_parser_corpus.py --out .devdata/parser_corpus.txt.gz
#   .whl (optional)                      wheels of packages the GPU machine lacks (nltk, defusedxml),
#                                            installed into /tmp/site first
#
# Usage, from the repository root: bash benchmarks/gpu_session.sh OUTDIR
# OUTDIR receives tsetlin_gpu.json, one NAME.tar per parser (its model directory and checkpoint)
# and logs.tar, so that it stays within a handful of files. Score the parsers on a CPU machine with
# benchmarks/parsing_benchmark.py before shipping them (a StructFormer one only if both its F1 and
# its directed attachment are at least the shipped one's). DEVICE=cpu MINUTES=0.2 checks the
# script itself on a machine without a GPU (the Tsetlin part then stops at once).
set -uo pipefail
out=$(realpath -m "${1:?usage: bash benchmarks/gpu_session.sh OUTDIR}")
device=${DEVICE:-cuda}
minutes=${MINUTES:-4}
mkdir -p "$out/work"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=.:${PYTHONPATH:-} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null

timeout 200 python3 benchmarks/tsetlin_gpu.py --data .devdata/tm --epochs 2 --out "$out/tsetlin_gpu.json" \
    >"$out/work/tsetlin.log" 2>&1
echo "tsetlin exit $?"; tail -n 60 "$out/work/tsetlin.log"

limit=$(python3 -c "print(int($minutes * 60 + ${SLACK:-120}))")
train() {  # NAME, then train_parser.py arguments
    local name=$1; shift
    timeout "$limit" python3 scripts/train_parser.py --corpus .devdata/parser_corpus.txt.gz \
        --out "$out/work/$name" --device "$device" --max-minutes "$minutes" --batch-tokens "${BATCH_TOKENS:-16384}" \
        --warmup-steps 100 "$@" >"$out/work/$name.log" 2>&1
    echo "$name exit $?"; tail -n 4 "$out/work/$name.log"
}
recat=(--arch recat --hidden-size 192 --layers 2 --heads 4 --lr 1e-3 --max-train-length 48 --seed 0)
train recat_amp "${recat[@]}" &
train recat_fp32 "${recat[@]}" --no-amp &
train structformer_lr5e-4 --arch structformer --init default --lr 5e-4 --seed 1 &
train structformer_lr2e-4 --arch structformer --init default --lr 2e-4 --seed 2 &
wait
for name in recat_amp recat_fp32 structformer_lr5e-4 structformer_lr2e-4; do
    (cd "$out/work" && ls -d "$name" "$name"-checkpoint 2>/dev/null | xargs -r tar -cf "$out/$name.tar")
done
(cd "$out/work" && tar -cf "$out/logs.tar" ./*.log)
rm -rf "$out/work"
ls -la "$out"
