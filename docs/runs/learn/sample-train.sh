#!/usr/bin/env bash
# Issue 15: 0.5B samples (n=8, T=0.8) on MBPP's training split, ids 601-700, in resumable chunks of 20
# (each chunk one flock on the model lock, one llama thread).
cd /work/wt/learn
export PYTHONPATH=/work/wt/learn/src CODESIFT_THREADS=1 CODESIFT_DATA=/work/shared/benchmarks
PY=/work/main/.venv/bin/python
for start in $(seq 601 20 681); do
  ids=$(seq -s, $start $((start + 19)))
  echo "$(date -u +%H:%M:%S) chunk $start" >> /work/runs/learn/sample-train.log
  flock /work/locks/model nice -n 5 $PY -m codesift bench mbpp --model qwen2.5-coder-0.5b --samples 8 \
    --temperature 0.8 --problems "$ids" --run-dir /work/runs/learn/mbpp-train-0.5b-n8 --json \
    >> /work/runs/learn/sample-train.out 2>&1
  echo "$(date -u +%H:%M:%S) chunk $start rc=$?" >> /work/runs/learn/sample-train.log
done
