"""One typed event stream: what every long-running command reports while it works.

Stages emit `StageStarted` / `StageAdvanced` / `StageFinished`; sampling emits a `CandidateSampled` per
fresh sample; `bench` emits `ProblemDone` per problem. The CLI draws rich bars from it, `--json`
summaries read the per-stage seconds it leaves in the Answer, and the service streams it as
Server-Sent Events. Consumers are plain callables, so a test can collect events in a list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from codesift.records import Record


class StageStarted(Record):
    kind: Literal["stage-started"] = "stage-started"
    stage: str
    total: int


class StageAdvanced(Record):
    kind: Literal["stage-advanced"] = "stage-advanced"
    stage: str
    done: int
    total: int


class StageFinished(Record):
    kind: Literal["stage-finished"] = "stage-finished"
    stage: str
    done: int
    seconds: float


class CandidateSampled(Record):
    kind: Literal["candidate"] = "candidate"
    problem_id: str
    policy: str
    seed: int
    program: str
    completion_tokens: int
    reused: bool = False


class ProblemDone(Record):
    kind: Literal["problem-done"] = "problem-done"
    problem_id: str
    solved: bool | None = None
    seconds: float = 0.0


Event = Annotated[
    StageStarted | StageAdvanced | StageFinished | CandidateSampled | ProblemDone, Field(discriminator="kind")
]
EventSink = Callable[[Event], None]
# The stage a benchmark wraps around its problems; the stages of each problem's solve run inside it.
PROBLEMS = "problems"
EVENT: TypeAdapter[Event] = TypeAdapter(Event)


def ignore(event: Event) -> None:
    """The sink for callers that do not watch."""


class Stage:
    """A running stage: `advance` reports progress; the count is kept for the finish event."""

    def __init__(self, name: str, total: int, sink: EventSink) -> None:
        self.name, self.total, self.sink, self.done = name, total, sink, 0

    def advance(self, n: int = 1) -> None:
        if n:
            self.done += n
            self.sink(StageAdvanced(stage=self.name, done=self.done, total=self.total))


class Stages:
    """Opens stages on one sink and keeps each stage's wall seconds (summed if a stage runs twice)."""

    def __init__(self, sink: EventSink | None = None) -> None:
        self.sink: EventSink = sink or ignore
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Stage]:
        started = time.perf_counter()
        stage = Stage(name, total, self.sink)
        self.sink(StageStarted(stage=name, total=total))
        try:
            yield stage
        finally:
            spent = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + spent
            self.sink(StageFinished(stage=name, done=stage.done, seconds=spent))
