"""Record the real embedded model judging two clusters of running_max (replayed by tests/test_judge.py).

Two hand-written programs pass all three visible examples of examples/running_max.py: the right one, and one that
compares each number with its predecessor only (wrong on [5, 1, 1]). The wrong one has more votes, so the default
ranking puts it first; selection (real sandbox) finds their distinguishing input and the judge predicts the result
there. The call is saved in ReplayBackend's format: tests/data/judge_running_max_0.5b.json, and for the 1.5B model
`--out tests/data/judge_running_max_1.5b.json`.

Usage (one model job at a time): python scripts/record_judge.py [--model qwen2.5-coder-0.5b]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.execute import make_executor
from codesift.extract import group
from codesift.problems import load_problem
from codesift.records import Candidate, Completion, Policy, Prompt
from codesift.select import select
from codesift.select.judge import judge
from codesift.store import Store

OUT = Path("tests/data/judge_running_max_0.5b.json")
RIGHT = (
    "def running_max(numbers):\n    out, best = [], None\n    for x in numbers:\n"
    "        best = x if best is None else max(best, x)\n        out.append(best)\n    return out\n"
)
NEIGHBOUR = (
    "def running_max(numbers):\n    return [max(numbers[i - 1], x) if i else x for i, x in enumerate(numbers)]\n"
)


def candidates(problem_id: str) -> list[Candidate]:
    """Three samples of the wrong program, two of the right one."""
    return [
        Candidate(
            problem_id=problem_id,
            policy="hand",
            seed=seed,
            completion=code,
            code=code,
            prompt_tokens=0,
            completion_tokens=0,
            mean_logprob=None,
            seconds=0.0,
        )
        for seed, code in enumerate([NEIGHBOUR, NEIGHBOUR, NEIGHBOUR, RIGHT, RIGHT])
    ]


class Recorder:
    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend, self.records = backend, []

    def complete(self, prompt: Prompt, seeds: list[int], policy: Policy) -> list[Completion]:
        out = self.backend.complete(prompt, seeds, policy)
        self.records.append({"prompt": prompt.model_dump(mode="json"), "completions": [c.model_dump() for c in out]})
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=FAST_MODEL)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    problem = load_problem("examples/running_max.py")
    recorder = Recorder(EmbeddedBackend(resolve_model(args.model)))
    with make_executor(workers=1) as ex, Store() as store:
        selection = select(problem, group(candidates(problem.id)), executor=ex, submissions=2, cache=store)
        judged, calls = judge(
            problem, selection, Policy(name="judge", model=args.model), lambda p: recorder, store, ex, store
        )
    args.out.write_text(json.dumps({"model": args.model, "records": recorder.records}, indent=1) + "\n")
    print(f"{len(calls)} calls; first before: {selection.submissions[0].code == RIGHT}, after: "
          f"{judged.submissions[0].code == RIGHT}; verdicts: {[c.text for c in calls]}")  # fmt: skip


if __name__ == "__main__":
    main()
