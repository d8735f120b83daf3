"""Benchmark loaders: counts, the conventions of the issue, and that hidden tests stay out of Problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesift.bench.examples import apps_call_inputs, assert_example
from codesift.bench.tasks import BenchDataError, data_dir, load_tasks, select
from codesift.execute import Executor, Job


def test_counts_and_styles() -> None:
    assert len(load_tasks("humaneval")) == 164
    assert len(load_tasks("mbpp")) == 974
    assert len(load_tasks("mbpp-sanitized")) == 427
    apps = load_tasks("apps")
    assert len(apps) == 65  # 76 lines, repeated ids are one problem
    assert sum(t.problem.style == "stdio" for t in apps) == 24


def test_humaneval_conventions() -> None:
    task = load_tasks("humaneval")[0]
    assert task.problem.prompt.startswith("from typing import List")
    assert task.problem.entry_point == "has_close_elements"
    assert [e.input for e in task.problem.examples] == [
        "[1.0, 2.0, 3.0], 0.5",
        "[1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3",
    ]
    (hidden,) = task.hidden
    assert hidden.kind == "assert" and hidden.input.rstrip().endswith("check(has_close_elements)")
    assert "check(" not in task.problem.model_dump_json()  # hidden tests are not in the Problem
    assert task.reference is not None and task.reference.startswith(task.problem.prompt)


def test_humaneval_references_pass_the_examples_read_but_four_wrong_docstrings(ex: Executor) -> None:
    """The parser's reading of every docstring, checked by the dataset's own solutions on the visible examples:
    a misread example would reject every right program. The four it fails are the docstrings' own mistakes
    (47: 15.0 for 8.0; 116: a numeric sort for a sort by ones; 130: the sequence's values, not the list; 148:
    `("Venus")` for the tuple `("Venus",)`)."""
    tasks = [t for t in load_tasks("humaneval") if t.problem.examples]
    assert len(tasks) == 151 and sum(len(t.problem.examples) for t in tasks) == 419
    jobs = [Job(code=t.reference or "", tests=t.problem.examples, entry_point=t.problem.entry_point) for t in tasks]
    wrong = {job.code: any(e.status != "passed" for e in runs) for job, runs in ex.map(jobs)}
    assert sorted(t.id for t in tasks if wrong[t.reference or ""]) == [
        "HumanEval/116", "HumanEval/130", "HumanEval/148", "HumanEval/47",
    ]  # fmt: skip


def test_mbpp_conventions() -> None:
    tasks = {t.id: t for t in load_tasks("mbpp")}
    task = tasks["Mbpp/3"]
    first = "assert is_not_prime(2) == False"
    assert task.problem.prompt == f'"""\nWrite a python function to identify non-prime numbers.\n{first}\n"""\n'
    assert task.problem.entry_point == "is_not_prime"
    assert [(e.kind, e.input, e.output) for e in task.problem.examples] == [("call", "2", "False")]
    assert task.hidden[0].input == first and len(task.hidden) == 3
    assert sum(bool(t.challenge) for t in tasks.values()) == 11  # challenge_test_list, graded separately
    sanitized = {t.id: t for t in load_tasks("mbpp-sanitized")}
    # not `assert f(x) == y`: the visible example stays an assert
    assert sanitized["Mbpp/2"].problem.examples[0].kind == "assert"
    assert all(t.problem.entry_point for t in sanitized.values())


def test_assert_example_forms() -> None:
    assert assert_example("assert f(1, [2]) == 3", "f").model_dump() == {
        "kind": "call",
        "input": "1, [2]",
        "output": "3",
    }
    assert assert_example("assert math.isclose(f(1), 2.0)", "f").kind == "assert"
    assert assert_example("assert g(1) == 3", "f").kind == "assert"
    with_setup = assert_example("assert f(1) == 3", "f", setup="import math")
    assert with_setup.kind == "assert" and with_setup.input.startswith("import math")


def test_apps_conventions() -> None:
    tasks = {t.id: t for t in load_tasks("apps")}
    zonk = tasks["APPS/3554"]
    assert zonk.problem.style == "function" and zonk.problem.entry_point == "get_score"
    assert zonk.problem.examples[0].model_dump() == {"kind": "call", "input": "[1, 2, 3]", "output": "100"}
    assert len(zonk.hidden) == len(set(zonk.hidden))
    stdio = next(t for t in tasks.values() if t.problem.style == "stdio")
    assert all(e.kind == "stdio" for e in (*stdio.problem.examples, *stdio.hidden))


def test_apps_argument_typing() -> None:
    starter = "def f(s, b):\n\t"
    # multi-line string argument followed by a list; unquoted strings become str
    assert apps_call_inputs(starter, ["a #b\nc\n['#']"]) == ["'a #b\\nc', ['#']"]
    # numbers that do not print back as themselves (leading zeros) make a position a string
    pin = "def validate_pin(pin):\n\t"
    assert apps_call_inputs(pin, ["1234", "0000", "a234", "12"]) == ["'1234'", "'0000'", "'a234'", "'12'"]
    # a rare non-literal among ints stays a lone string
    factors = "def g(n):\n\t"
    inputs = ["10", "100", "1000", "0", "1", "2", "a", "-1"]
    assert apps_call_inputs(factors, inputs)[:2] == ["10", "100"]
    assert apps_call_inputs(factors, inputs)[6] == "'a'"


def test_jsonl_tasks(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    mine = {
        "id": "a",
        "prompt": "def inc(x):\n",
        "style": "function",
        "entry_point": "inc",
        "examples": [{"kind": "call", "input": "1", "output": "2"}],
        "hidden": ["assert inc(5) == 6", {"kind": "call", "input": "7", "output": "8"}],
        "reference": "def inc(x):\n    return x + 1\n",
    }
    stub = 'def two():\n    """\n    >>> two()\n    2\n    """\n'
    human_eval = {
        "task_id": "he/1",
        "prompt": stub,
        "entry_point": "two",
        "test": "def check(f):\n    assert f() == 2\n",
    }
    rows = [mine, human_eval]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    first, second = load_tasks(str(path))
    assert first.problem.examples[0].output == "2" and [t.kind for t in first.hidden] == ["assert", "call"]
    assert second.problem.examples[0].model_dump() == {"kind": "call", "input": "", "output": "2"}
    assert second.hidden[0].input.rstrip().endswith("check(two)")
    for bad in ('{"id": "x"}', '"just a string"', json.dumps({**mine, "metadata": None})):
        path.write_text(bad + "\n")
        with pytest.raises(BenchDataError, match=r"mine\.jsonl:1: not a codesift or human-eval task"):
            load_tasks(str(path))


def test_data_dir_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODESIFT_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(BenchDataError, match=r"mbpp\.jsonl not found"):
        load_tasks("mbpp")
    assert len(load_tasks("humaneval")) == 164  # the human-eval package ships the same file
    monkeypatch.setenv("CODESIFT_DATA", str(tmp_path / "nope"))
    with pytest.raises(BenchDataError, match="CODESIFT_DATA"):
        data_dir()
    with pytest.raises(BenchDataError, match="--data"):
        data_dir(tmp_path / "nope")
    with pytest.raises(BenchDataError, match="unknown benchmark"):
        load_tasks("humaneva")


def test_select() -> None:
    tasks = load_tasks("humaneval")
    assert [t.id for t in select(tasks, "3,HumanEval/1")] == ["HumanEval/3", "HumanEval/1"]
    assert len(select(tasks, limit=5)) == 5
    with pytest.raises(BenchDataError, match="unknown problem"):
        select(tasks, "HumanEval/999")
