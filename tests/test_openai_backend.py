"""The OpenAI-compatible backend against llama-cpp-python's real server (0.5B model, 127.0.0.1)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_server import API_KEY, FlakyProxy, LlamaServer, SlowServer, free_port, llama_server, serving

from codesift.backends import BackendError
from codesift.backends.openai_http import HTTPSettings, OpenAIBackend, SamplingInterrupted
from codesift.extract import extract_code
from codesift.prompt import build_prompt
from codesift.records import Policy, Problem, Test

pytestmark = [pytest.mark.server, pytest.mark.model]

ADD = Problem(
    id="add",
    prompt='def add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(2, 3)\n    5\n    """\n',
    style="function",
    entry_point="add",
    examples=(Test(kind="call", input="2, 3", output="5"),),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with llama_server(tmp_path_factory.mktemp("llama") / "server.log") as s:
        yield s


def policy(api: str = "completion", **kw: object) -> Policy:
    fields: dict[str, object] = {"backend": "openai", "model": "qwen2.5-coder-0.5b", "max_tokens": 48}
    return Policy.model_validate({**fields, "api": api, **kw})


def backend(url: str, **kw: object) -> OpenAIBackend:
    settings: dict[str, object] = {"base_url": url, "api_key": API_KEY, "retries": 1}
    return OpenAIBackend(HTTPSettings(**{**settings, **kw}))  # type: ignore[arg-type]


def test_completion_endpoint_continues_the_prefill_and_is_a_function_of_the_seed(server: LlamaServer) -> None:
    prompt = build_prompt(ADD)
    out = backend(server.url).complete(prompt, [5, 6, 5], policy(max_tokens=12))
    assert [c.seed for c in out] == [5, 6, 5]
    assert out[0].text == out[2].text  # same seed, same sample
    for c in out:
        assert c.prompt_tokens > 50 and c.completion_tokens >= 1
        assert c.mean_logprob is not None and c.mean_logprob <= 0
    greedy = backend(server.url).complete(prompt, [1], policy(temperature=0.0))[0]
    code = extract_code(greedy.text, prompt.prefill, "add")
    namespace: dict[str, object] = {}
    exec(code, namespace)
    assert namespace["add"](2, 3) == 5  # type: ignore[operator]


def test_chat_endpoint_reply_becomes_a_continuation(server: LlamaServer) -> None:
    prompt = build_prompt(ADD)
    # llama-cpp-python computes chat logprobs slowly (full-vocabulary top-k per token): off here.
    out = backend(server.url, logprobs=False).complete(prompt, [1], policy("chat", temperature=0.0))[0]
    assert not out.text.startswith("```") and out.mean_logprob is None
    code = extract_code(out.text, prompt.prefill, "add")
    namespace: dict[str, object] = {}
    exec(code, namespace)
    assert namespace["add"](40, 2) == 42  # type: ignore[operator]
    assert out.completion_tokens > 0
    short = backend(server.url).complete(prompt, [1], policy("chat", max_tokens=3))[0]
    assert short.mean_logprob is not None and short.mean_logprob <= 0 and short.finish_reason == "length"


def test_clear_one_line_errors(server: LlamaServer) -> None:
    prompt = build_prompt(ADD)
    huge = build_prompt(ADD.model_copy(update={"prompt": ADD.prompt + "# pad pad pad pad\n" * 400}))
    cases = {
        "not served": (backend(server.url), policy(model="gpt-7"), prompt),
        "rejected the API key (HTTP 401)": (backend(server.url, api_key="sk-wrong"), policy(), prompt),
        "cannot reach the server": (backend(f"http://127.0.0.1:{free_port()}/v1"), policy(), prompt),
        "exceed the model's context": (backend(server.url), policy(), huge),
    }
    for expected, (b, p, text) in cases.items():
        with pytest.raises(BackendError) as caught:
            b.complete(text, [0], p)
        message = str(caught.value)
        assert expected in message and "\n" not in message, message
        assert API_KEY not in message and "sk-wrong" not in message


def test_server_that_ignores_n_is_named(server: LlamaServer) -> None:
    with pytest.raises(BackendError, match="ignores `n`"):
        backend(server.url, samples_per_request=2).complete(build_prompt(ADD), [0, 1], policy(max_tokens=2))


def test_retries_with_backoff_then_real_answers(server: LlamaServer) -> None:
    """The client's own retries (their delays: tests/test_openai_retries.py) end in the real answer."""
    for status in (429, 503):
        proxy = FlakyProxy(server.url, failures=2, status=status)
        with serving(proxy) as url:
            settings = HTTPSettings(base_url=url, api_key=API_KEY, retries=3)
            out = OpenAIBackend(settings).complete(build_prompt(ADD), [3], policy(max_tokens=4))
        assert proxy.seen == [status, status, 200]
        assert out[0].completion_tokens > 0


def test_slow_server_times_out_instead_of_hanging() -> None:
    slow = SlowServer(delay=20)
    with serving(slow) as url:
        b = OpenAIBackend(HTTPSettings(base_url=url, timeout=0.5, retries=1, concurrency=2))
        with pytest.raises(SamplingInterrupted, match="did not answer in time") as caught:
            b.complete(build_prompt(ADD), [0, 1], policy())
    assert caught.value.completions == ()
    assert slow.requests == 4  # two seeds, each tried twice, all within seconds


def test_api_key_stays_out_of_logs_and_repr(server: LlamaServer, caplog: pytest.LogCaptureFixture) -> None:
    b = backend(server.url)
    with caplog.at_level(logging.DEBUG):
        b.complete(build_prompt(ADD), [0], policy(max_tokens=4))
        with pytest.raises(BackendError):
            backend(server.url, api_key=API_KEY + "x").complete(build_prompt(ADD), [0], policy())
    assert caplog.records  # the client did log its requests
    assert API_KEY not in caplog.text
    assert API_KEY not in repr(b) and API_KEY not in repr(b.settings)


def test_missing_server_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CODESIFT_BASE_URL", raising=False)
    with pytest.raises(BackendError, match="--base-url"):
        OpenAIBackend(HTTPSettings()).complete(build_prompt(ADD), [0], policy())
