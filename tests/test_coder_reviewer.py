"""bench/coder_reviewer.py: what the reviewer reads (the description, the program without docstrings) and how a
rule re-ranks the scored clusters."""

from __future__ import annotations

from script_loader import load_script

from codesift.records import Problem

reviewer = load_script("bench", "coder_reviewer")

STUB = 'def add(a, b):\n    """Add two numbers.\n    >>> add(1, 2)\n    3\n    """\n'


def test_the_description_is_the_entry_points_docstring_else_the_module_docstring_else_the_statement() -> None:
    function = Problem(id="f", prompt=f"import math\n\n{STUB}", style="function", entry_point="add")
    mbpp = Problem(id="m", prompt='"""\nWrite a function.\nassert f(1) == 2\n"""\n', style="function", entry_point="f")
    stdio = Problem(id="s", prompt="Read n and print n + 1.\n", style="stdio")
    assert reviewer.description(function) == "Add two numbers.\n>>> add(1, 2)\n3"
    assert reviewer.description(mbpp) == "Write a function.\nassert f(1) == 2"
    assert reviewer.description(stdio) == "Read n and print n + 1."


def test_docstrings_are_stripped_and_code_that_does_not_parse_is_kept_as_written() -> None:
    code = f'"""Module."""\n{STUB}    return a + b\n\n\nclass C:\n    """Doc."""\n'
    stripped = reviewer.strip_docstrings(code)
    assert "Add two numbers" not in stripped and "Module." not in stripped and "Doc." not in stripped
    assert "return a + b" in stripped and "class C:\n    pass" in stripped
    assert reviewer.strip_docstrings("def broken(:\n") == "def broken(:\n"


# HumanEval/65 as the 0.5B scored it in session 14 (recorded: default scores, reviewer log-probs, graded).
ROW = {
    "default": False,
    "clusters": [
        {"score": 2.708, "review": -86.43, "correct": False},
        {"score": 2.197, "review": -79.26, "correct": True},
        {"score": 1.099, "review": -97.98, "correct": False},
    ],
}


def test_a_rule_moves_the_runner_up_first_only_when_its_review_outweighs_the_score_gap() -> None:
    # score gap 0.51; review gap 7.17 nats: w = 0.1 gives 0.72 (moves), w = 0.05 gives 0.36 (stays)
    assert reviewer.chosen(ROW, 0.1, 2) == 1.0
    assert reviewer.chosen(ROW, 0.05, 2) == 0.0
    assert reviewer.chosen(ROW, 0.0, 3) == 1.0  # review only: the best review among the first three


def test_a_problem_with_one_cluster_keeps_the_default_answer() -> None:
    assert reviewer.chosen({"default": True, "clusters": []}, 0.3, 2) == 1.0
