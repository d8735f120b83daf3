"""ask: sample programs → run them on the data → format → feed errors back (bounded) → cluster by answer.

After every run, a program that ran but did not print every answer line gets one greedy, grammar-constrained model
call that writes the answer lines from its output (`codesift.ask.formatter`; off with ``grammar="off"``); what the
formatter could not support from the output stays unanswered and is fed back like any other failure.

Every candidate (sampled or retried) is written to the run store as it arrives and every execution is cached
by (program, data), so a killed ask re-run with the same store samples and runs nothing twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesift.ask.answers import AnswerCluster, answer_lines, cluster_answers
from codesift.ask.formatter import format_attempt, needs_format
from codesift.ask.program import Attempt, Figure, run_candidates
from codesift.ask.prompt import ask_prompt, retry_prompt
from codesift.ask.question import Question
from codesift.ask.table import Table
from codesift.backends import Backend
from codesift.events import EventSink, Stages
from codesift.execute.cached import Mapper
from codesift.pipeline import code_policies
from codesift.records import Candidate, Policy, Problem, Record, digest
from codesift.sample import drawn, sample, to_candidate
from codesift.store import Store


class AskConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    policies: tuple[Policy, ...] = (Policy(max_tokens=512),)
    samples: int = Field(default=8, ge=1)
    seed: int = 0
    # Rounds of retry-with-error, and how many failing programs (likeliest first) each round feeds back.
    retries: int = Field(default=1, ge=0)
    retry_width: int = Field(default=4, ge=1)
    # When to retry: "no-answer" (default) only when no program produced a well-formed answer, the questions the
    # answer vote cannot settle at all; "failures" whenever some program failed. A retry costs a new prompt per
    # program, about as much as a batch of samples; on DABench the no-answer rule lifted the 1.5B's answer-majority
    # by 2 of 43 questions at +20 s per question (docs/RESULTS.md).
    retry_when: Literal["failures", "no-answer"] = "no-answer"
    # Per-run wall limit of the sandbox (the executor enforces it; the feedback quotes it).
    timeout: float = Field(default=20.0, gt=0)
    # Grammar-constrained decoding, as `codesift solve`: "structured" lets the answer formatter write the answer
    # lines a program that ran left out (`codesift.ask.formatter`); "python" also constrains the sampled code to
    # Python's lexical grammar; "off" neither (a program that prints no answer line counts as no answer).
    grammar: Literal["off", "structured", "python"] = "structured"


class Alternative(Record):
    answer: dict[str, str]
    count: int


class AskAnswer(Record):
    """The answer, the program behind it, and how much of the evidence agrees.

    `formatted_names`: the chosen answer's names whose lines the formatter wrote from the chosen program's output
    (empty: the program printed them itself); `formatted`: how many attempts the formatter completed.
    """

    question_id: str
    answer: dict[str, str] | None
    response: str
    program: str | None
    agreement: int
    answered: int
    alternatives: tuple[Alternative, ...]
    low_confidence: bool
    samples: int
    errors_fed_back: int
    failures: dict[str, int]
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    timings: dict[str, float] = Field(default_factory=dict)
    figures: tuple[Figure, ...] = ()
    formatted: int = 0
    formatted_names: tuple[str, ...] = ()


def task_problem(table: Table, question: Question) -> Problem:
    """The `Problem` the sampler keys candidates by: its id covers the data, the question and the whole prompt."""
    prompt = ask_prompt(table, question)
    return Problem(id=f"{question.id}-{digest(table.sha256 + prompt.model_dump_json())}", prompt=question.text,
                   style="stdio")  # fmt: skip


def _retry(
    problem: Problem, table: Table, question: Question, failing: Sequence[Attempt], round_: int, config: AskConfig,
    store: Store, backend_for: Callable[[Policy], Backend],
) -> list[Candidate]:  # fmt: skip
    """One fix per failing program; a stored fix is reused (the store keys it by its prompt, which holds the
    failed program and its error, and by the round's seed)."""
    by_name = {p.name: p for p in code_policies(config)}
    seed = config.seed + round_
    out = []
    for attempt in failing:
        policy = by_name.get(attempt.candidate.policy, code_policies(config)[0])
        prompt = retry_prompt(table, question, attempt, config.timeout)
        found, missing = drawn(problem, prompt, policy, [seed], "retry", store)
        if missing:
            completion = backend_for(policy).complete(prompt, [seed], policy)[0]
            found[seed] = to_candidate(problem, policy, prompt, completion, "retry")
            store.add_candidate(found[seed])
        out.append(found[seed])
    return out


def _failing(attempts: Sequence[Attempt], width: int) -> list[Attempt]:
    """Distinct failing programs, likeliest first, at most `width`."""
    seen: dict[str, Attempt] = {}
    for a in sorted(attempts, key=lambda a: -(a.candidate.mean_logprob or -1e9)):
        if not a.answered and a.candidate.code not in seen:
            seen[a.candidate.code] = a
    return list(seen.values())[:width]


def choose(attempts: Sequence[Attempt], question: Question) -> list[AnswerCluster]:
    """Answer clusters, the chosen one first (largest; ties to computed, then printed answers, then the likelier)."""
    keys = [a.key(question) for a in attempts]
    logprobs = [a.candidate.mean_logprob for a in attempts]
    return cluster_answers(keys, logprobs, [a.constant for a in attempts], [bool(a.formatted) for a in attempts])


def _formatted(
    attempts: list[Attempt], problem: Problem, question: Question, config: AskConfig, store: Store,
    backend_for: Callable[[Policy], Backend], stages: Stages,
) -> list[Attempt]:  # fmt: skip
    """The attempts with the formatter run on those that `needs_format` (all of them as they were when off)."""
    todo = sum(needs_format(a) for a in attempts)
    if config.grammar == "off" or not todo:
        return attempts
    with stages.stage("format", todo) as stage:
        policy, seed = config.policies[0], config.seed
        done = [
            format_attempt(a, question, problem.id, policy, seed, store, backend_for) if needs_format(a) else a
            for a in attempts
        ]
        stage.advance(todo)
    return done


def ask(
    table: Table,
    question: Question,
    config: AskConfig,
    *,
    executor: Mapper,
    store: Store,
    backend_for: Callable[[Policy], Backend],
    events: EventSink | None = None,
) -> tuple[AskAnswer, tuple[Attempt, ...]]:
    """Answer `question` about `table`; every attempt (sampled or retried) comes back with the answer."""
    started = time.perf_counter()
    stages = Stages(events)
    problem = task_problem(table, question)
    with stages.stage("sample", config.samples) as stage:
        candidates = sample(
            problem, code_policies(config), config.samples, seed=config.seed, store=store, backend_for=backend_for,
            stage=stage, prompt_for=lambda _problem, _variant: ask_prompt(table, question),
        )  # fmt: skip
    with stages.stage("run", len(candidates)) as stage:
        attempts = run_candidates(candidates, question, table, executor, store)
        stage.advance(len(candidates))
    attempts = _formatted(attempts, problem, question, config, store, backend_for, stages)
    fed_back, fresh = 0, attempts
    for round_ in range(1, config.retries + 1):
        failing = _failing(fresh, config.retry_width)
        if not failing or (config.retry_when == "no-answer" and any(a.answered for a in attempts)):
            break
        with stages.stage("retry", len(failing)) as stage:
            fixed = _retry(problem, table, question, failing, round_, config, store, backend_for)
            fresh = run_candidates(fixed, question, table, executor, store)
            fed_back += len(failing)
            stage.advance(len(failing))
        fresh = _formatted(fresh, problem, question, config, store, backend_for, stages)
        attempts = attempts + fresh
    with stages.stage("select", len(attempts)) as stage:
        clusters = choose(attempts, question)
        stage.advance(len(attempts))
    best = attempts[clusters[0].members[0]] if clusters else None
    calls = [a.candidate for a in attempts]
    formats = [a.format_call for a in attempts if a.format_call is not None]
    answer = AskAnswer(
        question_id=question.id,
        answer=dict(best.values) if best else None,
        response=answer_lines(best.values, question.names) if best else "",
        program=best.candidate.code if best else None,
        agreement=clusters[0].size if clusters else 0,
        answered=sum(a.answered for a in attempts),
        alternatives=tuple(Alternative(answer=attempts[c.members[0]].values, count=c.size) for c in clusters[1:]),
        low_confidence=not clusters or clusters[0].size < 2,
        samples=len(attempts),
        errors_fed_back=fed_back,
        failures=dict(Counter(a.status for a in attempts if not a.answered)),
        prompt_tokens=sum(c.prompt_tokens for c in calls) + sum(c.prompt_tokens for c in formats),
        completion_tokens=sum(c.completion_tokens for c in calls) + sum(c.completion_tokens for c in formats),
        seconds=time.perf_counter() - started,
        timings=stages.seconds,
        figures=best.figures if best else (),
        formatted=sum(a.answered and bool(a.formatted) for a in attempts),
        formatted_names=best.formatted if best else (),
    )
    return answer, tuple(attempts)
