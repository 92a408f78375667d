#!/usr/bin/env bash
# Every GPU check and GPU training this project needs, in one run of under 10 minutes on an
# H100/H200 (the device time a session may get is short: run this once, then give the machine back).
#
#   1. the Tsetlin Machine GPU tests and the GPU-vs-CPU benchmark at IMDb size (2-4 minutes);
#   2. then, side by side on the same GPU: a ReCAT parser (4 minutes of training) and the
#      hierarchical NSE summarizer with follow_copy, as the shipped one (3 minutes of likelihood,
#      1 of self-critical RL); give it the shipped model's decoding settings before comparing
#      (fill_sentences=True, min_sentence_tokens chosen on validation: docs/summarize.md).
#
# Inputs (prepare them on a CPU machine first; about 30 MB together):
#   .devdata/tm                          python benchmarks/tsetlin_vs_peers.py --datasets imdb synthetic \
#                                            --methods tm --cache-dir .devdata/tm
#   .devdata/parser_corpus.txt.gz        python scripts/make_parser_corpus.py --out .devdata/parser_corpus.txt.gz
#   .devdata/summarizer_bbc.jsonl.gz     python scripts/make_summarizer_data.py --out .devdata/summarizer_bbc.jsonl.gz
#
# Usage, from the repository root: bash benchmarks/gpu_session.sh OUTDIR
# OUTDIR receives tsetlin_gpu.json, recat/ and summarizer/ (model directories) and the logs;
# check the models on a CPU machine with benchmarks/parsing_benchmark.py and
# benchmarks/summarize_benchmark.py before shipping them.
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
timeout 330 python scripts/train_summarizer.py --data .devdata/summarizer_bbc.jsonl.gz \
    --out "$out/summarizer" --device cuda --max-minutes 3 --rl-minutes 1 --batch-tokens 49152 \
    --lr 2e-3 --seed 0 --follow-copy --quiet >"$out/summarizer.log" 2>&1 &
summarizer=$!
wait "$parser"; echo "recat training exit $?"; tail -n 5 "$out/recat.log"
wait "$summarizer"; echo "summarizer training exit $?"; tail -n 5 "$out/summarizer.log"
ls -la "$out" "$out"/*/
