"""The grader: the only code that reads a task's hidden tests, and only after the answer is fixed.

Every distinct sampled program and every submission is run on the hidden (and challenge) tests.
Executions go to the run store, a cache keyed by (program, test), so regrading a resumed run is free.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from codesift.bench.tasks import Task
from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.execute.executor import Job
from codesift.extract import ProgramGroup, group
from codesift.records import Answer, Candidate, Execution, Record, Test


class ProblemResult(BaseModel):
    """One problem's grade: enough to recompute every metric and draw every plot without the tasks."""

    model_config = ConfigDict(frozen=True)

    id: str
    samples: int
    correct: int
    # per policy: [samples, correct]
    policies: dict[str, tuple[int, int]]
    distinct: int
    # hidden-test verdict of the submissions in order (empty when nothing was submitted or no answer)
    submitted: tuple[bool, ...] = ()
    answered: bool = False
    chosen: str | None = None
    chosen_challenge: bool | None = None
    # first failing hidden test of the chosen program (else of the most common sample): status and error
    failure: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    executions: int = 0

    @property
    def selected(self) -> bool:
        return bool(self.submitted and self.submitted[0])


class Grade(Record):
    """One program's verdict on a task's hidden tests (and its challenge tests, when it has some)."""

    passed: bool
    why: str | None = None  # the first failing hidden test: status and error
    challenge: bool | None = None


def _verdict(results: dict[str, Execution], task: Task) -> tuple[bool, str | None]:
    for t in task.hidden:
        e = results[t.key]
        if e.status != "passed":
            detail = e.error or (e.output.strip().splitlines() or [""])[-1]
            return False, f"{e.status} on hidden test {task.hidden.index(t) + 1}: {detail}"[:300]
    return True, None


def grade_programs(
    task: Task, codes: Sequence[str], executor: Mapper, cache: ExecutionCache | None
) -> dict[str, Grade]:
    """Each program's `Grade`, by program hash."""
    groups = [ProgramGroup(code=c, candidates=()) for c in dict.fromkeys(codes)]
    tests = (*task.hidden, *task.challenge)
    results = run_all(groups, tests, executor, cache, entry_point=task.problem.entry_point)
    _retry_timeouts(groups, tests, results, executor, cache, task.problem.entry_point)
    out = {}
    for g in groups:
        ok, why = _verdict(results[g.program], task)
        challenge = (
            all(results[g.program][t.key].status == "passed" for t in task.challenge) if task.challenge else None
        )
        out[g.program] = Grade(passed=ok, why=why, challenge=challenge)
    return out


TWICE = "timed out twice"


def _retry_timeouts(
    groups: Sequence[ProgramGroup],
    tests: Sequence[Test],
    results: dict[str, dict[str, Execution]],
    executor: Mapper,
    cache: ExecutionCache | None,
    entry_point: str | None,
) -> None:
    """Every hidden or challenge test that timed out runs once more, and the second verdict stands (in ``results``
    and the cache). A loaded machine (a model sampling beside the grader) times out programs that finish well within
    the limit when it is quiet, which made grades of large-input problems flap between runs. A second timeout
    is marked `TWICE`, so regrading from the cache does not pay for it again."""
    jobs = []
    for g in groups:
        slow = tuple(t for t in tests if results[g.program][t.key].status == "timeout" and
                     results[g.program][t.key].error != TWICE)  # fmt: skip
        if slow:
            jobs.append(Job(code=g.code, tests=slow, entry_point=entry_point))
    by_code = {g.code: g.program for g in groups}
    for job, executions in executor.map(jobs):
        for t, e in zip(job.tests, executions, strict=True):
            again = e.model_copy(update={"error": TWICE}) if e.status == "timeout" else e
            results[by_code[job.code]][t.key] = again
            if cache is not None:
                cache.add_execution(again)


def grade_task(
    task: Task,
    candidates: Sequence[Candidate],
    answer: Answer | None,
    executor: Mapper,
    cache: ExecutionCache,
) -> ProblemResult:
    """Grade every candidate (as its duplicate group's program) and the answer's submissions."""
    groups = group(candidates)
    submissions = answer.submissions if answer else ()
    verdicts = grade_programs(task, [g.code for g in groups] + [s.code for s in submissions], executor, cache)
    correct_of = {c.program: verdicts[g.program].passed for g in groups for c in g.candidates}
    policies: dict[str, tuple[int, int]] = {}
    for c in candidates:
        n, k = policies.get(c.policy, (0, 0))
        policies[c.policy] = (n + 1, k + correct_of[c.program])
    chosen = submissions[0] if submissions else None
    chosen_verdict = verdicts[chosen.program] if chosen else None
    return ProblemResult(
        id=task.id,
        samples=len(candidates),
        correct=sum(correct_of[c.program] for c in candidates),
        policies=policies,
        distinct=len(groups),
        submitted=tuple(verdicts[s.program].passed for s in submissions),
        answered=answer is not None,
        chosen=chosen.code if chosen else None,
        chosen_challenge=chosen_verdict.challenge if chosen_verdict else None,
        failure=chosen_verdict.why if chosen_verdict else (verdicts[groups[0].program].why if groups else None),
        prompt_tokens=answer.prompt_tokens if answer else sum(c.prompt_tokens for c in candidates),
        completion_tokens=answer.completion_tokens if answer else sum(c.completion_tokens for c in candidates),
        seconds=answer.seconds if answer else sum(c.seconds for c in candidates),
        executions=answer.executions if answer else 0,
    )
