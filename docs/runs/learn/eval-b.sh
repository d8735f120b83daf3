#!/usr/bin/env bash
# Issue 15: greedy pass@1 of the 0.5B without and with the round-1 adapter on 100 fixed MBPP test ids
# (random.Random(15).sample(range(11, 511), 100)), 20 ids per model-lock hold: before then after.
# Chunks 1-4 into new run dirs: main added SolveConfig.grammar, so the first run dirs refuse to resume (by design).
set -u
cd /work/wt/learn
export PYTHONPATH=/work/wt/learn/src CODESIFT_THREADS=1 CODESIFT_DATA=/work/shared/benchmarks
L=/work/runs/learn
log() { echo "$(date -u +%H:%M:%S) $*" >> $L/pipeline.log; }
while [ ! -f $L/lora-r1/adapter.gguf ]; do sleep 15; done
IDS=$(cat $L/eval-ids.txt)
for chunk in 1 2 3 4; do
  part=$(echo $IDS | cut -d, -f$((chunk * 20 + 1))-$((chunk * 20 + 20)))
  log "eval chunk $chunk waiting"
  flock /work/locks/model timeout -s TERM 14m bash -c "
    /work/main/.venv/bin/python -m codesift bench mbpp --model qwen2.5-coder-0.5b --samples 1 --temperature 0 \
      --problems $part --run-dir $L/mbpp-test100-0.5b-greedy-b --json >> $L/eval.out 2>&1
    /work/main/.venv/bin/python -m codesift bench mbpp --model qwen2.5-coder-0.5b --samples 1 --temperature 0 \
      --lora $L/lora-r1/adapter.gguf --problems $part --run-dir $L/mbpp-test100-0.5b-greedy-lora-r1-b --json >> $L/eval.out 2>&1"
  log "eval chunk $chunk rc=$?"
done
log "eval done"
