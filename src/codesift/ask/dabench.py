"""InfiAgent-DABench through `ask`: load the questions, answer each, score with the official rules.

Data: `<data>/dabench/questions.jsonl`, `labels.jsonl`, `tables/*.csv` (CC BY-NC 4.0: evaluation only, never
copied into the repository or the package). The labels live only in `DabenchTask.labels`, which `ask` never
receives: they are read by `grade` after the answer is fixed.

Scoring is `eval_closed_form.py` of the source repository: answers are read from the response with
`@(\\w+)\\[(.*?)\\]` (a name given twice keeps its last value), a sub-answer is right when the strings are equal or
both parse as floats within 1e-6; ABQ = every sub-answer right, PSAQ = share of sub-answers right per question,
UASQ = sub-answers right over all sub-answers. One deviation, stated: the official script drops questions with
an empty response from the denominators; here every question counts (an empty response is wrong).

Methods per question, from one run of n samples (+ retries): answer-majority (the chosen cluster's response),
filter + random (expected score of a uniform pick among the programs that answered every name; among all
programs when none did), and oracle@n (the best program). Greedy is a run with `--samples 1 --temperature 0`.
With the answer formatter on (``AskConfig.grammar``, the default), a program "answered" also when the formatter
wrote its missing answer lines from its output; every method scores those answers like printed ones, and
`QuestionResult.formatted` counts them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

from pydantic import BaseModel, ConfigDict

from codesift.ask.answers import ANSWER
from codesift.ask.pipeline import AskAnswer, AskConfig, ask
from codesift.ask.program import Attempt
from codesift.ask.question import Question, make_question
from codesift.ask.table import Table, load_table
from codesift.backends import Backend
from codesift.bench.metrics import Interval, bootstrap
from codesift.bench.run import check_run, each_task, open_run_dir
from codesift.bench.tasks import BenchDataError, data_dir, select
from codesift.events import EventSink, ProblemDone, ignore
from codesift.execute.cached import Mapper
from codesift.records import Policy, Record

LEVELS = ("easy", "medium", "hard")
METHODS = ("majority", "filter_random", "oracle")


class DabenchTask(Record):
    """A question the pipeline may see, the table it is about, and the labels only `grade` reads."""

    question: Question
    table: str
    level: str
    labels: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        return self.question.id


def load_dabench(data: str | Path | None = None) -> list[DabenchTask]:
    root = data_dir(data) / "dabench"
    paths = [root / "questions.jsonl", root / "labels.jsonl"]
    for path in paths:
        if not path.is_file():
            raise BenchDataError(f"{path} not found; pass --data DIR (or $CODESIFT_DATA) holding dabench/.")
    questions, labels = ([json.loads(line) for line in p.read_text().splitlines() if line.strip()] for p in paths)
    by_id = {rec["id"]: rec["common_answers"] for rec in labels}
    tasks = []
    for rec in questions:
        question = make_question(rec["question"], rec.get("constraints", ""), rec["format"], id=f"DABench/{rec['id']}")
        tasks.append(
            DabenchTask(
                question=question,
                table=str(root / "tables" / rec["file_name"]),
                level=rec["level"],
                labels=tuple((str(n), str(v)) for n, v in by_id[rec["id"]]),
            )
        )
    return tasks


def pick(tasks: list[DabenchTask], problems: str | None, every: int, limit: int | None) -> list[DabenchTask]:
    """`--problems 0,5` (DABench ids), then every `every`-th question (a fixed subset), then the first `limit`."""
    tasks = select(tasks, problems)[::every]
    return tasks[:limit] if limit is not None else tasks


# --- the official scorer --------------------------------------------------------------------------------


def is_equal(response: str | None, label: str) -> bool:
    """`eval_closed_form.is_equal`: equal strings, or both floats within 1e-6."""
    if response == label:
        return True
    try:
        return abs(float(response) - float(label)) < 1e-6  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def correctness(response: str, labels: Sequence[tuple[str, str]]) -> list[bool]:
    """One verdict per labelled sub-answer, as `eval_closed_form.evaluate_responses` computes it."""
    extracted = dict(ANSWER.findall(response))
    return [is_equal(extracted.get(name), value) for name, value in labels]


class Score(BaseModel):
    """One method's score on one question: ABQ (0/1 or an expectation), PSAQ, and sub-answers right."""

    model_config = ConfigDict(frozen=True)

    abq: float
    psaq: float
    right: float
    total: int

    @classmethod
    def of(cls, verdicts: Sequence[bool]) -> Score:
        return cls(abq=float(all(verdicts)), psaq=fmean(verdicts), right=float(sum(verdicts)), total=len(verdicts))

    @classmethod
    def expected(cls, scores: Sequence[Score]) -> Score:
        return cls(abq=fmean(s.abq for s in scores), psaq=fmean(s.psaq for s in scores),
                   right=fmean(s.right for s in scores), total=scores[0].total)  # fmt: skip


class QuestionResult(BaseModel):
    """Everything a table row needs about one question (committed under docs/runs/: no DABench text or label,
    which are CC BY-NC and stay outside the repository; the response is the model's)."""

    model_config = ConfigDict(frozen=True)

    id: str
    level: str
    response: str
    scores: dict[str, Score]
    samples: int
    answered: int
    agreement: int
    clusters: int
    errors_fed_back: int
    failures: dict[str, int]
    prompt_tokens: int
    completion_tokens: int
    model_seconds: float
    seconds: float
    formatted: int = 0  # attempts whose answer lines the formatter wrote (results from before it: 0)


def grade(task: DabenchTask, answer: AskAnswer, attempts: Sequence[Attempt]) -> QuestionResult:
    """Score the chosen answer and every attempt; the labels are read here and nowhere earlier."""
    each = [Score.of(correctness(a.response, task.labels)) for a in attempts]
    answered = [s for s, a in zip(each, attempts, strict=True) if a.answered]
    best = max(each, key=lambda s: (s.abq, s.psaq)) if each else Score.of([False] * len(task.labels))
    return QuestionResult(
        id=task.id,
        level=task.level,
        response=answer.response,
        scores={
            "majority": Score.of(correctness(answer.response, task.labels)),
            "filter_random": Score.expected(answered or each) if each else best,
            "oracle": best,
        },
        samples=answer.samples,
        answered=answer.answered,
        agreement=answer.agreement,
        clusters=len(answer.alternatives) + (answer.answer is not None),
        errors_fed_back=answer.errors_fed_back,
        failures=answer.failures,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        model_seconds=sum(a.candidate.seconds + (a.format_call.seconds if a.format_call else 0.0) for a in attempts),
        seconds=answer.seconds,
        formatted=answer.formatted,
    )


class Row(BaseModel):
    """One method over a set of questions."""

    model_config = ConfigDict(frozen=True)

    method: str
    questions: int
    abq: Interval
    psaq: float
    uasq: float
    by_level: dict[str, float]


def rows(results: Sequence[QuestionResult]) -> list[Row]:
    out = []
    for method in METHODS:
        scores = [r.scores[method] for r in results]
        levels = {
            level: fmean(s.abq for s, r in zip(scores, results, strict=True) if r.level == level)
            for level in LEVELS
            if any(r.level == level for r in results)
        }
        out.append(
            Row(
                method=method,
                questions=len(results),
                abq=bootstrap([s.abq for s in scores]),
                psaq=fmean(s.psaq for s in scores),
                uasq=sum(s.right for s in scores) / sum(s.total for s in scores),
                by_level=levels,
            )
        )
    return out


class DabenchRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    config: dict[str, Any]
    isolation: str
    rows: tuple[Row, ...]
    problems: tuple[QuestionResult, ...]


def run_dabench(
    tasks: Sequence[DabenchTask],
    run_dir: Path,
    config: AskConfig,
    *,
    executor: Mapper,
    backend_for: Callable[[Policy], Backend],
    isolation: str = "",
    events: EventSink | None = None,
) -> DabenchRun:
    """Answer and grade every question, resuming what the run dir holds; results.json after every question."""
    settings = config.model_dump(mode="json")
    tables: dict[str, Table] = {}

    def run(results: Sequence[QuestionResult]) -> DabenchRun:
        return DabenchRun(config=settings, isolation=isolation, rows=tuple(rows(results)), problems=tuple(results))

    def done(result: QuestionResult) -> ProblemDone:
        return ProblemDone(problem_id=result.id, solved=result.scores["majority"].abq == 1, seconds=result.seconds)

    with open_run_dir(run_dir) as store:
        check_run(store, {"benchmark": "dabench", "config": settings}, run_dir)

        def step(task: DabenchTask) -> QuestionResult:
            stored = store.graded(task.id, QuestionResult)
            if stored is not None:
                return stored
            table = tables.get(task.table) or tables.setdefault(task.table, load_table(task.table))
            answer, attempts = ask(
                table, task.question, config, executor=executor, store=store, backend_for=backend_for
            )
            result = grade(task, answer, attempts)
            store.add_graded(task.id, result)
            return result

        results = each_task(tasks, step, run_dir=run_dir, results=run, done=done, events=events or ignore)
    return run(results)
