"""The HTTP backend and grammars: the grammar goes to the server in its dialect; a server that cannot
constrain is named once and its samples are validated and resampled.

The server here replays real unconstrained model-written tests of the 0.5B model (tests/data/
select_mbpp_594.json: sample 0 was cut off by the token budget, sample 1 is well-formed) in recorded order,
the way a server that ignores `seed` answers each new request with a new sample.
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

DATA = json.loads((Path(__file__).parent / "data" / "select_mbpp_594.json").read_text())
PROMPT = Prompt.model_validate(DATA["records"][0]["prompt"])
RECORDED = DATA["records"][0]["completions"]
GRAMMAR = asserts_grammar(DATA["task"]["problem"]["entry_point"], 12)  # the recorded good sample has 11 asserts
CHECK = resolve(GRAMMAR).check
assert CHECK is not None


class ReplayServer(_Server):
    """Answers completions with the recorded samples in turn; refuses request fields named in ``refuse``."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.refuse, self.bodies, self.answered = refuse, [], 0

    def behave(self, handler: _Handler) -> None:
        if handler.path.endswith("/models"):
            _send(handler, 200, {"object": "list", "data": [{"id": DATA["model"], "object": "model"}]})
            return
        body: dict[str, Any] = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        self.bodies.append(body)
        refused = [f for f in self.refuse if f in body]
        if refused:
            _send(handler, 400, {"error": {"message": f"Unrecognized request argument supplied: {refused[0]}"}})
            return
        record = RECORDED[self.answered % len(RECORDED)]
        self.answered += 1
        choice = {"text": record["text"], "index": 0, "logprobs": None, "finish_reason": record["finish_reason"]}
        _send(handler, 200, {
            "id": "r", "object": "text_completion", "created": 0, "model": DATA["model"], "choices": [choice],
            "usage": {"prompt_tokens": 131, "completion_tokens": record["completion_tokens"], "total_tokens": 0},
        })  # fmt: skip


def policy(grammar: str | None = GRAMMAR) -> Policy:
    return Policy(backend="openai", model=DATA["model"], temperature=0.8, max_tokens=256, grammar=grammar)


def test_recording_holds_a_refused_and_a_well_formed_sample():
    assert [CHECK(PROMPT.prefill + c["text"]) for c in RECORDED] == [False, True]


def test_a_server_refusing_the_grammar_is_named_once_then_samples_are_validated_and_resampled(caplog):
    server = ReplayServer(refuse=("grammar",))
    with serving(server) as url, caplog.at_level(logging.WARNING):
        backend = OpenAIBackend(HTTPSettings(base_url=url, concurrency=1))
        [done] = backend.complete(PROMPT, [7], policy())
        [again] = backend.complete(PROMPT, [8], policy())
    warnings = [r.getMessage() for r in caplog.records if "unconstrained" in r.getMessage()]
    assert len(warnings) == 1 and "refused grammar" in warnings[0] and url in warnings[0]
    assert sum("grammar" in b for b in server.bodies) == 1  # asked once; never again after the refusal
    # refused with the grammar, sent again without it (cut off), resampled (well-formed); then the next seed
    assert [b["seed"] for b in server.bodies] == [7, 7, 7 + RESEED, 8, 8 + RESEED]
    for c, seed in ((done, 7), (again, 8)):
        assert c.seed == seed and c.text == RECORDED[1]["text"] and CHECK(PROMPT.prefill + c.text)
        assert c.completion_tokens == RECORDED[0]["completion_tokens"] + RECORDED[1]["completion_tokens"]


def test_grammar_api_none_never_sends_a_grammar_and_says_so_once(caplog):
    server = ReplayServer()
    with serving(server) as url, caplog.at_level(logging.WARNING):
        backend = OpenAIBackend(HTTPSettings(base_url=url, grammar_api="none"))
        backend.complete(PROMPT, [0], policy())
        backend.complete(PROMPT, [1], policy())
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
        backend.complete(PROMPT, [0], policy(grammar))
    assert server.bodies[0][field] == expected


def test_no_grammar_no_field():
    server = ReplayServer()
    with serving(server) as url:
        OpenAIBackend(HTTPSettings(base_url=url)).complete(PROMPT, [0], policy(None))
    assert "grammar" not in server.bodies[0]
