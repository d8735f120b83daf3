"""Solve a target in a repository with the ordinary pipeline: the problem comes from `task.build_task`, the
executor is wrapped so every candidate function is spliced into its module before it runs, and the chosen
program comes back as a unified diff against the repository (written only when the caller applies it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from codesift.backends import Backend
from codesift.events import EventSink
from codesift.execute.cached import Mapper
from codesift.execute.executor import Job
from codesift.pipeline import SolveConfig, solve
from codesift.records import Answer, Execution, Policy, Record, digest
from codesift.repo.index import RepoError, index_repo
from codesift.repo.target import Target, splice, unified_diff
from codesift.repo.task import RepoTask, pytest_check, regression_ids, test_functions
from codesift.select import SelectConfig
from codesift.store import Store

# Probes call the entry point with generated arguments, which means nothing for a method or a function that
# needs the repository's objects; clusters in repo mode are the distinct programs, ranked by votes. The speed
# check and logprob ties (defaults since session 10) were measured on function and stdio problems only: off here.
REPO_SELECT = SelectConfig(
    mutations=False, typed=False, model_inputs=False, max_probes=0, w_codet=0.0, stress=None, ties=None
)


class SplicingMapper:
    """An executor seen through the target: a job's code (the candidate function) becomes its whole module
    with the candidate's body spliced in, overlaid on the repository for that run (the sandbox's repo
    profile); the checks are ``assert`` tests that import the module and run the docstring or the repo's tests."""

    def __init__(self, inner: Mapper, target: Target) -> None:
        self.inner, self.target = inner, target

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, list[Execution]]]:
        waiting: dict[str, list[Job]] = {}
        spliced = []
        for job in jobs:
            module = splice(self.target, job.code)
            waiting.setdefault(module, []).append(job)
            spliced.append(dataclasses.replace(job, code="", entry_point=None, overlay=((self.target.path, module),)))
        for ran, executions in self.inner.map(spliced):
            job = waiting[ran.overlay[0][1]].pop()
            # verdicts belong to the candidate (what the caches key on), not to the empty driver program
            yield job, [e.model_copy(update={"program": digest(job.code)}) for e in executions]


def with_regression(task: RepoTask, executor: Mapper) -> tuple[RepoTask, list[str]]:
    """Add the repo's regression tests (`task.regression_ids`) that pass before any change as one more check;
    those failing before any change are returned (reported and excluded, as Agentless does).

    "Before any change" is the target's module as the task has it (overlaid): the user's file as it is, or a
    benchmark's blanked module over the package's pristine source, so tests that reach the missing body through
    other functions fail here and are left out in both cases."""
    root = Path(task.root)
    files = index_repo(root)
    ids = regression_ids(task.target, files, test_functions(root))
    if not ids:
        return task, []
    before = ((task.target.path, task.target.source),)
    [(_, executions)] = list(executor.map([Job(code="", tests=tuple(pytest_check([i]) for i in ids), overlay=before)]))
    passing = [i for i, e in zip(ids, executions, strict=True) if e.status == "passed"]
    broken = [i for i in ids if i not in passing]
    if not passing:
        return task, broken
    check = pytest_check(passing, label="regression tests")
    problem = task.problem.model_copy(update={"examples": (*task.problem.examples, check)})
    return task.model_copy(update={"problem": problem}), broken


def repo_config(config: SolveConfig) -> SolveConfig:
    """The settings a repo solve runs with: no probes and no model-written tests (`REPO_SELECT`)."""
    return config.model_copy(update={"select": REPO_SELECT, "test_writers": 0})


class RepoAnswer(Record):
    target: str
    diff: str
    module: str | None  # the new module text, None when nothing was chosen
    checks: tuple[tuple[str, bool], ...]  # (check, passed) for the chosen program
    context_tokens: int
    answer: Answer


def describe(test_input: str) -> str:
    """A check as one line for the user: its first line, a comment naming it (`task.doctest_check`, `pytest_check`)."""
    return test_input.split("\n", 1)[0].lstrip("# ")


def solve_in_repo(
    task: RepoTask,
    config: SolveConfig,
    *,
    executor: Mapper,
    store: Store,
    backend_for: Callable[[Policy], Backend],
    events: EventSink | None = None,
) -> RepoAnswer:
    """Sample, run the checks in the repo, select; the best program as a diff (the user's tree untouched)."""
    config = repo_config(config)
    mapper = SplicingMapper(executor, task.target)
    answer, _ = solve(task.problem, config, executor=mapper, store=store, backend_for=backend_for, events=events)
    best = answer.submissions[0] if answer.submissions else None
    module = splice(task.target, best.code) if best else None
    checks: tuple[tuple[str, bool], ...] = ()
    if best:
        ran = [(t, store.execution(best.program, t.key)) for t in task.problem.examples]
        checks = tuple((describe(t.input), e is not None and e.status == "passed") for t, e in ran)
    return RepoAnswer(
        target=task.target.spec,
        diff=unified_diff(task.target, module) if module else "",
        module=module,
        checks=checks,
        context_tokens=task.context.tokens,
        answer=answer,
    )


def apply(root: Path, result: RepoAnswer, target: Target) -> None:
    """Write the chosen module over the target's file (the user asked for it with --apply)."""
    file = root / target.path
    if file.read_text(encoding="utf-8") != target.source:
        raise RepoError(f"{target.path} changed while codesift ran; nothing written, run it again")
    if result.module is not None:
        file.write_text(result.module, encoding="utf-8")
