"""Probe generation, model-written test parsing and the pure parts of clustering/ranking."""

from __future__ import annotations

import ast
import random

from test_select import group

from codesift.records import Execution, Problem, Test
from codesift.select.cluster import behaviour, separating
from codesift.select.probe import example_args, mutated_inputs, probe_tests, signature_args, typed_inputs
from codesift.select.rank import submissions
from codesift.select.types import Cluster
from codesift.select.written import parse_asserts, parse_stdio

HE = Problem(
    id="HumanEval/0",
    style="function",
    entry_point="has_close_elements",
    prompt=(
        "from typing import List\n\n\n"
        "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
        '    """ Check if in given list of numbers, are any two numbers closer to each other than\n'
        '    given threshold."""\n'
    ),
    examples=(Test(kind="call", input="[1.0, 2.0, 3.0], 0.5", output="False"),),
)
MBPP = Problem(
    id="mbpp/11",
    style="function",
    entry_point="remove_Occ",
    prompt="Write a python function to remove first and last occurrence of a given character from a string.",
    examples=(Test(kind="assert", input='assert remove_Occ("hello","l") == "heo"'),),
)
STDIO = Problem(
    id="apps/1",
    style="stdio",
    prompt="Sum the n numbers.",
    examples=(Test(kind="stdio", input="3\n1 2 3\n", output="6\n"),),
)


def test_example_args_reads_call_and_assert_tests() -> None:
    assert example_args(HE, HE.examples[0]) == ([1.0, 2.0, 3.0], 0.5)
    assert example_args(MBPP, MBPP.examples[0]) == ("hello", "l")
    nested = Test(kind="assert", input="assert set(remove_Occ('abca', 'a')) == set('bc')")
    assert example_args(MBPP, nested) == ("abca", "a")


def test_mutations_edit_one_argument_and_stay_parseable() -> None:
    inputs = list(mutated_inputs(MBPP))
    assert "'', 'l'" in inputs and "'olleh', 'l'" in inputs and "'hello', ''" in inputs
    for text in inputs:
        args = ast.literal_eval(f"({text},)")
        assert len(args) == 2 and (args[0] == "hello" or args[1] == "l")
    he = list(mutated_inputs(HE))
    assert "[], 0.5" in he and "[1.0, 2.0, 3.0], 1.5" in he


def test_typed_inputs_follow_the_signature_without_examples() -> None:
    bare = HE.model_copy(update={"examples": ()})
    assert signature_args(bare) == ([2.5, 2.5, 2.5, 2.5], 2.5)
    tuples = bare.model_copy(update={"prompt": "def f(xs: tuple[int, ...], p: tuple[str, float]) -> int:\n    pass\n"})
    assert signature_args(tuples.model_copy(update={"entry_point": "f"})) == ((5, 5, 5, 5), ("abcd", 2.5))
    rng = random.Random(1)
    drawn = [ast.literal_eval(f"({next(typed_inputs(bare, rng))},)") for _ in range(20)]
    assert all(isinstance(n, list) and isinstance(t, float) for n, t in drawn)
    assert len({repr(d) for d in drawn}) > 10


def test_stdio_probes_keep_the_first_line_when_redrawn() -> None:
    rng = random.Random(0)
    for text in (next(typed_inputs(STDIO, rng)) for _ in range(10)):
        lines = text.splitlines()
        assert lines[0] == "3" and len(lines[1].split()) == 3
    assert "4\n1 2 3\n" in list(mutated_inputs(STDIO))


ROBOT = Problem(
    id="fresh/robot",
    style="stdio",
    prompt="Count the squares a robot visits.",
    examples=(Test(kind="stdio", input="URDL\n", output="4 0\n"),),
)


def test_stdio_probes_edit_a_lone_word_line() -> None:
    # A one-line command string has no numbers to nudge and no header: every probe used to be the example
    # itself (shuffles of URDL all return to the start, so they could not separate counting the start square).
    mutated = list(mutated_inputs(ROBOT))
    assert {"\n", "URD\n", "RDL\n", "URDLL\n", "LDRU\n"} <= set(mutated)
    rng = random.Random(0)
    drawn = [next(typed_inputs(ROBOT, rng)) for _ in range(30)]
    assert all(set(d.strip()) <= set("URDL") and d.endswith("\n") and d.strip() for d in drawn)
    assert len({len(d) for d in drawn}) > 2 and len(set(drawn)) > 20
    assert len(probe_tests(ROBOT, limit=30)) == 30


def test_word_lines_get_case_and_whitespace_edits() -> None:
    # One vote per line, names compared without case or surrounding spaces: readers that strip, lower-case
    # or skip blank lines differ only on such inputs, which token edits alone never make.
    votes = Problem(id="s/votes", style="stdio", prompt="", examples=(Test(kind="stdio", input="Ana\nbo\nANA\n"),))
    mutated = list(mutated_inputs(votes))
    assert "Ana\n  ANA \n\nbo\nANA\n" in mutated and "aNA\nbo\nANA\n" in mutated
    counted = list(mutated_inputs(STDIO))  # a count header: no line is added, so the count stays right
    assert all(len(m.splitlines()) <= 2 for m in counted)


def test_probe_set_is_distinct_capped_and_skips_examples() -> None:
    probes = probe_tests(MBPP, model_inputs=["'hello', 'l'", "'banana', 'a'"], limit=12)
    inputs = [p.input for p in probes]
    assert len(probes) == 12 and len(set(inputs)) == 12
    assert "'hello', 'l'" not in inputs and "'banana', 'a'" in inputs[:3]
    assert all(p.kind == "call" and p.output is None for p in probes)
    assert probe_tests(MBPP, mutations=False, typed=False) == ()


def test_parse_asserts_keeps_only_literal_calls_of_the_entry_point() -> None:
    # The shape of a real 0.5B answer to `tests_prompt` (prefill included).
    text = (
        '```python\nassert remove_Occ("hello", "l") == "heo"\n'
        'assert remove_Occ("abcda", "a") == "bcd"\n'
        'assert remove_Occ("PHP", "P") == "H"\n'
        "assert remove_Occ(s, 'x') == s\n"
        "assert len(remove_Occ('aa', 'a')) == 0\n"
        "assert not remove_Occ('a', 'a')\n"
        "print(remove_Occ('x', 'x'))\n"
    )
    tests = parse_asserts(text, "remove_Occ")
    assert [(t.input, t.output) for t in tests] == [
        ("'hello', 'l'", "'heo'"),
        ("'abcda', 'a'", "'bcd'"),
        ("'PHP', 'P'", "'H'"),
        ("'a', 'a'", "False"),
    ]


def test_parse_stdio_blocks() -> None:
    text = "Input:\n```\n2\n5 7\n```\nOutput:\n```\n12\n```\n\nInput:\n```\n1\n0\n```\nOutput:\n```\n0\n```"
    assert [(t.input, t.output) for t in parse_stdio(text)] == [("2\n5 7\n", "12\n"), ("1\n0\n", "0\n")]


def test_behaviour_rounds_floats_and_names_failures() -> None:
    run = Execution(program="p", test="t", status="passed", output="[0.30000000000000004, 2]")
    assert behaviour(run) == behaviour(run.model_copy(update={"output": "[0.3,  2]"}))
    assert behaviour(run) != behaviour(run.model_copy(update={"output": "[0.31, 2]"}))
    assert behaviour(run.model_copy(update={"status": "error", "error": "IndexError"})) == "!IndexError"
    assert behaviour(run.model_copy(update={"status": "timeout"})) == "!timeout"


def test_separating_covers_every_pair() -> None:
    sigs = [("1", "a", "x"), ("1", "b", "x"), ("2", "b", "x"), ("2", "b", "y")]
    chosen = separating(sigs)
    for a in range(4):
        for b in range(a + 1, 4):
            assert any(sigs[a][i] != sigs[b][i] for i in chosen)
    assert 2 not in chosen or len(chosen) <= 3


def test_submissions_take_one_per_cluster_then_wrap_around() -> None:
    a1, a2, b1 = (
        group("def f(x):\n    return x + 1\n", 3),
        group("def f(x):\n    return 1 + x\n", 1),
        group("def f(x):\n    return x * 2\n", 2),
    )
    clusters = [Cluster(groups=(a1, a2), outputs=("=2",)), Cluster(groups=(b1,), outputs=("=3",))]
    assert [s.program for s in submissions(clusters, 1)] == [a1.program]
    assert [s.program for s in submissions(clusters, 5)] == [a1.program, b1.program, a2.program]
    assert submissions(clusters, 2)[1].cluster_size == 2
