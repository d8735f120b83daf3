"""Where grammars are used: model-written tests ask for theirs by default, `--grammar python` constrains
the code policies (under a name of their own, so stored unconstrained samples are never reused)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from codesift.grammars import resolve
from codesift.pipeline import SolveConfig, code_policies
from codesift.records import Completion, Policy, Problem, Prompt
from codesift.select import written

# Real model-written tests of the 0.5B model for Mbpp/594 (seeds 0 and 1).
DATA = json.loads((Path(__file__).parent / "data" / "select_mbpp_594.json").read_text())
PROBLEM = Problem.model_validate(DATA["task"]["problem"])


class Recorded:
    """Replays the recorded real completions of the tests prompt and remembers the policy it was asked with."""

    def __init__(self) -> None:
        self.policies: list[Policy] = []

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        record = DATA["records"][0]
        assert prompt == Prompt.model_validate(record["prompt"])
        self.policies.append(policy)
        by_seed = {c["seed"]: Completion.model_validate(c) for c in record["completions"]}
        return [by_seed[s] for s in seeds]


@pytest.mark.parametrize("grammar", [True, False])
def test_written_tests_ask_for_the_tests_grammar_unless_off(grammar):
    problem = PROBLEM
    backend = Recorded()
    result = written.write_tests(problem, backend, Policy(grammar="python"), seeds=(0, 1), grammar=grammar)
    [asked] = backend.policies
    assert asked.grammar == (written.tests_grammar(problem) if grammar else None)
    assert result.tests  # the recorded real tests still parse
    if grammar:
        assert resolve(asked.grammar or "").name == f"asserts(diff_even_odd, {written.TESTS_ASKED})"


def test_python_grammar_constrains_code_policies_under_their_own_name():
    plain = Policy(name="p")
    assert code_policies(SolveConfig(policies=(plain,))) == (plain,)
    assert code_policies(SolveConfig(policies=(plain,), grammar="off")) == (plain,)
    [constrained] = code_policies(SolveConfig(policies=(plain,), grammar="python"))
    assert constrained.grammar == "python" and constrained.name == "p/grammar-python"
