"""Run the repository benchmark: contexts, samples, selection with the repo's tests, grades on hidden tests.

A run dir holds one run (`check_run` refuses other settings): ``store.sqlite`` (samples, executions, answers),
``prepared.jsonl`` (the contexts the run samples with), ``graded.jsonl`` (one `RepoRow` per graded task: what
`codesift bench repo --table` reads) and ``results.json`` (pass@k and friends: what `codesift report` reads).

Stages, so that model time and sandbox time can be spent apart: ``prepare`` (contexts only), ``sample`` (the
model only), ``grade`` (the sandbox only; a task without all its samples is skipped, the model never loads),
``all`` (everything, each task sampled, solved and graded in turn). Every stage resumes what the run dir holds.

Per task: the pipeline sees the `Problem` (stub, packed context, docstring examples); with n > 1 samples the
repo's regression tests (tests of the target's module that do not name it, passing before the change) join the
filter, then clusters pick the answer (`codesift.repo.solve`). The tests that name the target are the hidden
tests: only `grade_task` runs them, after the answer is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from codesift.backends import Backend
from codesift.bench.grade import ProblemResult, grade_task
from codesift.bench.repo import BenchTask, Materialised
from codesift.bench.run import (
    ReferenceResult,
    check_run,
    grade_reference,
    open_run_dir,
    problem_done,
    run_dir_errors,
    run_results,
    write_results,
)
from codesift.bench.tasks import BenchDataError, Task
from codesift.events import PROBLEMS, EventSink, ProblemDone, Stages, ignore
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
GRADED = "graded.jsonl"


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


class Graded(Record):
    rows: tuple[RepoRow, ...]
    skipped: int  # tasks without all their samples (stage grade)
    isolation: str


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


def sample_tasks(
    prepared: Sequence[tuple[BenchTask, Materialised]],
    config: SolveConfig,
    store: Store,
    backend_for: Callable[[Policy], Backend],
    events: EventSink | None = None,
) -> int:
    """Draw every task's samples (stored ones are not redrawn); nothing runs. Returns the tasks sampled."""
    events = events or ignore
    config = repo_config(config)
    with Stages(events).stage(PROBLEMS, len(prepared)) as progress:
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


def by_package(prepared: Sequence[tuple[BenchTask, Materialised]]) -> dict[str, list[tuple[BenchTask, Materialised]]]:
    """Tasks grouped by their package's source tree: one sandbox executor serves a package."""
    groups: dict[str, list[tuple[BenchTask, Materialised]]] = {}
    for task, m in prepared:
        groups.setdefault(m.package_root, []).append((task, m))
    return groups


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
) -> Graded:
    """Solve (sampling first only when `backend_for` is given) and grade every task; rows and results are
    rewritten after each task. Without `backend_for` a task that lacks samples is skipped."""
    events = events or ignore
    config = repo_config(config)
    policies = code_policies(config)
    rows: list[RepoRow] = []
    results: list[ProblemResult] = []
    skipped, isolation = 0, ""
    with Stages(events).stage(PROBLEMS, len(prepared)) as progress:
        for root, items in by_package(prepared).items():
            with open_repo_executor(Path(root), sandbox, pythonpath=items[0][1].pythonpath, workers=1) as ex:
                isolation = ex.isolation
                for task, m in items:
                    problem = m.task.problem
                    if backend_for is None and unsampled(problem, policies, config.samples, seed=config.seed,
                                                         store=store):  # fmt: skip
                        skipped += 1
                        progress.advance()
                        continue
                    repo_task = with_regression(m.task, ex)[0] if config.samples > 1 else m.task
                    answer = solve_in_repo(
                        repo_task, config, executor=ex, store=store, backend_for=backend_for or _no_model,
                        events=events,
                    ).answer  # fmt: skip
                    samples = sample(problem, policies, config.samples, seed=config.seed, store=store,
                                     backend_for=_no_model)  # fmt: skip
                    # the grader's view: the same problem plus the hidden tests, run on the spliced module
                    graded = Task(problem=problem, hidden=(pytest_check(task.hidden),), reference=m.reference)
                    result = grade_task(graded, samples, answer, SplicingMapper(ex, m.task.target), store)
                    rows.append(row_of(task, m, result, samples))
                    results.append(result)
                    write_rows(run_dir, rows)
                    write_results(run_dir, run_results("repo", spec, isolation, results))
                    events(problem_done(result))
                    progress.advance()
    return Graded(rows=tuple(rows), skipped=skipped, isolation=isolation)


def grade_references(
    prepared: Sequence[tuple[BenchTask, Materialised]], store: Store, *, sandbox: str = "auto",
    events: EventSink | None = None,
) -> list[ReferenceResult]:  # fmt: skip
    """Each task's reference body (the package's own) on its hidden tests and docstring examples, in the
    sandbox exactly as a sample would run: a task whose reference fails cannot grade a model fairly."""
    events = events or ignore
    out: dict[str, ReferenceResult] = {}
    with Stages(events).stage(PROBLEMS, len(prepared)) as progress:
        for root, items in by_package(prepared).items():
            with open_repo_executor(Path(root), sandbox, pythonpath=items[0][1].pythonpath, workers=1) as ex:
                for task, m in items:
                    graded = Task(problem=m.task.problem, hidden=(pytest_check(task.hidden),), reference=m.reference)
                    out[task.id] = grade_reference(graded, SplicingMapper(ex, m.task.target), store)
                    events(ProblemDone(problem_id=task.id, solved=out[task.id].passed))
                    progress.advance()
    return [out[t.id] for t, _ in prepared]


def write_rows(run_dir: Path, rows: Sequence[RepoRow]) -> None:
    with run_dir_errors(run_dir):
        (run_dir / GRADED).write_text("".join(r.model_dump_json() + "\n" for r in rows))


def read_rows(path: Path) -> list[RepoRow]:
    """Graded rows from a run dir's ``graded.jsonl`` (or such a file itself)."""
    file = path / GRADED if path.is_dir() else path
    if not file.is_file():
        raise BenchDataError(f"{file}: no graded rows; grade the run first (`codesift bench repo --run-dir ...`)")
    try:
        return [RepoRow.model_validate(json.loads(line)) for line in file.read_text().splitlines() if line.strip()]
    except ValueError as e:
        raise BenchDataError(f"{file}: not graded rows of `codesift bench repo` ({str(e).splitlines()[0]})") from None
