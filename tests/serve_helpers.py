"""Test helpers for `codesift serve`: the real app on a real port, fed recorded real completions.

`PacedReplay` answers only with recorded completions of the 0.5B model; it can wait on a gate or
sleep before answering (a slow model), never invent an output. `python tests/serve_helpers.py`
runs such a server in its own process (the restart test kills it; bench/serve_load.py measures it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from replay import RECORDING, ReplayBackend

from codesift.backends.models import FAST_MODEL
from codesift.bench.grade import grade_programs
from codesift.bench.tasks import Task
from codesift.execute.cached import Mapper
from codesift.prompt import build_prompt
from codesift.records import Candidate, Completion, Policy, Problem, Prompt, digest
from codesift.serve.app import create_app, guarded
from codesift.serve.service import ServeConfig, Service

DATA = Path(__file__).parent / "data"
MBPP_594 = DATA / "select_mbpp_594.json"
EXAMPLES = Path(__file__).parent.parent / "examples"


TASK_594 = Task.model_validate(json.loads(MBPP_594.read_text())["task"])


def right_choice(view: dict[str, Any], executor: Mapper) -> str | None:
    """What a user who knows the task answers to GET /clusters: the behaviour of a shown cluster that is right.

    Knowing is grading the shown programs on MBPP/594's hidden tests: the user plays the oracle, the
    service never sees those tests.
    """
    d = view["disagreement"]
    if d is None:
        return None
    shown = view["clusters"][: len(d["behaviours"])]
    right = grade_programs(TASK_594, [c["code"] for c in shown], executor, None)
    return next(str(c["behaviour"]) for c in shown if right[digest(c["code"])].passed)


def mbpp_594_record() -> str:
    """MBPP/594 as a codesift Problem JSONL line: its 20 recorded samples split into disagreeing clusters."""
    return json.dumps(json.loads(MBPP_594.read_text())["task"]["problem"])


class PacedReplay:
    """Recorded completions; optionally after a gate opens and a delay per call (a slow, real model)."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.replay = ReplayBackend(RECORDING, MBPP_594)
        # MBPP/594's samples are stored as candidates (from a bench run's store): their raw completions, replayed.
        data = json.loads(MBPP_594.read_text())
        problem = Problem.model_validate(data["task"]["problem"])
        candidates = [Candidate.model_validate(c) for c in data["candidates"]]
        self.replay.add(
            build_prompt(problem, Policy.model_validate(data["policy"]).prompt),
            [
                Completion(
                    text=c.completion, seed=c.seed, prompt_tokens=c.prompt_tokens,
                    completion_tokens=c.completion_tokens, mean_logprob=c.mean_logprob, seconds=c.seconds,
                )
                for c in candidates
            ],
        )  # fmt: skip
        self.delay, self.gate = delay, gate
        self.calls: list[tuple[int, ...]] = []

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        if self.gate is not None:
            self.gate.wait()
        time.sleep(self.delay)
        self.calls.append(tuple(seeds))
        return self.replay.complete(prompt, seeds, policy)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    service: Service
    backend: PacedReplay


def config(store: Path, **fields: object) -> ServeConfig:
    """The service's settings for tests: the 0.5B model's name (its recordings), no model-written tests."""
    return ServeConfig(**{"store": store, "model": FAST_MODEL, "test_writers": 0, **fields})  # type: ignore[arg-type]


@contextlib.contextmanager
def served(
    store: Path,
    *,
    executor: Mapper | None = None,
    backend: PacedReplay | None = None,
    token: str | None = None,
    max_body: int = 1_000_000,
    real_model: bool = False,
    **fields: object,
) -> Iterator[Served]:
    """The app on 127.0.0.1 in a thread (uvicorn, as `codesift serve` runs it); closed on exit.

    `real_model` puts the embedded model behind it instead of the recordings (take the model lock).
    """
    backend = backend or PacedReplay()
    backend_for = None if real_model else (lambda p: backend)
    service = Service(config(store, **fields), backend_for=backend_for, executor=executor)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(guarded(create_app(service, token=token), token, max_body), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", service, backend)
    finally:
        server.should_exit = True
        if backend.gate is not None:
            backend.gate.set()
        thread.join(10)
        service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="codesift serve on recorded completions (tests, load test)")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each model call")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=16)
    args = parser.parse_args()
    backend = PacedReplay(delay=args.delay)
    service = Service(config(args.store, workers=args.workers, queue=args.queue), backend_for=lambda p: backend)
    try:
        uvicorn.run(guarded(create_app(service), None, 1_000_000), port=args.port, log_level="warning")
    finally:
        service.close()


if __name__ == "__main__":
    main()
