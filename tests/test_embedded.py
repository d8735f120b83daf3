"""The real 0.5B model through llama.cpp: batched sampling must be seeded, bounded and well-formed."""

import pytest

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.problems import function_problem
from codesift.prompt import build_prompt
from codesift.records import Policy

pytestmark = pytest.mark.model

STUB = 'def triple(x: int) -> int:\n    """Return three times x.\n    >>> triple(2)\n    6\n    """\n'


@pytest.fixture(scope="module")
def backend():
    b = EmbeddedBackend(resolve_model(FAST_MODEL), batch=4)
    yield b
    b.close()


def test_prompt_renders_with_the_models_chat_template(backend):
    text = backend.render(build_prompt(function_problem("t", STUB)))
    assert text.startswith("<|im_start|>system\n")
    assert text.endswith("<|im_start|>assistant\n```python\n" + STUB)


def test_greedy_writes_the_body_and_stops(backend):
    prompt = build_prompt(function_problem("t", STUB))
    [c] = backend.complete(prompt, [0], Policy(model=FAST_MODEL, temperature=0, max_tokens=64))
    assert "return" in c.text and "```" not in c.text
    assert c.finish_reason == "stop"
    assert c.prompt_tokens > 50 and 0 < c.completion_tokens < 64
    assert c.mean_logprob is not None and -2.0 < c.mean_logprob <= 0.0


def test_a_seed_gives_the_same_sample_whatever_its_batch(backend):
    prompt = build_prompt(function_problem("t", STUB))
    policy = Policy(model=FAST_MODEL, temperature=1.0, max_tokens=48)
    together = backend.complete(prompt, [11, 12, 13, 14, 15], policy)  # a batch of 4, then 1
    alone = backend.complete(prompt, [13], policy)
    assert [c.seed for c in together] == [11, 12, 13, 14, 15]
    assert alone[0].text == together[2].text
    assert all(c.completion_tokens <= 48 for c in together)
