"""The fresh benchmark (issue 19): its shape, that it matches its sources, and that every reference and every
visible example checks out in the real sandbox (the same check as `scripts/check_fresh.py`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from script_loader import load_script
from typer.testing import CliRunner

from codesift.bench.fresh import FreshCheck, check_fresh, fresh_records
from codesift.bench.grade import grade_programs
from codesift.bench.tasks import Task, load_tasks
from codesift.cli import app
from codesift.execute import make_executor
from codesift.execute.cached import run_all
from codesift.execute.executor import Executor
from codesift.extract import ProgramGroup
from codesift.records import Test
from codesift.store import Store

ROOT = Path(__file__).resolve().parents[1]
# Three statements use the layouts the reader misparsed before the issue-11 fix (format sections under bare
# `## Input` / `**Input**` headings were read as examples; a `**Example 1**` line was glued to the output before it):
# warm_streak, festival_plan, last_coat. They must parse exactly like the others.
JUDGE_LAYOUTS = ("fresh/warm_streak", "fresh/festival_plan", "fresh/last_coat")


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with make_executor(workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def checks(executor: Executor) -> dict[str, FreshCheck]:
    with Store(":memory:") as store:
        return {c.id: c for c in check_fresh(executor, store)}


def test_shape() -> None:
    tasks = load_tasks("fresh")
    assert len(tasks) >= 60 and len({t.id for t in tasks}) == len(tasks)
    styles = Counter(t.problem.style for t in tasks)
    assert styles["function"] * 3 >= 2 * len(tasks) - 3 and styles["stdio"] * 3 >= len(tasks) - 3
    levels = Counter(t.problem.metadata["level"] for t in tasks)
    assert set(levels) == {"easy", "medium", "hard"} and max(levels.values()) - min(levels.values()) <= 3
    for t, rec in zip(tasks, fresh_records(), strict=True):
        recorded = [Test.model_validate(h) for h in rec["hidden"]]  # graded with the visible examples
        assert 10 <= len(recorded) <= 20 and set(t.hidden) == {*recorded, *t.problem.examples}, t.id
        assert t.reference and t.problem.examples, t.id
        assert (t.problem.entry_point is not None) == (t.problem.style == "function")
        assert set(t.problem.metadata) == {"benchmark", "level"}
        problem_text = t.problem.model_dump_json()
        assert not any(h.output and len(h.output) > 20 and h.output in problem_text for h in recorded), t.id


def _sources() -> list[dict[str, Any]]:
    return load_script("scripts", "build_fresh").specs()  # type: ignore[no-any-return]


def test_data_is_built_from_the_sources() -> None:
    """Editing a problem in benchmarks/fresh/ without re-running scripts/build_fresh.py fails here."""
    built = {r["id"]: r for r in fresh_records()}
    sources = _sources()
    assert [s["id"] for s in sources] == list(built)
    for s in sources:
        rec = built[s["id"]]
        assert (rec["prompt"], rec["reference"], rec["level"]) == (s["prompt"], s["reference"], s["level"])
        assert [h["input"] for h in rec["hidden"]] == list(dict.fromkeys(s["tests"]))


def test_every_reference_passes_every_hidden_test(checks: dict[str, FreshCheck]) -> None:
    failing = {i: c.why for i, c in checks.items() if not c.passed}
    assert not failing


def test_statements_parse_to_exactly_their_examples(checks: dict[str, FreshCheck]) -> None:
    misparsed = {i: (c.examples_parsed, c.examples_declared, c.bad_examples) for i, c in checks.items() if not c.ok}
    assert not misparsed
    assert all(checks[i].examples_declared == 2 for i in JUDGE_LAYOUTS)


MISREADING = """def bus_fare(ages):
    total = paying = 0
    for age in ages:
        if age < 5 or age >= 65:
            continue
        paying += 1
        if paying % 4:
            total += 2 if age <= 17 else 4
    return total
"""


def test_a_plausible_misreading_fails_the_hidden_tests(executor: Executor) -> None:
    """Strictness: "every fourth PAYING passenger rides free" passes bus_fare's visible examples, not its hidden tests
    (the statement says every fourth full-fare passenger)."""
    task = _task(load_tasks("fresh"), "fresh/bus_fare")
    group = ProgramGroup(code=MISREADING, candidates=())
    with Store(":memory:") as store:
        visible = run_all([group], task.problem.examples, executor, store, task.problem.entry_point)[group.program]
        grade = grade_programs(task, [MISREADING], executor, store)[group.program]
    assert [e.status for e in visible.values()] == ["passed", "passed"]
    assert not grade.passed and grade.why and grade.why.startswith("failed")


def test_reference_command_grades_the_references() -> None:
    result = CliRunner().invoke(
        app, ["bench", "fresh", "--reference", "--json", "--problems", "fresh/fold_digits,fresh/parking_fees"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] == 2


def _task(tasks: list[Task], pid: str) -> Task:
    return next(t for t in tasks if t.id == pid)


def test_hidden_tests_include_large_inputs() -> None:
    """Time limits matter: some hidden input of most problems is large (an O(n^2) program times out)."""
    tasks = load_tasks("fresh")
    large = [
        t.id
        for t in tasks
        if max(len(h.input) for h in t.hidden) > 20_000 or "range(" in "".join(h.input for h in t.hidden)
    ]
    assert len(large) >= len(tasks) * 2 // 3
    assert _task(tasks, "fresh/lamps_on").hidden[-1].input.startswith("30000,")


# The 0.5B's sample 14 of fresh/next_rotation (bank/fresh-qwen2.5-coder-0.5b-n20-…): it returns the first
# rotation to the right that is larger, not the smallest, so `next_rotation(1234)` gives 4123, not 2341; every
# recorded hidden test happens to miss that, the statement's first example does not.
FIRST_LARGER_ROTATION = """def next_rotation(n: int) -> int:
    if n == 0:
        return -1
    digits = [int(digit) for digit in str(n)]
    for i in range(len(digits)):
        digits.insert(0, digits.pop())
        rotated = int(''.join(map(str, digits)))
        if rotated > n:
            return rotated
    return -1
"""


def test_a_program_that_contradicts_the_statement_s_examples_is_graded_wrong(executor: Executor) -> None:
    task = _task(load_tasks("fresh"), "fresh/next_rotation")
    assert set(task.problem.examples) <= set(task.hidden)
    with Store(":memory:") as store:
        grade = grade_programs(task, [FIRST_LARGER_ROTATION], executor, store)
    (verdict,) = grade.values()
    assert not verdict.passed and verdict.why and verdict.why.startswith("failed")
