"""Record real completions of a bench run for the learning tests (tests/data/learn_mbpp_train.json).

Takes the sampled candidates of a few tasks from a `codesift bench` run store, with the task (hidden
tests included, for the grader in the tests) and the policy, so tests can rebuild the run dir
without the model. Usage:
    python scripts/record_learn_data.py RUN_DIR Mbpp/601,Mbpp/602 -o tests/data/learn_mbpp_train.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codesift.bench.run import STORE
from codesift.bench.tasks import load_tasks
from codesift.store import Store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("tasks")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    with Store(args.run_dir / STORE) as store:
        spec = store.settings("bench")
        assert isinstance(spec, dict)
        tasks = {t.id: t for t in load_tasks(spec["benchmark"])}
        (policy,) = spec["config"]["policies"]
        items = [
            {
                "policy": policy,
                "task": tasks[task_id].model_dump(mode="json"),
                "candidates": [c.model_dump(mode="json") for c in store.candidates(task_id) if c.origin == "sample"],
            }
            for task_id in args.tasks.split(",")
        ]
    args.output.write_text(json.dumps({"model": policy["model"], "tasks": items}, indent=1) + "\n")


if __name__ == "__main__":
    main()
