"""Bench run dirs for the learning tests, built from recorded real completions of the 0.5B model.

A run dir is what `codesift bench` leaves: the candidates, the run's settings and the grader's
hidden-test executions (here by the real grader in the real sandbox), so export reads exactly what
it reads after a benchmark run.
"""

from __future__ import annotations

import json
from pathlib import Path

from codesift.bench.grade import grade_task
from codesift.bench.run import STORE
from codesift.bench.tasks import Task
from codesift.execute.cached import Mapper
from codesift.pipeline import SolveConfig
from codesift.records import Candidate, Policy
from codesift.store import Store

DATA = Path(__file__).parent / "data"
# MBPP/594 is in MBPP's validation split (evaluation data); MBPP/6xx recordings are training tasks.
EVAL_RECORDING = DATA / "select_mbpp_594.json"
TRAIN_RECORDING = DATA / "learn_mbpp_train.json"


def recorded(path: Path) -> list[tuple[Task, Policy, list[Candidate]]]:
    """(task, policy, candidates) per recorded task; a file holds one task or a list under `tasks`."""
    data = json.loads(path.read_text())
    out = []
    for item in data.get("tasks", [data]):
        candidates = [Candidate.model_validate(c) for c in item["candidates"]]
        policy = Policy.model_validate({**item["policy"], "name": candidates[0].policy})
        out.append((Task.model_validate(item["task"]), policy, candidates))
    return out


def bench_run_dir(run_dir: Path, recording: Path, executor: Mapper) -> Path:
    items = recorded(recording)
    policy = items[0][1]
    benchmark = items[0][0].problem.metadata["benchmark"]
    config = SolveConfig(policies=(policy,), samples=max(len(c) for _, _, c in items))
    with Store(run_dir / STORE) as store:
        store.set_settings("bench", {"benchmark": benchmark, "config": config.model_dump(mode="json")})
        for task, _, candidates in items:
            store.add_candidates(candidates)
            grade_task(task, candidates, None, executor, store)
    return run_dir
