"""Programs × tests through any executor, with executions cached by (program hash, test key).

Every stage that runs programs (filtering, clustering, repair, grading) goes through `run_all`, so a
re-run on the same store executes nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from codesift.execute.executor import Job
from codesift.records import Execution, Test


class Program(Protocol):
    """What `run_all` runs: a program's source and its hash (`records.digest` of the code).

    A protocol rather than `extract.ProgramGroup`, so execution does not depend on a pipeline stage:
    groups, a reference solution or a stored candidate all fit.
    """

    @property
    def program(self) -> str: ...

    @property
    def code(self) -> str: ...


class Mapper(Protocol):
    """What `run_all` needs of an executor: the local `Executor` and Ray's `RayExecutor` both fit."""

    def map(self, jobs: Iterable[Job]) -> Iterable[tuple[Job, list[Execution]]]: ...


class ExecutionCache(Protocol):
    """The part of `codesift.store.Store` that execution uses: executions keyed by (program, test)."""

    def execution(self, program: str, test_key: str) -> Execution | None: ...

    def add_execution(self, e: Execution) -> None: ...


def run_all(
    groups: Sequence[Program],
    tests: Sequence[Test],
    executor: Mapper,
    cache: ExecutionCache | None = None,
    entry_point: str | None = None,
) -> dict[str, dict[str, Execution]]:
    """Executions of every group on every test, by program hash, then test key; cached ones reused.

    `call` tests call `entry_point` (the executor's default is the program's last function).
    """
    results: dict[str, dict[str, Execution]] = {g.program: {} for g in groups}
    jobs = []
    for g in groups:
        missing = []
        for t in tests:
            hit = cache.execution(g.program, t.key) if cache is not None else None
            if hit is None:
                missing.append(t)
            else:
                results[g.program][t.key] = hit
        if missing:
            jobs.append(Job(code=g.code, tests=tuple(missing), entry_point=entry_point))
    by_code = {g.code: g.program for g in groups}
    for job, executions in executor.map(jobs):
        program = by_code[job.code]
        for t, e in zip(job.tests, executions, strict=True):
            results[program][t.key] = e
            if cache is not None:
                cache.add_execution(e)
    return results
