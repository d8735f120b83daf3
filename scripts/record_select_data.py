"""Record real 0.5B-model outputs for the selection/repair tests (tests/data/select_*.json).

For each problem: n samples with the normal prompt (or the first n of a run's Store, ``--store``,
as sampled by scripts/sample_store.py), the model-written tests completions, and one repair
completion per distinct sample that fails the visible example(s). Every model call is stored with
its prompt, so the tests can replay the exact outputs through a backend that looks them up.

    python scripts/record_select_data.py --benchmark mbpp-sanitized --problems 11,12,17 --n 10
    python scripts/record_select_data.py --benchmark mbpp-sanitized --problems 2 --n 20 --store runs/mbpp.db
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import resolve_model
from codesift.bench.tasks import load_tasks, select
from codesift.execute import make_executor
from codesift.execute.cached import run_all
from codesift.extract import group
from codesift.pipeline import filter_groups
from codesift.prompt import build_prompt
from codesift.records import Completion, Policy, Prompt
from codesift.repair import repair
from codesift.sample import to_candidate
from codesift.select import write_tests
from codesift.store import Store

OUT = Path(__file__).resolve().parent.parent / "tests" / "data"


class Recorder:
    """The real backend, keeping every (prompt, completions) pair it produced."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend, self.calls = backend, []

    def complete(self, prompt: Prompt, seeds: list[int], policy: Policy) -> list[Completion]:
        out = self.backend.complete(prompt, seeds, policy)
        self.calls.append({"prompt": prompt.model_dump(), "completions": [c.model_dump() for c in out]})
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--benchmark", default="mbpp-sanitized")
    ap.add_argument("--problems", required=True)
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", default=None, help="take the samples from this run store")
    ap.add_argument("--max-repairs", type=int, default=4)
    args = ap.parse_args()
    policy = Policy(name="t0.8", model=args.model, temperature=0.8, max_tokens=384)
    rec = Recorder(EmbeddedBackend(resolve_model(args.model), threads=1))
    with make_executor(workers=2) as ex:
        for task in select(load_tasks(args.benchmark), args.problems):
            problem = task.problem
            prompt = build_prompt(problem, "plain")
            rec.calls = []
            if args.store:
                with Store(args.store) as store:
                    cands = [c for c in store.candidates(task.id) if c.origin == "sample"][: args.n]
            else:
                seeds = list(range(args.seed, args.seed + args.n))
                cands = [
                    to_candidate(problem, policy, prompt, c, "sample") for c in rec.complete(prompt, seeds, policy)
                ]
            write_tests(problem, rec, policy.model_copy(update={"max_tokens": 256}))
            groups = group(cands)
            results = run_all(groups, problem.examples, ex, None, problem.entry_point)
            _, failures = filter_groups(problem, groups, results)
            repair(problem, failures[: args.max_repairs], lambda p: rec, policy, budget_tokens=10**9, seed=10_000)
            path = OUT / f"select_{task.id.replace('/', '_').lower()}.json"
            data = {
                "model": args.model,
                "policy": policy.model_dump(),
                "task": task.model_dump(),
                "candidates": [c.model_dump() for c in cands],
                "records": rec.calls,
            }
            path.write_text(json.dumps(data, indent=1) + "\n")
            print(path, len(cands), "samples,", len(group(cands)), "distinct")


if __name__ == "__main__":
    main()
