"""Record the real model calls behind `solve`'s later stages for one shipped example (replayed by tests).

The samples come from tests/data/completions.json (scripts/record_completions.py); this adds the test
writer's answers (seeds 0..3) and, for every distinct sample that fails a visible example, the answers
to its repair prompt (seeds 0..3), so tests can vary seeds, budgets and counts and still replay real
completions only.

Usage: python scripts/record_pipeline_calls.py [--example running_max.py] [-o FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import resolve_model
from codesift.execute import make_executor
from codesift.execute.cached import run_all
from codesift.extract import group
from codesift.pipeline import filter_groups
from codesift.problems import load_problem
from codesift.records import Policy
from codesift.repair import explain, repair_prompt
from codesift.sample import sample
from codesift.select.written import tests_prompt
from codesift.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from replay import ReplayBackend

SEEDS = [0, 1, 2, 3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="running_max.py")
    parser.add_argument("-o", "--output", default="tests/data/pipeline_running_max.json")
    args = parser.parse_args()
    recorded = ReplayBackend()
    policy = Policy(name="recorded", model=recorded.model, temperature=0.8, max_tokens=384)
    problem = load_problem(Path("examples") / args.example)
    live = EmbeddedBackend(resolve_model(recorded.model))
    records = []

    def record(prompt, label):  # type: ignore[no-untyped-def]
        completions = live.complete(prompt, SEEDS, policy)
        records.append({"call": label, "prompt": prompt.model_dump(mode="json"),
                        "completions": [c.model_dump(mode="json") for c in completions]})  # fmt: skip
        print(label, sum(c.completion_tokens for c in completions), "tokens", flush=True)

    record(tests_prompt(problem), "write tests")
    candidates = sample(problem, [policy], 8, seed=0, store=Store(), backend_for=lambda p: recorded)
    groups = group(candidates)
    with make_executor(workers=2) as ex:
        _, failures = filter_groups(problem, groups, run_all(groups, problem.examples, ex, None, problem.entry_point))
        for f in explain(problem, failures, ex):
            record(repair_prompt(problem, f), f"repair {f.candidate.program}")
    live.close()
    Path(args.output).write_text(json.dumps({"model": recorded.model, "records": records}, indent=1) + "\n")


if __name__ == "__main__":
    main()
