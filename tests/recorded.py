"""Recorded real samples of one benchmark task (scripts/record_select_data.py → tests/data/select_*.json):
the task, its candidates, and the programs among them that pass the visible examples (the selection pool)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codesift.bench.tasks import Task
from codesift.execute import Executor
from codesift.execute.cached import run_all
from codesift.extract import ProgramGroup, group
from codesift.pipeline import filter_groups
from codesift.records import Candidate

DATA = Path(__file__).parent / "data"


def load(name: str) -> tuple[dict[str, Any], Task, list[Candidate]]:
    record = json.loads((DATA / name).read_text())
    return record, Task.model_validate(record["task"]), [Candidate.model_validate(c) for c in record["candidates"]]


def pool(task: Task, candidates: list[Candidate], ex: Executor) -> list[ProgramGroup]:
    """The distinct programs passing every visible example, as the pipeline filters them."""
    groups = group(candidates)
    results = run_all(groups, task.problem.examples, ex, None, task.problem.entry_point)
    return filter_groups(task.problem, groups, results)[0]
