"""Selection, model-written tests and repair on recorded real 0.5B-model outputs (MBPP task 2).

tests/data/select_mbpp_2.json comes from scripts/record_select_data.py: 20 real samples (T=0.8),
the model's answers to the test-writing prompt and to two repair prompts, replayed verbatim.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from replay import ReplayBackend

from codesift.bench.grade import grade_programs
from codesift.bench.tasks import Task
from codesift.execute import Executor
from codesift.execute.cached import run_all
from codesift.extract import ProgramGroup, group
from codesift.pipeline import filter_groups
from codesift.records import Candidate, Policy
from codesift.repair import Failure, repair
from codesift.select import SelectConfig, select, write_tests
from codesift.store import Store

DATA = Path(__file__).parent / "data" / "select_mbpp_2.json"
RECORD = json.loads(DATA.read_text())
TASK = Task.model_validate(RECORD["task"])
POLICY = Policy.model_validate(RECORD["policy"])
CANDIDATES = [Candidate.model_validate(c) for c in RECORD["candidates"]]


@pytest.fixture(scope="module")
def filtered(ex: Executor) -> tuple[list[ProgramGroup], list[Failure]]:
    groups = group(CANDIDATES)
    return filter_groups(
        TASK.problem, groups, run_all(groups, TASK.problem.examples, ex, None, TASK.problem.entry_point)
    )


def written() -> tuple:  # type: ignore[type-arg]
    return write_tests(TASK.problem, ReplayBackend(DATA), POLICY.model_copy(update={"max_tokens": 256})).tests


def test_model_written_tests_parse_into_literal_calls() -> None:
    tests = written()
    assert len(tests) >= 3
    visible = {t.input for t in TASK.problem.examples}
    for t in tests:
        assert t.kind == "call" and t.input not in visible
        ast.literal_eval(f"({t.input},)")
        ast.literal_eval(t.output or "")


def test_real_candidates_collapse_into_few_behaviour_clusters(ex: Executor, filtered) -> None:  # type: ignore[no-untyped-def]
    passing, _ = filtered
    assert len(passing) >= 10
    sel = select(TASK.problem, passing, executor=ex, config=SelectConfig(w_logprob=0, w_codet=0), submissions=3)
    assert 2 <= len(sel.clusters) < len(passing) // 3
    assert sum(c.samples for c in sel.clusters) == sum(g.votes for g in passing)
    assert sorted(g.program for c in sel.clusters for g in c.groups) == sorted(g.program for g in passing)
    assert sel.separating_inputs
    # Same behaviour inside a cluster, different behaviour across: re-run the members on the probes.
    runs = run_all(passing, sel.probes, ex, None, TASK.problem.entry_point)
    sigs = [{tuple(runs[g.program][p.key].output for p in sel.probes) for g in c.groups} for c in sel.clusters]
    assert all(len(s) == 1 for s in sigs) and len({next(iter(s)) for s in sigs}) == len(sigs)


def test_full_ranking_submits_a_program_the_grader_accepts(ex: Executor, filtered) -> None:  # type: ignore[no-untyped-def]
    passing, _ = filtered
    sel = select(TASK.problem, passing, executor=ex, model_tests=written(), submissions=2)
    assert sel.clusters[0].tests_passed > sel.clusters[1].tests_passed
    verdicts = grade_programs(TASK, [s.code for s in sel.submissions], ex, Store())
    assert verdicts[sel.submissions[0].program].passed


def test_repair_replays_within_the_token_budget(filtered) -> None:  # type: ignore[no-untyped-def]
    _, failures = filtered
    assert failures
    recorded = ReplayBackend(DATA)
    fixed = repair(TASK.problem, failures[:2], lambda p: recorded, POLICY, budget_tokens=10**9, seed=10_000)
    assert len(fixed) == 2 and all(c.origin == "repair" for c in fixed)
    for c in fixed:
        ast.parse(c.code)
        assert "def similar_elements" in c.code
    one = repair(TASK.problem, failures[:2], lambda p: recorded, POLICY, budget_tokens=1, seed=10_000)
    assert len(one) == 1
    with Store() as store:  # attempts in the store: the model is not even opened
        first = repair(TASK.problem, failures[:2], lambda p: recorded, POLICY, budget_tokens=10**9, seed=10_000,
                       store=store)  # fmt: skip
        again = repair(TASK.problem, failures[:2], lambda p: pytest.fail("opened"), POLICY, budget_tokens=10**9,
                       seed=10_000, store=store)  # fmt: skip
    assert [c.code for c in again] == [c.code for c in first]
