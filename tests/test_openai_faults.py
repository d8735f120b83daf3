"""Faults: the real server is killed mid-run (nothing produced is lost, a rerun resumes) or is too slow."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from llama_server import API_KEY, SlowServer, free_port, serving, start_llama_server

from codesift.backends import BackendError
from codesift.backends.openai_http import HTTPSettings, OpenAIBackend
from codesift.records import Completion, Policy, Problem, Prompt
from codesift.sample import sample
from codesift.store import Store

pytestmark = [pytest.mark.server, pytest.mark.model]

PROBLEM = Problem(
    id="square",
    prompt='def square(x: int) -> int:\n    """x squared.\n    >>> square(3)\n    9\n    """\n',
    style="function",
    entry_point="square",
)
POLICY = Policy(name="p", backend="openai", model="qwen2.5-coder-0.5b", api="completion", max_tokens=12)


class Watched:
    """The real backend, recording which seeds it was asked for (to prove a rerun redraws nothing)."""

    def __init__(self, backend: OpenAIBackend) -> None:
        self.backend, self.asked = backend, []

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        self.asked += list(seeds)
        return self.backend.complete(prompt, seeds, policy)


def answered(log: Path) -> int:
    return len(re.findall(r'"POST /v1/completions HTTP/1.1" 200', log.read_text()))


def test_server_killed_mid_run_loses_nothing_and_a_rerun_resumes(tmp_path: Path) -> None:
    port, log, db = free_port(), tmp_path / "server.log", tmp_path / "run.sqlite"
    settings = HTTPSettings(base_url=f"http://127.0.0.1:{port}/v1", api_key=API_KEY, retries=2, concurrency=1)
    server = start_llama_server(log, port=port)

    def kill_after_two_answers() -> None:
        while answered(log) < 2 and server.process.poll() is None:
            time.sleep(0.05)
        server.kill()

    killer = threading.Thread(target=kill_after_two_answers)
    killer.start()
    try:
        with Store(db) as store, pytest.raises(BackendError) as caught:
            sample(PROBLEM, (POLICY,), 6, seed=0, store=store, backend_for=lambda p: OpenAIBackend(settings))
    finally:
        killer.join(timeout=60)
        server.kill()
    message = str(caught.value)
    assert "cannot reach the server" in message and "after 3 attempts" in message and "\n" not in message
    with Store(db) as store:
        kept = store.candidates(PROBLEM.id)
    assert 2 <= len(kept) <= answered(log) < 6  # every sample the server delivered was stored
    assert [c.seed for c in kept] == list(range(len(kept)))

    server = start_llama_server(log, port=port)
    try:
        watched = Watched(OpenAIBackend(settings))
        with Store(db) as store:
            resumed = sample(PROBLEM, (POLICY,), 6, seed=0, store=store, backend_for=lambda p: watched)
    finally:
        server.kill()
    assert watched.asked == list(range(len(kept), 6))  # only the missing seeds were drawn
    assert [c.seed for c in resumed] == list(range(6))
    assert resumed[: len(kept)] == kept


def test_slow_server_run_fails_fast_with_a_clear_error(tmp_path: Path) -> None:
    slow = SlowServer(delay=30)
    with serving(slow) as url, Store(tmp_path / "run.sqlite") as store:
        backend = OpenAIBackend(HTTPSettings(base_url=url, timeout=1, retries=1))
        started = time.monotonic()
        with pytest.raises(BackendError, match="did not answer in time"):
            sample(PROBLEM, (POLICY,), 3, seed=0, store=store, backend_for=lambda p: backend)
        assert time.monotonic() - started < 10
        assert store.candidates(PROBLEM.id) == []
