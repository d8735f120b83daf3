"""Learning from execution: verified runs become training data, and a LoRA adapter trained on it.

The loop is sample → execute → export → fine-tune → sample again with the adapter (`--lora`):

- `export`: bench run stores → chat-format SFT records (programs that passed every hidden test),
  DPO pairs (a passing and a failing program for the same prompt) and a per-sample reward log;
- `train` (needs the ``[train]`` extra): rejection-sampling SFT with LoRA (TRL + peft) from the
  embedded GGUF weights, and the adapter converted to GGUF for llama.cpp.

The split rule (also in README.md) is in `codesift.learn.splits`: only MBPP's training split
(task ids 601–974, in `mbpp` or `mbpp-sanitized`) is training data. Everything else, MBPP's test
split (11–510), its validation (511–600) and prompt (1–10) splits, HumanEval, APPS, DABench, fresh
problems and users' own JSONL, is treated as evaluation data: exporting it is refused unless
``--allow-eval-tasks`` says the user means it, so nobody trains on a test set by accident.
"""
