#!/usr/bin/env bash
# Every GPU check and GPU training this project needs, in one run of under 10 minutes on an
# H100/H200 (the device time a session may get is short: run this once, then give the machine back).
#
#   1. the Tsetlin Machine GPU tests and the GPU-vs-CPU benchmark at IMDb size (2-4 minutes);
#   2. then, side by side on the same GPU: a ReCAT parser (4 minutes of training) and the shipped
#      StructFormer parser trained 4 minutes more (--init default, warm start; it has had 4.5
#      minutes on an H200 and is 1.6 F1 short of its target: docs/parsing.md). The summarizer is
#      no longer trained here: the shipped CPU-trained one meets its targets (docs/summarize.md).
#
# Inputs (prepare them on a CPU machine first; about 30 MB together):
#   .devdata/tm                          python benchmarks/tsetlin_vs_peers.py --datasets imdb synthetic \
#                                            --methods tm --cache-dir .devdata/tm
#   .devdata/parser_corpus.txt.gz        python scripts/make_parser_corpus.py --out .devdata/parser_corpus.txt.gz
#
# Usage, from the repository root: bash benchmarks/gpu_session.sh OUTDIR
# OUTDIR receives tsetlin_gpu.json, recat/ and structformer/ (model directories) and the logs;
# score the parsers on a CPU machine with benchmarks/parsing_benchmark.py before shipping them
# (the StructFormer one only if both its F1 and its directed attachment are at least the shipped one's).
set -uo pipefail
out=${1:?usage: bash benchmarks/gpu_session.sh OUTDIR}
mkdir -p "$out"
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader

timeout 300 python benchmarks/tsetlin_gpu.py --data .devdata/tm --epochs 2 --out "$out/tsetlin_gpu.json" \
    2>&1 | tail -n 40

timeout 330 python scripts/train_parser.py --arch recat --corpus .devdata/parser_corpus.txt.gz \
    --out "$out/recat" --device cuda --max-minutes 4 --hidden-size 192 --layers 2 --heads 4 \
    --batch-tokens 16384 --lr 1e-3 --warmup-steps 100 --max-train-length 48 --seed 0 \
    >"$out/recat.log" 2>&1 &
parser=$!
timeout 330 python scripts/train_parser.py --arch structformer --corpus .devdata/parser_corpus.txt.gz \
    --init default --out "$out/structformer" --device cuda --max-minutes 4 --batch-tokens 16384 \
    --lr 5e-4 --warmup-steps 100 --seed 1 >"$out/structformer.log" 2>&1 &
structformer=$!
wait "$parser"; echo "recat training exit $?"; tail -n 5 "$out/recat.log"
wait "$structformer"; echo "structformer training exit $?"; tail -n 5 "$out/structformer.log"
ls -la "$out" "$out"/*/
