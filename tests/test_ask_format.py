"""The `ask` answer formatter: its support guard, what it sends the model, and what it makes of recorded real answers
of the 0.5B model (scripts/record_ask_format.py) on the output of real programs."""

import json
from pathlib import Path

import pytest
from replay import ReplayBackend

from codesift.ask import AskConfig, ask, load_table
from codesift.ask.answers import cluster_answers, parse_answers
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
from codesift.ask.program import Attempt, answer_status, tool_executor
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


def recorded_cases() -> list[tuple[Question, str]]:
    data = json.loads(RECORDED.read_text())
    return [(Question.model_validate(c["question"]), c["output"]) for c in data["cases"]]


def printed(question: Question, output: str) -> Attempt:
    """The attempt of a program that printed `output` (a real stdout, recorded with the real program)."""
    values = parse_answers(output)
    return attempt(question, output, answer_status(values, question), values)


@pytest.fixture(scope="module")
def replay():
    return ReplayBackend(RECORDED)


# What the 0.5B model wrote (greedy, under the grammar) for each recorded case, and what the guard kept.
EXPECTED = [
    ("@mean_value[93.24857142857142]", {"mean_value": "93.24857142857142"}),  # copied, not rounded: still supported
    ("@order_count[21]", {"order_count": "21"}),  # from "Number of orders in 2023: 21"
    ("@region[East]", {"region": "East"}),  # from a printed Series of means per region
    (
        "@mean_value[93.24857142857142]\n@median_value[98.46]",
        {"mean_value": "93.24857142857142", "median_value": "98.46"},
    ),
    ("@mean_value[93.25]\n@median_value[98.46]", {"mean_value": "93.25", "median_value": "98.46"}),
    ("@total[2023]", {}),  # invented: the program printed only the column names, so the guard drops it
]


def formatted(before: Attempt, question: Question, store: Store, replay: ReplayBackend) -> tuple[Attempt, Policy]:
    """`format_attempt` as `ask` calls it (a recorded policy, seed 0), and the policy its backend was asked for."""
    asked: list[Policy] = []

    def backend_for(policy: Policy) -> ReplayBackend:
        asked.append(policy)
        return replay

    sampling = Policy(name="recorded", model=replay.model, max_tokens=384)
    after = format_attempt(before, question, question.id, sampling, 0, store, backend_for)
    return after, (asked[0] if asked else sampling)


def test_recorded_formatter_answers_are_kept_only_where_the_output_supports_them(replay):
    cases = recorded_cases()
    assert len(cases) == len(EXPECTED)
    for (question, output), (text, values) in zip(cases, EXPECTED, strict=True):
        before = printed(question, output)
        calls = replay.calls
        with Store() as store:
            after, policy = formatted(before, question, store, replay)
        assert replay.calls == calls + 1
        assert policy.grammar == answer_grammar(list(question.names)) and policy.temperature == 0
        prompt, seeds = replay.log[-1]
        assert prompt == format_prompt(question, excerpt(output)) and prompt.prefill == "" and seeds == (0,)
        assert after.format_call is not None and after.format_call.text == text
        check = resolve(policy.grammar).check
        assert check is not None and check(prompt.prefill + text)  # well-formed, as the grammar promises
        assert after.values == {**before.values, **values}
        assert after.formatted == tuple(n for n in values if n not in before.values)
        assert after.status == ("answered" if values else before.status)


def test_a_printed_answer_line_stands_and_only_the_missing_one_is_formatted(replay):
    question, output = recorded_cases()[4]
    before = printed(question, output)
    assert (before.status, before.values) == ("format", {"mean_value": "93.25"})
    with Store() as store:
        after, _ = formatted(before, question, store, replay)
        calls = replay.calls
        again, _ = formatted(before, question, store, replay)
    assert after.formatted == ("median_value",) and after.status == "answered"
    assert again == after and replay.calls == calls  # the store answers the same call: no model call


def test_ask_end_to_end_formats_the_recorded_programs_that_left_a_line_out(tmp_path, replay):
    """The two-name question through `ask` with 8 recorded samples of the 0.5B model, run in the sandbox."""
    table = load_table(DATA / "ask_sales.csv")
    question = make_question("What are the mean and the median order value in 2023?",
                             "Round both to 2 decimal places.", "@mean_value[mean] @median_value[median]")  # fmt: skip
    config = AskConfig(policies=(Policy(name="recorded", model=replay.model, max_tokens=384),), samples=8, retries=0)
    with tool_executor([table.path], timeout=20) as ex, Store(tmp_path / "s.sqlite") as store:
        answer, attempts = ask(table, question, config, executor=ex, store=store, backend_for=lambda p: replay)
    # One program printed "@mean_value[93.25 @median_value[98.46]" (a bracket left open): DABench's regex reads
    # mean_value up to the first "]", so median_value was missing. The formatter wrote it; the printed value stands.
    [done] = [a for a in attempts if a.format_call is not None]
    assert done.output == "@mean_value[93.25 @median_value[98.46]\n"
    assert done.formatted == ("median_value",) and done.values["median_value"] == "98.46"
    assert done.values["mean_value"] == "93.25 @median_value[98.46"
    # the program that ran but printed only an empty line is not formatted: there is nothing to copy from
    [empty] = [a for a in attempts if a.status == "no-answer"]
    assert empty.output.strip() == "" and empty.format_call is None
    assert answer.answer == {"mean_value": "93.25", "median_value": "98.46"} and answer.agreement == 2
    assert (answer.formatted, answer.formatted_names) == (1, ())


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
