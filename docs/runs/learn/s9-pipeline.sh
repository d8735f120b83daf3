#!/usr/bin/env bash
# Issue 15, session 9: export the n = 4 training-split run, train round 2, then greedy before/after on 200 fixed
# MBPP test ids (random.Random(15).sample(range(11, 511), 200); its first 100 are eval-ids.txt) and HumanEval,
# before and after in chunks of 50 so that an interrupted run still leaves paired halves. Resumable: re-run it.
set -u
git -C /work/wt/runner checkout -q -f --detach "$(git -C /work/main rev-parse HEAD)"  # this session's code
cd /work/wt/runner
export PYTHONPATH=/work/wt/runner/src CODESIFT_DATA=/work/shared/benchmarks
B=/work/main/.venv/bin/codesift
L=/work/runs/learn
log() { echo "$(date -u +%H:%M:%S) $*" >> $L/pipeline-s9.log; }
[ -f $L/data-r2/sft.jsonl ] || $B export $L/mbpp-train-0.5b-n4-tw0 -o $L/data-r2 --per-task 2 --json > $L/export-r2.json
log "export: $(cat $L/export-r2.json)"
until [ -f $L/lora-r2/adapter.gguf ]; do
  $B train $L/data-r2/sft.jsonl -o $L/lora-r2 --model qwen2.5-coder-0.5b --rank 8 --alpha 16 --epochs 2 \
    --grad-accum 8 --max-length 384 --save-steps 4 --threads 2 --budget-minutes 30 >> $L/train-r2.out 2>&1 || break
  log "train slice: $(tail -1 $L/lora-r2/train-log.jsonl)"
done
G="--model qwen2.5-coder-0.5b --samples 1 --temperature 0 --test-writers 0 --json"
IDS=$(cat /work/main/docs/runs/learn/eval-ids-200.txt)
for chunk in 0 1 2 3; do
  part=$(echo $IDS | cut -d, -f$((chunk * 50 + 1))-$((chunk * 50 + 50)))
  $B bench mbpp $G --problems $part --run-dir $L/mbpp-test200-greedy >> $L/eval-s9.out 2>&1
  $B bench mbpp $G --problems $part --lora $L/lora-r2/adapter.gguf --run-dir $L/mbpp-test200-greedy-lora-r2 >> $L/eval-s9.out 2>&1
  log "mbpp chunk $chunk done"
done
for half in 0 1; do
  part=$(seq -s, $((half * 82)) $((half * 82 + 81)))
  $B bench humaneval $G --problems $part --run-dir $L/humaneval-greedy >> $L/eval-s9.out 2>&1
  $B bench humaneval $G --problems $part --lora $L/lora-r2/adapter.gguf --run-dir $L/humaneval-greedy-lora-r2 >> $L/eval-s9.out 2>&1
  log "humaneval half $half done"
done
log "pipeline done"
