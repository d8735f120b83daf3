#!/usr/bin/env bash
# Issue 15: LoRA SFT round 1 on the exported MBPP-train programs. One torch thread, lowest priority.
cd /work/wt/learn
export PYTHONPATH=/work/wt/learn/src CODESIFT_DATA=/work/shared/benchmarks
echo "$(date -u +%H:%M:%S) train start" >> /work/runs/learn/pipeline.log
nice -n 19 /work/main/.venv/bin/python -m codesift train /work/runs/learn/data-r1/sft.jsonl -o /work/runs/learn/lora-r1 \
  --model qwen2.5-coder-0.5b --rank 8 --alpha 16 --epochs 1 --grad-accum 4 --max-length 384 --save-steps 1 \
  --threads 1 --budget-minutes 20 >> /work/runs/learn/train-r1.out 2>&1
echo "$(date -u +%H:%M:%S) train rc=$?" >> /work/runs/learn/pipeline.log
