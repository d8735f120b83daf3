"""The fresh benchmark: problems written for codesift, so no model has seen them (issue 19).

HumanEval and MBPP were published years before the embedded models were trained; on them samples agree
because the model remembers. These problems were invented for this repository (sources and reference
solutions in `benchmarks/fresh/`, built by `scripts/build_fresh.py` into `data/fresh.jsonl.gz`, which ships
with the package). Each record: `id`, `level` (easy/medium/hard), `style`, `prompt`, `entry_point`,
`examples` (how many visible examples the statement shows), `hidden` tests, `reference`. A task is graded on
its visible examples and its hidden tests.

The visible examples are read from the prompt by `codesift.problems`, exactly as a user's stub or
statement would be, so the benchmark also measures the statement reader; `check_fresh` reports a
statement the reader parses to other examples than its author wrote.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from codesift.bench.tasks import BenchDataError, Task
from codesift.execute.cached import Mapper
from codesift.problems import function_problem, stdio_problem
from codesift.records import Test
from codesift.store import Store

FRESH_DATA = Path(__file__).with_name("data") / "fresh.jsonl.gz"
LEVELS = ("easy", "medium", "hard")


def fresh_records(path: Path = FRESH_DATA) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BenchDataError(f"{path} not found; run `python scripts/build_fresh.py` in the repository.")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fresh_task(rec: dict[str, Any]) -> Task:
    """A record as a Task; the prompt goes through the same reader as a user's file."""
    if rec["style"] == "function":
        problem = function_problem(rec["id"], rec["prompt"], rec["entry_point"])
    else:
        problem = stdio_problem(rec["id"], rec["prompt"])
    problem = problem.model_copy(update={"metadata": {"benchmark": "fresh", "level": rec["level"]}})
    # A program that contradicts the statement's own examples is wrong, whatever the other tests say; the
    # recorded tests rarely repeat the examples, so the grader adds them (`check_fresh` checks they are right).
    graded = {t.key: t for t in (*problem.examples, *(Test.model_validate(t) for t in rec["hidden"]))}
    return Task(problem=problem, hidden=tuple(graded.values()), reference=rec["reference"])


def load_fresh(path: Path = FRESH_DATA) -> list[Task]:
    return [fresh_task(rec) for rec in fresh_records(path)]


class FreshCheck(BaseModel):
    """One problem's check: the reference passes every hidden test, the statement parses to its examples."""

    model_config = ConfigDict(frozen=True)

    id: str
    passed: bool
    why: str | None = None
    examples_declared: int
    examples_parsed: int
    # parsed examples the reference disagrees with (a misparse or a wrong example)
    bad_examples: tuple[str, ...] = ()
    # slowest hidden test of the reference, seconds (the per-test limit is 3 s)
    slowest: float = 0.0

    @property
    def ok(self) -> bool:
        return self.passed and not self.bad_examples and self.examples_declared == self.examples_parsed


def check_fresh(
    executor: Mapper,
    cache: Store,
    records: Sequence[dict[str, Any]] | None = None,
    on_problem: Callable[[FreshCheck], None] | None = None,
) -> list[FreshCheck]:
    """Grade every reference on its hidden tests and its statement's parsed examples."""
    from codesift.bench.run import grade_references
    from codesift.execute.cached import run_all
    from codesift.extract import ProgramGroup

    records = fresh_records() if records is None else records
    out = []
    for rec in records:
        task = fresh_task(rec)
        (ref,) = grade_references([task], executor, cache)
        group = ProgramGroup(code=rec["reference"], candidates=())
        timings = run_all([group], task.hidden, executor, cache, task.problem.entry_point)[group.program]
        check = FreshCheck(
            id=task.id,
            passed=ref.passed,
            why=ref.why,
            examples_declared=rec["examples"],
            examples_parsed=len(task.problem.examples),
            bad_examples=ref.bad_examples,
            slowest=max((e.seconds for e in timings.values()), default=0.0),
        )
        out.append(check)
        if on_problem:
            on_problem(check)
    return out
