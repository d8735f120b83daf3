"""Run the repository benchmark: contexts, samples, selection with the repo's tests, grades on hidden tests.

A run dir holds one run (`check_run` refuses other settings): ``store.sqlite`` (samples, executions, answers,
graded tasks), ``prepared.jsonl`` (the contexts the run samples with) and ``results.json`` (`RepoResults`: pass@k
and friends, what `codesift report` reads, plus one `RepoRow` per graded task, what `--table` reads).

Stages, so that model time and sandbox time can be spent apart: ``prepare`` (contexts only), ``sample`` (the
model only), ``grade`` (the sandbox only; a task without all its samples is skipped, the model never loads),
``all`` (everything, each task sampled, solved and graded in turn). Every stage resumes what the run dir holds.

Per task: the pipeline sees the `Problem` (stub, packed context, docstring examples); with n > 1 samples the
repo's regression tests (tests of the target's module that do not name it, passing before the change) join the
filter, then clusters pick the answer (`codesift.repo.solve`). The tests that name the target are the hidden
tests: only `grade_task` runs them, after the answer is fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from codesift.backends import Backend
from codesift.bench.grade import ProblemResult, grade_task
from codesift.bench.repo import BenchTask, Materialised
from codesift.bench.run import (
    ReferenceResult,
    RunResults,
    check_run,
    each_task,
    grade_reference,
    open_run_dir,
    problem_done,
    run_results,
)
from codesift.bench.tasks import BenchDataError, Task
from codesift.events import PROBLEMS, EventSink, ProblemDone, Stages, ignore
from codesift.execute import Executor
from codesift.pipeline import SolveConfig, code_policies
from codesift.records import Candidate, Policy, Record
from codesift.repo.context import Mode
from codesift.repo.sandbox import open_repo_executor
from codesift.repo.solve import SplicingMapper, repo_config, solve_in_repo, with_regression
from codesift.repo.task import pytest_check
from codesift.sample import sample, unsampled
from codesift.store import Store

Stage = Literal["all", "prepare", "sample", "grade"]
STAGES: tuple[Stage, ...] = ("all", "prepare", "sample", "grade")
PREPARED = "prepared.jsonl"


class RepoRow(Record):
    """One graded task as the table needs it (the rows of runs made with ``bench/repo_bench.py`` read the same)."""

    id: str
    package: str
    passed: bool  # the chosen program passes every hidden test
    status: str  # the chosen program's verdict: passed, failed, error, timeout, ...
    raw: float  # share of samples passing (raw pass@1)
    oracle: bool  # some sample passes
    recall: float | None  # retrieval recall of the context (None: the reference calls no package function)
    context_tokens: int  # the packed context, estimated
    prompt_tokens: float  # per sample, the model's count
    completion_tokens: int  # all samples
    seconds: float  # model seconds, all samples


class RepoGrade(Record):
    """A graded task, kept in the run store so a resumed run neither answers nor grades it again."""

    row: RepoRow
    result: ProblemResult


class RepoResults(RunResults):
    """`RunResults` (what `codesift report` reads) plus the table's rows."""

    rows: tuple[RepoRow, ...] = ()


def repo_results(spec: dict[str, Any], isolation: str, grades: Sequence[RepoGrade]) -> RepoResults:
    run = run_results("repo", spec, isolation, [g.result for g in grades])
    return RepoResults(**dict(run), rows=tuple(g.row for g in grades))


def run_spec(config: SolveConfig, mode: Mode, budget: int) -> dict[str, Any]:
    """What a repo run is: its context and the settings the solve runs with (a run dir holds one)."""
    return {
        "benchmark": "repo",
        "context": mode,
        "tokens": budget,
        "config": repo_config(config).model_dump(mode="json"),
    }


def open_repo_run(run_dir: Path, spec: dict[str, Any]) -> Store:
    """The run dir's store, refusing a run dir that holds a run with other settings."""
    store = open_run_dir(run_dir)
    try:
        check_run(store, spec, run_dir)
    except BenchDataError:
        store.close()
        raise
    return store


def _no_model(policy: Policy) -> Backend:
    raise BenchDataError(f"a task lacks samples of {policy.name}; sample it first (grading never loads the model)")


class PackageExecutors:
    """The sandbox's repo profile for each package's source tree, one executor open at a time: call it with
    tasks grouped by package (`by_package`)."""

    def __init__(self, sandbox: str) -> None:
        self.sandbox, self.isolation = sandbox, ""
        self._open = ExitStack()
        self._root: str | None = None
        self._ex: Executor | None = None

    def __call__(self, m: Materialised) -> Executor:
        if self._ex is None or m.package_root != self._root:
            self._open.close()
            repo = open_repo_executor(Path(m.package_root), self.sandbox, pythonpath=m.pythonpath, workers=1)
            self._ex = self._open.enter_context(repo)
            self._root, self.isolation = m.package_root, self._ex.isolation
        return self._ex

    def __enter__(self) -> PackageExecutors:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._open.close()


def by_package(prepared: Sequence[tuple[BenchTask, Materialised]]) -> list[tuple[BenchTask, Materialised]]:
    """The tasks grouped by package source tree (first-seen order), so one executor serves a package's tasks."""
    groups: dict[str, list[tuple[BenchTask, Materialised]]] = {}
    for task, m in prepared:
        groups.setdefault(m.package_root, []).append((task, m))
    return [item for items in groups.values() for item in items]


def sample_tasks(
    prepared: Sequence[tuple[BenchTask, Materialised]],
    config: SolveConfig,
    store: Store,
    backend_for: Callable[[Policy], Backend],
    events: EventSink | None = None,
) -> int:
    """Draw every task's samples (stored ones are not redrawn); nothing runs. Returns the tasks sampled."""
    config = repo_config(config)
    with Stages(events or ignore).stage(PROBLEMS, len(prepared)) as progress:
        for _task, m in prepared:
            sample(m.task.problem, code_policies(config), config.samples, seed=config.seed, store=store,
                   backend_for=backend_for)  # fmt: skip
            progress.advance()
    return len(prepared)


def row_of(task: BenchTask, m: Materialised, result: ProblemResult, samples: Sequence[Candidate]) -> RepoRow:
    status = "passed" if result.selected else (result.failure or "unanswered").split(" ", 1)[0]
    return RepoRow(
        id=task.id, package=task.package, passed=result.selected, status=status,
        raw=result.correct / max(result.samples, 1), oracle=result.correct > 0, recall=m.recall,
        context_tokens=m.task.context.tokens,
        prompt_tokens=sum(c.prompt_tokens for c in samples) / max(len(samples), 1),
        completion_tokens=sum(c.completion_tokens for c in samples), seconds=sum(c.seconds for c in samples),
    )  # fmt: skip


def _graded_task(task: BenchTask, m: Materialised) -> Task:
    """The grader's view: the problem the pipeline saw plus the hidden tests (the package tests naming the target)."""
    return Task(problem=m.task.problem, hidden=(pytest_check(task.hidden),), reference=m.reference)


def grade_tasks(
    prepared: Sequence[tuple[BenchTask, Materialised]],
    config: SolveConfig,
    store: Store,
    run_dir: Path,
    spec: dict[str, Any],
    *,
    sandbox: str = "auto",
    backend_for: Callable[[Policy], Backend] | None = None,
    events: EventSink | None = None,
) -> tuple[RepoResults, int]:
    """Solve (sampling first only when `backend_for` is given) and grade every task, resuming what the store
    holds; without `backend_for` a task that lacks samples is skipped. Returns the results and the skipped count."""
    config = repo_config(config)
    policies = code_policies(config)

    def ready(task: BenchTask, m: Materialised) -> bool:
        if backend_for is not None or store.graded(task.id, RepoGrade) is not None:
            return True
        return not unsampled(m.task.problem, policies, config.samples, seed=config.seed, store=store)

    todo = by_package([(t, m) for t, m in prepared if ready(t, m)])
    with PackageExecutors(sandbox) as executors:

        def step(item: tuple[BenchTask, Materialised]) -> RepoGrade:
            task, m = item
            stored = store.graded(task.id, RepoGrade)
            if stored is not None:
                return stored
            ex = executors(m)
            repo_task = with_regression(m.task, ex)[0] if config.samples > 1 else m.task
            answer = solve_in_repo(
                repo_task, config, executor=ex, store=store, backend_for=backend_for or _no_model, events=events
            ).answer
            samples = sample(m.task.problem, policies, config.samples, seed=config.seed, store=store,
                             backend_for=_no_model)  # fmt: skip
            result = grade_task(_graded_task(task, m), samples, answer, SplicingMapper(ex, m.task.target), store)
            grade = RepoGrade(row=row_of(task, m, result, samples), result=result)
            store.add_graded(task.id, grade)
            return grade

        def results(grades: Sequence[RepoGrade]) -> RepoResults:
            return repo_results(spec, executors.isolation, grades)

        grades = each_task(
            todo, step, run_dir=run_dir, results=results, done=lambda g: problem_done(g.result), events=events or ignore
        )
        return results(grades), len(prepared) - len(todo)


def grade_references(
    prepared: Sequence[tuple[BenchTask, Materialised]], store: Store, *, sandbox: str = "auto",
    events: EventSink | None = None,
) -> list[ReferenceResult]:  # fmt: skip
    """Each task's reference body (the package's own) on its hidden tests and docstring examples, in the
    sandbox exactly as a sample would run: a task whose reference fails cannot grade a model fairly."""
    events = events or ignore
    out: dict[str, ReferenceResult] = {}
    with PackageExecutors(sandbox) as executors, Stages(events).stage(PROBLEMS, len(prepared)) as progress:
        for task, m in by_package(prepared):
            mapper = SplicingMapper(executors(m), m.task.target)
            out[task.id] = grade_reference(_graded_task(task, m), mapper, store)
            events(ProblemDone(problem_id=task.id, solved=out[task.id].passed))
            progress.advance()
    return [out[t.id] for t, _ in prepared]
