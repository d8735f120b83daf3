"""The HTTP backend and grammars: the grammar goes to the server in its dialect; a server that cannot
constrain is named once and its samples are validated and resampled.

The server here replays real unconstrained completions of the 0.5B model (tests/data/grammar_replay.json,
recorded by scripts/record_grammar_replay.py), answering each request by its seed like a seeded server.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from llama_server import _Handler, _send, _Server, serving

from codesift.backends.openai_http import RESEED, HTTPSettings, OpenAIBackend
from codesift.grammars import asserts_grammar, resolve
from codesift.grammars.structured import json_grammar
from codesift.records import Policy, Prompt

REPLAY = json.loads((Path(__file__).parent / "data" / "grammar_replay.json").read_text())
PROMPT = Prompt.model_validate(REPLAY["prompt"])
GRAMMAR = asserts_grammar("running_max")
CHECK = resolve(GRAMMAR).check
assert CHECK is not None


def valid(seed: int) -> bool:
    return CHECK(PROMPT.prefill + REPLAY["records"][str(seed)]["text"])


class ReplayServer(_Server):
    """Answers completions from the recording by seed; refuses request fields named in ``refuse``."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.refuse, self.bodies = refuse, []

    def behave(self, handler: _Handler) -> None:
        if handler.path.endswith("/models"):
            _send(handler, 200, {"object": "list", "data": [{"id": REPLAY["model"], "object": "model"}]})
            return
        body: dict[str, Any] = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        self.bodies.append(body)
        refused = [f for f in self.refuse if f in body]
        if refused:
            _send(handler, 400, {"error": {"message": f"Unrecognized request argument supplied: {refused[0]}"}})
            return
        record = REPLAY["records"][str(body["seed"])]
        _send(handler, 200, {
            "id": "r", "object": "text_completion", "created": 0, "model": REPLAY["model"],
            "choices": [{"text": record["text"], "index": 0, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": record["completion_tokens"], "total_tokens": 0},
        })  # fmt: skip


def policy(grammar: str | None = GRAMMAR) -> Policy:
    return Policy(backend="openai", model=REPLAY["model"], temperature=1.0, max_tokens=128, grammar=grammar)


def recorded_seeds() -> list[int]:
    return sorted({int(s) % RESEED for s in REPLAY["records"]})


def test_recording_holds_both_kinds_of_sample():
    """The fallback test below needs a sample the grammar refuses that a resample repairs."""
    assert any(not valid(s) and (valid(s + RESEED) or valid(s + 2 * RESEED)) for s in recorded_seeds())


def test_a_server_refusing_the_grammar_is_named_once_then_samples_are_validated_and_resampled(caplog):
    seeds = recorded_seeds()
    server = ReplayServer(refuse=("grammar",))
    with serving(server) as url, caplog.at_level(logging.WARNING):
        backend = OpenAIBackend(HTTPSettings(base_url=url, concurrency=1))
        done = backend.complete(PROMPT, seeds, policy())
        again = backend.complete(PROMPT, seeds[:1], policy())
    warnings = [r.getMessage() for r in caplog.records if "unconstrained" in r.getMessage()]
    assert len(warnings) == 1 and "refused grammar" in warnings[0] and url in warnings[0]
    assert [c.seed for c in done] == seeds
    assert sum("grammar" in b for b in server.bodies) == 1  # asked once; never again after the refusal
    for seed, c in zip(seeds, done, strict=True):
        draws = [seed] if valid(seed) else [seed, seed + RESEED] if valid(seed + RESEED) else None
        if draws is None:  # two resamples at most: the last draw stands, with every draw's cost
            draws = [seed, seed + RESEED, seed + 2 * RESEED]
        assert c.text == REPLAY["records"][str(draws[-1])]["text"]
        assert c.completion_tokens == sum(REPLAY["records"][str(d)]["completion_tokens"] for d in draws)
    assert sum(CHECK(PROMPT.prefill + c.text) for c in done) > sum(valid(s) for s in seeds)
    assert again[0].text == done[0].text


def test_grammar_api_none_never_sends_a_grammar_and_says_so_once(caplog):
    server = ReplayServer()
    with serving(server) as url, caplog.at_level(logging.WARNING):
        backend = OpenAIBackend(HTTPSettings(base_url=url, grammar_api="none"))
        backend.complete(PROMPT, recorded_seeds()[:2], policy())
        backend.complete(PROMPT, recorded_seeds()[:2], policy())
    assert not any({"grammar", "structured_outputs", "response_format"} & set(b) for b in server.bodies)
    assert len([r for r in caplog.records if "grammar_api=none cannot take grammar" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    ("api", "grammar", "field", "expected"),
    [
        ("llama.cpp", GRAMMAR, "grammar", GRAMMAR),
        ("vllm", GRAMMAR, "structured_outputs", {"grammar": GRAMMAR}),
        ("vllm", json_grammar({"type": "object"}), "structured_outputs", {"json": {"type": "object"}}),
        (
            "openai",
            json_grammar({"type": "object"}),
            "response_format",
            {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}},
        ),
    ],
    ids=["llama.cpp", "vllm-gbnf", "vllm-json-schema", "openai-json-schema"],
)
def test_grammar_goes_to_the_server_in_its_dialect(api, grammar, field, expected):
    server = ReplayServer()
    with serving(server) as url:
        backend = OpenAIBackend(HTTPSettings(base_url=url, grammar_api=api))
        backend.complete(PROMPT, recorded_seeds()[:1], policy(grammar))
    assert server.bodies[0][field] == expected


def test_no_grammar_no_field():
    server = ReplayServer()
    with serving(server) as url:
        OpenAIBackend(HTTPSettings(base_url=url)).complete(PROMPT, recorded_seeds()[:1], policy(None))
    assert "grammar" not in server.bodies[0]
