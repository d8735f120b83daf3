"""Behavioural clustering: programs with the same outputs on every probe input are one cluster."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from codesift.extract import ProgramGroup
from codesift.records import Execution, Test

if TYPE_CHECKING:
    from codesift.execute import Job

_FLOAT = re.compile(r"(?<![\w.])-?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][-+]?\d+)(?![\w.])")


class Mapper(Protocol):
    def map(self, jobs: Iterable[Job]) -> Iterable[tuple[Job, list[Execution]]]: ...


class ExecutionCache(Protocol):
    """The part of `codesift.store.Store` selection uses: executions keyed by (program, test)."""

    def execution(self, program: str, test_key: str) -> Execution | None: ...

    def add_execution(self, e: Execution) -> None: ...


def behaviour(e: Execution, digits: int = 6) -> str:
    """What a program did on one probe, comparable across programs.

    Outputs are whitespace-normalised and floats rounded to ``digits`` significant digits, so
    ``0.30000000000000004`` and ``0.3`` agree; failures compare by kind (exception type, timeout).
    """
    if e.status in ("passed", "failed"):
        text = " ".join(e.output.split())
        return "=" + _FLOAT.sub(lambda m: f"{float(m.group()):.{digits}g}", text)
    if e.status == "error":
        return f"!{e.error or 'error'}"
    return f"!{e.status}"


def run_all(
    groups: Sequence[ProgramGroup],
    tests: Sequence[Test],
    executor: Mapper,
    cache: ExecutionCache | None = None,
    entry_point: str | None = None,
) -> dict[str, dict[str, Execution]]:
    """Executions of every group on every test, by program hash, then test key; cached ones reused.

    `call` tests call `entry_point` (the executor's default is the program's last function).
    """
    from codesift.execute import Job  # the sandbox is only needed once something runs

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


def signatures(
    groups: Sequence[ProgramGroup],
    probes: Sequence[Test],
    results: Mapping[str, Mapping[str, Execution]],
    digits: int = 6,
) -> dict[str, tuple[str, ...]]:
    return {g.program: tuple(behaviour(results[g.program][p.key], digits) for p in probes) for g in groups}


def cluster(groups: Sequence[ProgramGroup], sigs: Mapping[str, tuple[str, ...]]) -> list[list[ProgramGroup]]:
    """Groups with equal signatures, each cluster's programs best first (votes, logprob, length)."""
    buckets: dict[tuple[str, ...], list[ProgramGroup]] = {}
    for g in groups:
        buckets.setdefault(sigs[g.program], []).append(g)
    return [sorted(b, key=program_order) for b in buckets.values()]


def program_order(g: ProgramGroup) -> tuple[int, float, int, str]:
    lp = g.mean_logprob
    return (-g.votes, -(lp if lp is not None else -1e9), len(g.code), g.program)


def separating(sigs: Sequence[tuple[str, ...]]) -> list[int]:
    """A small set of probe indices that tells every pair of signatures apart (greedy set cover)."""
    pairs = {(a, b) for a in range(len(sigs)) for b in range(a + 1, len(sigs))}
    chosen: list[int] = []
    width = len(sigs[0]) if sigs else 0
    while pairs:
        best = max(range(width), key=lambda i: sum(sigs[a][i] != sigs[b][i] for a, b in pairs))
        split = {(a, b) for a, b in pairs if sigs[a][best] != sigs[b][best]}
        if not split:
            break
        chosen.append(best)
        pairs -= split
    return chosen
