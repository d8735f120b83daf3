"""Where grammars are used: model-written tests ask for theirs by default, `--grammar python` constrains
the code policies (under a name of their own, so stored unconstrained samples are never reused)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from codesift.grammars import resolve
from codesift.pipeline import SolveConfig, code_policies
from codesift.problems import load_problem
from codesift.records import Completion, Policy, Prompt
from codesift.select import written

REPLAY = json.loads((Path(__file__).parent / "data" / "grammar_replay.json").read_text())
EXAMPLES = Path(__file__).parent.parent / "examples"


class Recorded:
    """Replays the recorded real completions of the tests prompt and remembers the policy it was asked with."""

    def __init__(self) -> None:
        self.policies: list[Policy] = []

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        assert prompt == Prompt.model_validate(REPLAY["prompt"])
        self.policies.append(policy)
        return [
            Completion(text=REPLAY["records"][str(s)]["text"], seed=s, prompt_tokens=100,
                       completion_tokens=REPLAY["records"][str(s)]["completion_tokens"], mean_logprob=None, seconds=0)
            for s in seeds
        ]  # fmt: skip


@pytest.mark.parametrize("grammar", [True, False])
def test_written_tests_ask_for_the_tests_grammar_unless_off(grammar):
    problem = load_problem(EXAMPLES / "running_max.py")
    backend = Recorded()
    result = written.write_tests(problem, backend, Policy(grammar="python"), seeds=(0, 1), grammar=grammar)
    [asked] = backend.policies
    assert asked.grammar == (written.tests_grammar(problem) if grammar else None)
    assert result.tests  # the recorded real tests still parse
    if grammar:
        assert resolve(asked.grammar or "").name == "asserts(running_max)"


def test_python_grammar_constrains_code_policies_under_their_own_name():
    plain = Policy(name="p")
    assert code_policies(SolveConfig(policies=(plain,))) == (plain,)
    assert code_policies(SolveConfig(policies=(plain,), grammar="off")) == (plain,)
    [constrained] = code_policies(SolveConfig(policies=(plain,), grammar="python"))
    assert constrained.grammar == "python" and constrained.name == "p/grammar-python"
