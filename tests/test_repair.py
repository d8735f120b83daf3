"""Repair feedback: what the model is told about a failing candidate."""

from __future__ import annotations

from test_select import group

from codesift.execute import make_executor
from codesift.records import Execution, Problem, Test
from codesift.repair import Failure, explain, feedback, repair_prompt
from codesift.store import Store

PROBLEM = Problem(id="Mbpp/11", style="function", entry_point="remove_Occ", prompt="Remove first and last occurrence.")
CALL = Test(kind="call", input='"hello","l"', output='"heo"')
CODE = 'def remove_Occ(s, ch):\n    return s.replace(ch, "", 1)\n'


def run(status: str, output: str = "", error: str | None = None) -> Execution:
    return Execution(program="p", test=CALL.key, status=status, output=output, error=error)  # type: ignore[arg-type]


def test_wrong_answer_shows_the_call_expected_and_got() -> None:
    text = feedback(PROBLEM, CALL, run("failed", "'helo'"))
    assert '`remove_Occ("hello","l")`' in text and '"heo"' in text and "'helo'" in text


def test_errors_and_limits_are_named() -> None:
    text = feedback(PROBLEM, CALL, run("error", "Traceback ...\nIndexError: string index out of range", "IndexError"))
    assert "raised IndexError" in text and "string index out of range" in text
    assert "timeout limit" in feedback(PROBLEM, CALL, run("timeout"))
    assert "was killed by SIGKILL" in feedback(PROBLEM, CALL, run("killed", error="SIGKILL"))
    stdio = Test(kind="stdio", input="3\n1 2 3\n", output="6\n")
    text = feedback(PROBLEM, stdio, run("failed", "5\n"))
    assert "3\n1 2 3" in text and "6" in text and "5" in text


def test_long_outputs_are_clipped_in_the_prompt() -> None:
    failure = Failure(
        candidate=group(CODE, 1).candidates[0],
        test=CALL,
        execution=run("failed", "x" * 100_000),
    )
    prompt = repair_prompt(PROBLEM, failure)
    user = prompt.messages[-1][1]
    assert CODE.strip() in user and len(user) < 5000 and prompt.prefill.startswith("```python")


def test_explain_runs_each_program_on_its_own_failure_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    examples = (Test(kind="assert", input="assert twice(1) == 2"), Test(kind="assert", input="assert twice(3) == 6"))
    problem = Problem(id="t", style="function", entry_point="twice", prompt="Double it.", examples=examples)
    programs = ["def twice(x):\n    return x + 1\n", "def twice(x):\n    return x * 3\n"]
    failures = [
        Failure(
            candidate=group(code, 1).candidates[0], test=example,
            execution=Execution(program="p", test=example.key, status="failed", error="AssertionError"),
        )
        for code, example in zip(programs, examples, strict=True)
    ]  # fmt: skip
    with make_executor(workers=1) as ex, Store(tmp_path / "s.sqlite") as store:
        explained = explain(problem, failures, ex, store)
        assert [f.got for f in explained] == ["2", "9"] and store.execution_count() == 2


def test_explain_shows_what_a_failing_assert_example_returned() -> None:
    problem = Problem(
        id="Mbpp/2",
        style="function",
        entry_point="similar_elements",
        prompt="Write a function to find the shared elements from the given two lists.",
        examples=(
            Test(kind="assert", input="assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))"),
        ),
    )
    code = "def similar_elements(a, b):\n    return [x for x in a if x not in b]\n"
    failing = Execution(program="p", test=problem.examples[0].key, status="failed", error="AssertionError")
    failure = Failure(candidate=group(code, 1).candidates[0], test=problem.examples[0], execution=failing)
    with make_executor(workers=1) as ex:
        (explained,) = explain(problem, [failure], ex)
    assert explained.got == "[3, 6]"
    text = repair_prompt(problem, explained).messages[-1][1]
    assert "`similar_elements((3, 4, 5, 6), (5, 7, 4, 10))` returned" in text and "[3, 6]" in text
