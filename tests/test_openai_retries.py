"""The HTTP backend's retries are the openai client's: Retry-After is honoured, jittered backoff otherwise,
and the last failure is one line. Local servers that refuse; no model needed."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest
from llama_server import RefusingServer, serving

from codesift.backends import BackendError
from codesift.backends.openai_http import HTTPSettings, OpenAIBackend
from codesift.prompt import build_prompt
from codesift.records import Policy, Problem

PROBLEM = Problem(id="add", prompt="def add(a, b):\n    pass\n", style="function", entry_point="add")
POLICY = Policy(name="p", backend="openai", model="qwen2.5-coder-0.5b", max_tokens=4)


def refused(server: RefusingServer, retries: int) -> tuple[str, list[float]]:
    with serving(server) as url, pytest.raises(BackendError) as caught:
        OpenAIBackend(HTTPSettings(base_url=url, retries=retries, timeout=5)).complete(
            build_prompt(PROBLEM), [0], POLICY
        )
    message = str(caught.value)
    assert "\n" not in message and url in message
    return message, [b - a for a, b in pairwise(server.times)]


def test_retry_after_is_honoured_then_one_line():
    started = time.monotonic()
    message, gaps = refused(RefusingServer(429, {"Retry-After": "1.5"}), retries=2)
    assert "HTTP 429" in message and "after 3 attempts" in message
    assert len(gaps) == 2 and all(gap >= 1.4 for gap in gaps)  # the client's own first delay is <= 0.5 s
    assert time.monotonic() - started < 30


def test_server_errors_back_off_and_client_errors_are_not_retried():
    message, gaps = refused(RefusingServer(503), retries=1)
    assert "HTTP 503" in message and "after 2 attempts" in message
    assert len(gaps) == 1 and gaps[0] >= 0.3  # 0.5 s less up to 25% jitter
    message, gaps = refused(RefusingServer(400), retries=3)
    assert "HTTP 400" in message and "after 1 attempt" in message and gaps == []
