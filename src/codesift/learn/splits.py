"""Which benchmark tasks may become training data.

The rule is an allow-list, so a benchmark added later is evaluation data until someone decides otherwise:

- **train**: MBPP's training split, task ids 601–974 (Austin et al. 2021), whether the run used
  `mbpp` or `mbpp-sanitized`. Their hidden tests may serve as rewards.
- **eval**: everything else. MBPP's test split (11–510) is where the lift is measured; its
  validation (511–600) and few-shot prompt (1–10) ids, HumanEval, APPS, DABench, fresh problems and
  any user JSONL are never trained on by default. No task id is in both splits.
"""

from __future__ import annotations

from typing import Literal

from codesift.errors import CodesiftError

Split = Literal["train", "eval"]
MBPP_TRAIN = range(601, 975)
MBPP_TEST = range(11, 511)
MBPP_BENCHMARKS = ("mbpp", "mbpp-sanitized")


class EvalSplitError(CodesiftError):
    """Export would turn evaluation tasks into training data."""


def split_of(benchmark: str, task_id: str) -> Split:
    """'train' only for MBPP training ids; anything unknown counts as evaluation data."""
    if benchmark in MBPP_BENCHMARKS and task_id.startswith("Mbpp/"):
        number = task_id.removeprefix("Mbpp/")
        if number.isdigit() and int(number) in MBPP_TRAIN:
            return "train"
    return "eval"


def guard(tasks: dict[str, str], allow_eval: bool) -> None:
    """`tasks`: task id → benchmark. Refuse evaluation tasks unless `allow_eval`."""
    held_out = sorted(t for t, bench in tasks.items() if split_of(bench, t) == "eval")
    if held_out and not allow_eval:
        shown = ", ".join(held_out[:3]) + (f" and {len(held_out) - 3} more" if len(held_out) > 3 else "")
        raise EvalSplitError(
            f"refusing to export {len(held_out)} evaluation task(s) ({shown}): only MBPP training ids "
            f"{MBPP_TRAIN.start}-{MBPP_TRAIN.stop - 1} are training data; pass --allow-eval-tasks if you mean it."
        )
