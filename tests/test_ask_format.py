"""The `ask` answer formatter: its support guard, what it sends the model, and what it makes of recorded real answers
of the 0.5B model (scripts/record_ask_format.py) on the output of real programs."""

import json
from pathlib import Path

import pytest
from replay import ReplayBackend

from codesift.ask import AskConfig
from codesift.ask.answers import cluster_answers
from codesift.ask.formatter import (
    ELIDED,
    EXCERPT_CHARS,
    excerpt,
    format_attempt,
    format_policy,
    format_prompt,
    needs_format,
    places,
    supported,
)
from codesift.ask.program import Attempt
from codesift.ask.question import Question, make_question
from codesift.grammars import answer_grammar, resolve
from codesift.pipeline import code_policies
from codesift.records import Candidate, Policy
from codesift.store import Store

DATA = Path(__file__).parent / "data"
RECORDED = DATA / "ask_format_completions.json"


# --- the support guard ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "output", "digits", "expected"),
    [
        ("0.87", "accuracy: 0.87", (), True),
        ("0.870", "accuracy: 0.87", (), True),  # equal as decimals
        ("3", "count 3.0", (), True),
        ("1e-05", "p = 0.00001", (), True),
        ("-3.5", "change: -3.5", (), True),
        ("3.5", "change: -3.5", (), False),  # the sign is part of the number
        ("87", "accuracy: 0.87", (), False),  # numbers are never matched as text
        ("64", "dtype: float64", (), False),  # nor inside a word
        ("0.88", "accuracy: 0.87", (), False),
        ("0.87", "0.8666666666666667", (), False),  # rounded, but the question asked for no rounding
        ("0.87", "0.8666666666666667", (2,), True),
        ("0.867", "0.8666666666666667", (2,), False),  # not the places the question asked for
        ("0.867", "0.8666666666666667", (2, 3), True),
        ("2.35", "2.345", (2,), True),  # half up (f"{x:.2f}" of the decimal text)
        ("2.34", "2.345", (2,), True),  # half to even (round())
        ("2.36", "2.345", (2,), False),
        ("0", "ratio 0.4", (), False),
        ("0", "ratio 0.4", (0,), True),
    ],
)
def test_a_number_is_supported_by_an_equal_printed_number_or_its_asked_rounding(value, output, digits, expected):
    assert supported(value, [output], digits) is expected


@pytest.mark.parametrize(
    ("value", "output", "expected"),
    [
        ("East", "region\nEast     136.301667\nNorth     82.361667", True),
        ("east", "Top region: East", True),  # case-insensitive
        ("New York", "city: new   york", True),  # runs of whitespace are one space
        ("East", "Eastern", False),  # not a longer word
        ("West", "region\nEast     136.301667", False),
        ("order_value", "Name: order_value, dtype: float64", True),
        ("East, West", "['East', 'West']", True),  # a list, item by item
        ("East, South", "['East', 'West']", False),
        ("", "anything", False),
        ("  ", "anything  ", False),
    ],
)
def test_text_is_supported_when_it_occurs_in_the_output(value, output, expected):
    assert supported(value, [output]) is expected


def test_only_the_excerpt_the_formatter_saw_supports_a_value():
    lines = [f"row {i}: {1000 + i}" for i in range(200)]
    output = "\n".join(lines) + "\nresult 4242\n"
    shown = excerpt(output)
    assert len(shown) == 2 and all(piece in output for piece in shown)
    assert sum(map(len, shown)) <= EXCERPT_CHARS and all(ELIDED not in piece for piece in shown)
    assert supported("4242", shown) and supported("1000", shown)  # the tail and the head
    assert not supported("1100", shown) and supported("1100", [output])  # printed, but in the elided middle
    assert excerpt("0.87\n") == ("0.87",)


@pytest.mark.parametrize(
    ("text", "constraints", "expected"),
    [
        ("What is the mean fare?", "Round to 2 decimal places.", {2}),
        ("Mean fare, rounded to two decimal places", "", {2}),
        ("Mean and p-value?", "Round the mean to 2 decimals and the p-value to four decimal places.", {2, 4}),
        ("How many passengers, to the nearest integer?", "", {0}),
        ("What is the mean fare?", "", set()),
    ],
)
def test_places_reads_the_rounding_the_question_asks_for(text, constraints, expected):
    assert places(make_question(text, constraints, "@x[value]")) == expected


# --- what the formatter sends ---------------------------------------------------------------------------


def attempt(question: Question, output: str, status: str = "no-answer", values=None) -> Attempt:
    code = "print(result)\n"
    candidate = Candidate(problem_id=question.id, policy="p", seed=0, completion=code, code=code, prompt_tokens=0,
                          completion_tokens=0, mean_logprob=-0.5, seconds=0.0)  # fmt: skip
    return Attempt(candidate=candidate, status=status, output=output, values=values or {})


def test_the_formatter_asks_greedily_for_exactly_the_answer_lines_through_the_answer_grammar():
    question = make_question("Mean and median?", "Round both to 2 decimal places.", "@mean_value[m] @median_value[m]")
    policy = Policy(name="q", model="qwen2.5-coder-0.5b", temperature=0.8, max_tokens=512, backend="openai",
                    base_url="http://localhost:8080/v1")  # fmt: skip
    formatter = format_policy(policy, question)
    assert formatter.grammar == answer_grammar(["mean_value", "median_value"])
    assert (formatter.temperature, formatter.max_tokens, formatter.name) == (0.0, 80, "q/format")
    assert (formatter.backend, formatter.model, formatter.base_url) == (policy.backend, policy.model, policy.base_url)
    prompt = format_prompt(question, excerpt("mean 93.2485\nmedian 98.46\n"))
    assert prompt.prefill == ""  # the completion is the answer lines themselves
    user = prompt.messages[-1][1]
    for part in ("Question: Mean and median?", "Constraints: Round both", "Answer format: @mean_value[m]",
                 "```\nmean 93.2485\nmedian 98.46\n```", "@mean_value[...], @median_value[...]"):  # fmt: skip
        assert part in user
    check = resolve(formatter.grammar).check
    assert check is not None and check(prompt.prefill + "@mean_value[93.25]\n@median_value[98.46]")
    assert not check(prompt.prefill + "The mean is 93.25")


def test_only_programs_that_ran_and_printed_something_without_every_answer_line_are_formatted():
    q = make_question("Mean?", format="@mean[value]")
    assert needs_format(attempt(q, "93.2\n"))
    assert needs_format(attempt(q, "@Mean[93.2]\n", "format", {"Mean": "93.2"}))
    assert not needs_format(attempt(q, "", "no-answer"))  # nothing to copy from
    assert not needs_format(attempt(q, "93.2\n", "error"))
    assert not needs_format(attempt(q, "@mean[93.2]\n", "answered", {"mean": "93.2"}))


def test_formatted_answers_vote_like_printed_ones_but_lose_ties_to_them():
    key_a, key_b = (("answer", "east"),), (("answer", "west"),)
    # two formatted votes beat one printed vote
    clusters = cluster_answers([key_a, key_b, key_b], [-0.1, -0.9, -0.9], formatted=[False, True, True])
    assert clusters[0].key == key_b and clusters[0].printed == 0
    # equal votes: the printed answer wins though the formatted one is likelier
    clusters = cluster_answers([key_a, key_b], [-0.9, -0.1], formatted=[False, True])
    assert [c.key for c in clusters] == [key_a, key_b]
    # within a cluster a printed member represents it
    [cluster] = cluster_answers([key_a, key_a], [-0.1, -0.9], formatted=[True, False])
    assert cluster.members == (1, 0)


# --- recorded real answers of the 0.5B model ------------------------------------------------------------


def recorded_cases():
    data = json.loads(RECORDED.read_text())
    return [(Question.model_validate(c["question"]), c["output"]) for c in data["cases"]]


@pytest.fixture(scope="module")
def replay():
    return ReplayBackend(RECORDED)


def test_the_grammar_flag_reaches_the_ask_and_dabench_settings(tmp_path):
    from test_ask_answers import write_dabench
    from test_ask_table import codesift

    write_dabench(tmp_path)
    (tmp_path / "ok.csv").write_text("a\n1\n")
    for args, flag in ((["ask", "ok.csv", "How many rows?"], "ask grammar"),
                       (["bench", "dabench", "--data", str(tmp_path)], "bench grammar")):  # fmt: skip
        result = codesift(*args, "--grammar", "json", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert flag in result.stderr and "'off', 'structured' or 'python'" in result.stderr


def test_grammar_python_also_constrains_the_sampled_code_as_in_solve():
    plain = Policy(name="p")
    assert code_policies(AskConfig(policies=(plain,))) == code_policies(AskConfig(policies=(plain,), grammar="off"))
    [constrained] = code_policies(AskConfig(policies=(plain,), grammar="python"))
    assert (constrained.grammar, constrained.name) == ("python", "p/grammar-python")
