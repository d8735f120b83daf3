"""solve: sample → extract → execute/filter on visible examples → (repair) → select → Answer.

When nothing passes every visible example, selection runs on the programs that pass the most of them. With an
adaptive rule (`codesift.adaptive`), sample → filter → cluster repeats chunk by chunk until the clusters settle.

Every stage is a function of its inputs and the store, so a killed solve re-run with the same store
re-samples nothing and re-executes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from codesift import syntax
from codesift.adaptive import StopRule
from codesift.backends import Backend
from codesift.events import EventSink, Stages
from codesift.execute.cached import Mapper, run_all
from codesift.extract import ProgramGroup, group
from codesift.records import Answer, Candidate, Completion, Execution, Policy, Problem, WrittenTests
from codesift.repair import Failure, repair
from codesift.sample import sample, unsampled
from codesift.select import SelectConfig, Selection, select, write_tests
from codesift.select.judge import judge
from codesift.select.written import tests_grammar, written_key
from codesift.store import Store


class SolveConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    policies: tuple[Policy, ...] = (Policy(),)
    samples: int = Field(default=8, ge=1)
    seed: int = 0
    submissions: int = Field(default=10, ge=1)
    select: SelectConfig = SelectConfig()
    # Seeds of model-written tests (CodeT agreement and probe inputs); 0 turns them off.
    test_writers: int = Field(default=1, ge=0)
    # Who writes those tests: roles may differ within a family of policies (a stronger model writing tests for a
    # smaller sampler's programs). None: the first sampling policy.
    test_writer: Policy | None = None
    # S*-style pairwise judge (`select.judge`): this policy's model settles disagreements between the two best
    # clusters on a distinguishing input. None: off (see docs/RESULTS.md for what it does on fresh problems).
    judge: Policy | None = None
    # Tokens (prompt + completion) spent repairing failing candidates; 0 turns repair off.
    repair_tokens: int = Field(default=0, ge=0)
    # Grammar-constrained decoding: "structured" constrains model-written tests to lines the parser keeps;
    # "python" also constrains sampled code to Python's lexical grammar (opt-in: see docs/RESULTS.md).
    grammar: Literal["off", "structured", "python"] = "structured"
    # Adaptive sampling: draw `samples` chunk by chunk and stop once this rule finds the clusters settled. None: all.
    adaptive: StopRule | None = None

    @model_serializer(mode="wrap")
    def _without_unused_adaptive(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Left out when off, so the settings of runs without it (run checks, bank file digests) stay as they were."""
        data: dict[str, Any] = handler(self)
        if self.adaptive is None:
            data.pop("adaptive", None)
        return data


class GrammarSettings(Protocol):
    """What `code_policies` reads of a config (`SolveConfig`, `codesift.ask.AskConfig`)."""

    @property
    def policies(self) -> tuple[Policy, ...]: ...

    @property
    def grammar(self) -> str: ...


def code_policies(config: GrammarSettings) -> tuple[Policy, ...]:
    """The sampling policies; with ``grammar="python"`` each carries the Python grammar and says so in its
    name, so constrained and unconstrained samples never share a store key."""
    if config.grammar != "python":
        return config.policies
    return tuple(
        p if p.grammar else p.model_copy(update={"grammar": "python", "name": f"{p.name}/grammar-python"})
        for p in config.policies
    )


def filter_groups(
    problem: Problem, groups: Sequence[ProgramGroup], results: dict[str, dict[str, Execution]]
) -> tuple[list[ProgramGroup], list[Failure]]:
    """Groups passing every visible example, and the first failure of each of the others that parse (a program
    that does not parse is in neither list: it has no example run to learn from)."""
    passing, failures = [], []
    for g in groups:
        if not syntax.parses(g.code):
            continue
        failed = next(
            ((t, results[g.program][t.key]) for t in problem.examples if results[g.program][t.key].status != "passed"),
            None,
        )
        if failed is None:
            passing.append(g)
        else:
            failures.append(Failure(candidate=g.candidates[0], test=failed[0], execution=failed[1]))
    return passing, failures


def best_effort(
    problem: Problem, groups: Sequence[ProgramGroup], results: dict[str, dict[str, Execution]]
) -> tuple[list[ProgramGroup], int]:
    """When no program passes every example: the parsable ones passing the most, and how many they pass.

    A wrong visible example (HumanEval/47's docstring) would otherwise leave nothing to submit; the
    submissions say how many examples they pass, so the user sees the shortfall. Programs passing no
    example at all are not worth the model-written tests and probes that ranking them would cost.
    """
    runnable = [g for g in groups if syntax.parses(g.code)]
    scored = [(sum(results[g.program][t.key].status == "passed" for t in problem.examples), g) for g in runnable]
    best = max((n for n, _ in scored), default=0)
    return ([g for n, g in scored if n == best] if best else []), best


def selection_pool(
    problem: Problem,
    passing: list[ProgramGroup],
    groups: Sequence[ProgramGroup],
    results: dict[str, dict[str, Execution]],
) -> tuple[list[ProgramGroup], int]:
    """What selection ranks (``passing`` from `filter_groups`, else the best effort) and how many examples they pass."""
    return (passing, len(problem.examples)) if passing else best_effort(problem, groups, results)


def asks_for_tests(config: SolveConfig, pool: Sequence[ProgramGroup]) -> bool:
    """Whether solve ranks `pool` with model-written tests: only when they are on and there is a choice."""
    return config.test_writers > 0 and len(pool) > 1


def test_writer(config: SolveConfig) -> Policy:
    """The policy that writes the tests (`SolveConfig.test_writer`, else the first sampling policy)."""
    return config.test_writer or config.policies[0]


def _test_writer(problem: Problem, config: SolveConfig) -> tuple[Policy, list[int]]:
    """The policy (grammar included) and seeds `written_tests` asks the model with."""
    writer = test_writer(config).model_copy(
        update={"grammar": tests_grammar(problem) if config.grammar != "off" else None}
    )
    return writer, [config.seed + i for i in range(config.test_writers)]


def written_tests_key(problem: Problem, config: SolveConfig) -> str:
    """The store key `written_tests` keeps the problem's tests under for `config` (`Store.written_tests`), so a
    replay of a run reads exactly the tests the run ranked with."""
    return written_key(problem, *_test_writer(problem, config))


def written_tests(
    problem: Problem, config: SolveConfig, store: Store, backend_for: Callable[[Policy], Backend]
) -> WrittenTests:
    """Model-written tests, stored under the writer's settings (grammar included) and seeds (`written_tests_key`);
    the writer's backend is opened only when they are not stored (a rerun loads no model for them)."""
    key = written_tests_key(problem, config)
    cached = store.written_tests(problem.id, key)
    if cached is not None:
        return cached
    writer, seeds = _test_writer(problem, config)
    backend = backend_for(test_writer(config))
    written = write_tests(problem, backend, writer, seeds=seeds, grammar=config.grammar != "off")
    store.add_written_tests(problem.id, key, written)
    return written


def _written_for(
    problem: Problem,
    config: SolveConfig,
    pool: Sequence[ProgramGroup],
    store: Store,
    backend_for: Callable[[Policy], Backend],
    stages: Stages,
) -> WrittenTests:
    """The tests `pool` is ranked with: none when they are off or there is no choice (`asks_for_tests`)."""
    if not asks_for_tests(config, pool):
        return WrittenTests()
    with stages.stage("write tests", config.test_writers) as stage:
        written = written_tests(problem, config, store, backend_for)
        stage.advance(config.test_writers)
    return written


def _repaired(
    problem: Problem,
    failures: list[Failure],
    config: SolveConfig,
    store: Store,
    backend_for: Callable[[Policy], Backend],
    executor: Mapper,
) -> list[Candidate]:
    """Repairs within ``config.repair_tokens``; each attempt is cached in the store (see `repair.repair`), so
    the set returned always matches the budget and a rerun calls the model only for attempts it lacks."""
    fixed = repair(
        problem, failures, backend_for, config.policies[0], budget_tokens=config.repair_tokens, seed=config.seed,
        executor=executor, store=store,
    )  # fmt: skip
    store.mark_repaired(problem.id)
    return fixed


def solve(
    problem: Problem,
    config: SolveConfig,
    *,
    executor: Mapper,
    store: Store,
    backend_for: Callable[[Policy], Backend],
    events: EventSink | None = None,
) -> tuple[Answer, Selection]:
    """Answer `problem`; the Selection carries the clusters and probes behind the answer.

    Every stage reports on `events` and its wall seconds land in `Answer.timings`.
    """
    started = time.perf_counter()
    stages = Stages(events)
    executions_before = store.execution_count()

    to_load = unsampled(problem, code_policies(config), config.samples, seed=config.seed, store=store)
    if to_load:
        with stages.stage("load model", len(to_load)) as stage:
            for policy in to_load:
                backend_for(policy)  # opened once and kept by the caller's pool
                stage.advance()
    rounds = config.adaptive.schedule(config.samples) if config.adaptive else [config.samples]
    for drawn in rounds:
        with stages.stage("sample", drawn) as stage:
            candidates = sample(
                problem, code_policies(config), drawn, seed=config.seed, store=store,
                backend_for=backend_for, stage=stage,
            )  # fmt: skip
        groups = group(candidates)
        with stages.stage("run examples", len(groups)) as stage:
            results = run_all(groups, problem.examples, executor, store, problem.entry_point)
            stage.advance(len(groups))
        passing, failures = filter_groups(problem, groups, results)
        if config.adaptive and drawn < config.samples:
            pool, examples_passed = selection_pool(problem, passing, groups, results)
            written = _written_for(problem, config, pool, store, backend_for, stages)
            with stages.stage("select", len(pool)) as stage:
                clusters = select(
                    problem, pool, executor=executor, config=config.select, model_tests=written.tests,
                    cache=store, examples_passed=examples_passed,
                ).clusters  # fmt: skip
                stage.advance(len(pool))
            # the clusters the final selection will see too: probes depend on the problem, not on the samples
            if config.adaptive.stops(drawn, [c.samples for c in clusters], sum(g.votes for g in passing)):
                break

    if config.repair_tokens and failures:
        with stages.stage("repair", len(failures)) as stage:
            candidates += _repaired(problem, failures, config, store, backend_for, executor)
            groups = group(candidates)
            results = run_all(groups, problem.examples, executor, store, problem.entry_point)
            passing, failures = filter_groups(problem, groups, results)
            stage.advance(stage.total)

    pool, examples_passed = selection_pool(problem, passing, groups, results)

    written = _written_for(problem, config, pool, store, backend_for, stages)

    with stages.stage("select", len(pool)) as stage:
        selection = select(
            problem, pool, executor=executor, config=config.select, model_tests=written.tests,
            submissions=config.submissions, cache=store, examples_passed=examples_passed,
        )  # fmt: skip
        stage.advance(len(pool))
    judged: tuple[Completion, ...] = ()
    if config.judge is not None and len(selection.clusters) > 1:
        with stages.stage("judge", 1) as stage:
            selection, judged = judge(problem, selection, config.judge, backend_for, store, executor, store)
            stage.advance()
    calls: list[Candidate | Completion | WrittenTests] = [*candidates, *judged, written]
    answer = Answer(
        problem_id=problem.id,
        submissions=selection.submissions,
        samples=len(candidates),
        distinct=len(groups),
        passing=len(passing),
        clusters=len(selection.clusters),
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
        executions=store.execution_count() - executions_before,
        seconds=time.perf_counter() - started,
        separating_inputs=selection.separating_inputs,
        timings=stages.seconds,
    )
    store.add_answer(answer)
    return answer, selection
