"""Tests written by the model itself (CodeT): one extra prompt gives both probe inputs and
expected outputs. Never derived from hidden tests: the model sees only what `Problem` holds."""

from __future__ import annotations

import re
from collections.abc import Sequence

from codesift.backends import Backend
from codesift.grammars import asserts_grammar, stdio_tests_grammar
from codesift.grammars.structured import parse_assert
from codesift.records import Policy, Problem, Prompt, Test, WrittenTests, call_key, digest

TESTS_ASKED = 8  # per prompt; the tests grammar admits no more, so a constrained answer ends within its budget
_SYSTEM = "You are an expert software tester. You write correct, varied test cases, including edge cases."
_BLOCK = re.compile(r"Input:\s*```[a-z]*\n(.*?)```\s*Output:\s*```[a-z]*\n(.*?)```", re.S)


def tests_prompt(problem: Problem) -> Prompt:
    """The chat prompt asking for `TESTS_ASKED` tests in a form we can parse without running anything."""
    if problem.style == "stdio":
        user = (
            f"{problem.prompt.strip()}\n\nWrite {TESTS_ASKED} new test cases for this problem, "
            "small ones and edge cases. "
            "For each, write `Input:` followed by a ``` block with the exact stdin, then "
            "`Output:` followed by a "
            "``` block with the exact expected stdout."
        )
        return Prompt(messages=(("system", _SYSTEM), ("user", user)), prefill="Input:\n```\n", stop=("<|im_end|>",))
    entry = problem.entry_point or "solution"
    user = (
        f"```python\n{problem.prompt.strip()}\n```\n\nWrite {TESTS_ASKED} assert statements that test "
        f"`{entry}`, one per "
        f"line, each of the form `assert {entry}(<arguments>) == <expected result>` with literal values. "
        "Include edge cases."
    )
    return Prompt(
        messages=(("system", _SYSTEM), ("user", user)),
        prefill=f"```python\nassert {entry}(",
        stop=("```", "<|im_end|>"),
    )


def parse_asserts(text: str, entry_point: str) -> list[Test]:
    """``assert f(args) == value`` lines → ``call`` tests; anything else is skipped, not guessed."""
    tests = []
    for line in text.splitlines():
        parsed = parse_assert(line, entry_point) if line.strip().startswith("assert ") else None
        if parsed is not None:
            tests.append(Test(kind="call", input=parsed[0], output=parsed[1]))
    return tests


def parse_stdio(text: str) -> list[Test]:
    return [
        Test(kind="stdio", input=i.strip("\n") + "\n", output=o.strip("\n") + "\n") for i, o in _BLOCK.findall(text)
    ]


def written_key(problem: Problem, policy: Policy, seeds: Sequence[int]) -> str:
    """The store key of `write_tests`'s result: its prompt, the writer's sampling settings and the seeds."""
    return digest(f"{call_key(tests_prompt(problem), policy)}:{list(seeds)}")


def tests_grammar(problem: Problem) -> str:
    """The grammar of `tests_prompt`'s completion: every line is a test `parse_asserts` / `parse_stdio` keeps."""
    if problem.style == "stdio":
        return stdio_tests_grammar(TESTS_ASKED)
    return asserts_grammar(problem.entry_point or "solution", TESTS_ASKED)


def write_tests(
    problem: Problem,
    backend: Backend,
    policy: Policy,
    *,
    seeds: Sequence[int] = (0, 1),
    grammar: bool = True,
) -> WrittenTests:
    """Ask the model for tests (constrained by `tests_grammar` unless ``grammar`` is off); duplicates and
    tests equal to a visible example are dropped."""
    prompt = tests_prompt(problem)
    policy = policy.model_copy(update={"grammar": tests_grammar(problem) if grammar else None})
    completions = backend.complete(prompt, seeds, policy)
    visible = {(t.input, t.output) for t in problem.examples}
    found: dict[str, Test] = {}
    for c in completions:
        text = prompt.prefill + c.text
        parsed = parse_stdio(text) if problem.style == "stdio" else parse_asserts(text, problem.entry_point or "")
        for t in parsed:
            if (t.input, t.output) not in visible:
                found.setdefault(t.key, t)
    return WrittenTests(
        tests=tuple(found.values()),
        prompt_tokens=sum(c.prompt_tokens for c in completions),
        completion_tokens=sum(c.completion_tokens for c in completions),
        seconds=sum(c.seconds for c in completions),
    )
