"""The embedded backend under a grammar, with the real 0.5B model: every sequence of a batch follows the
grammar on its own state, the check-first draw is exact, the logprob stays the model's."""

import pytest

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.grammars import GrammarError, answer_grammar, resolve
from codesift.problems import function_problem
from codesift.records import Policy, Prompt
from codesift.select import written
from codesift.select.written import parse_asserts

pytestmark = pytest.mark.model

STUB = 'def triple(x: int) -> int:\n    """Return three times x.\n    >>> triple(2)\n    6\n    """\n'
PROBLEM = function_problem("t", STUB)


@pytest.fixture(scope="module")
def backend():
    b = EmbeddedBackend(resolve_model(FAST_MODEL), batch=4)
    yield b
    b.close()


def test_each_sequence_of_a_batch_follows_the_grammar_on_its_own_state(backend):
    prompt, spec = written.tests_prompt(PROBLEM), written.tests_grammar(PROBLEM)
    policy = Policy(model=FAST_MODEL, temperature=1.0, max_tokens=120, grammar=spec)
    together = backend.complete(prompt, [1, 2, 3, 4], policy)
    check = resolve(spec).check
    assert check is not None
    finished = [c for c in together if c.finish_reason == "stop"]
    assert finished and all(check(prompt.prefill + c.text) for c in finished)
    for c in finished:  # every line the grammar let through is a test the parser keeps
        assert len(parse_asserts(prompt.prefill + c.text, "triple")) == c.text.count("\n")
    assert len({c.text for c in together}) > 1  # four different samples, not one state shared
    again = backend.complete(prompt, [1, 2, 3, 4], policy)
    assert [c.text for c in again] == [c.text for c in together]  # a seed stays reproducible under a grammar


def test_check_first_is_exact_greedy_equals_full_masking(backend):
    prompt = Prompt(
        messages=(("user", "The mean age is 29.7 over 891 rows. Answer as @mean_age[value] then @rows[value]."),),
        stop=("<|im_end|>",),
    )
    policy = Policy(model=FAST_MODEL, temperature=0, max_tokens=40, grammar=answer_grammar(["mean_age", "rows"]))
    backend.grammar_mode = "naive"
    try:
        [naive] = backend.complete(prompt, [0], policy)
    finally:
        backend.grammar_mode = "fast"
    [fast] = backend.complete(prompt, [0], policy)
    assert fast.text == naive.text and fast.mean_logprob == naive.mean_logprob
    assert fast.text.startswith("@mean_age[") and "\n@rows[" in fast.text
    assert fast.mean_logprob is not None and fast.mean_logprob < 0  # the model's own belief, not 0 from the mask


def test_compile_error_before_any_sampling(backend):
    policy = Policy(model=FAST_MODEL, temperature=0, max_tokens=8, grammar='root ::= "a" (\n')
    with pytest.raises(GrammarError, match=r"grammar 'custom' does not compile: expecting '\)' at line 2"):
        backend.complete(written.tests_prompt(PROBLEM), [0, 1], policy)
