"""The distinguishing test, on recorded real judgements of running_max (scripts/record_judge.py), real sandbox."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from replay import ReplayBackend
from script_loader import load_script

from codesift.execute import Executor
from codesift.extract import group
from codesift.problems import load_problem
from codesift.records import Policy, Test
from codesift.select import select
from codesift.select.judge import distinguishing, judge
from codesift.select.types import Cluster
from codesift.store import Store

DATA = Path(__file__).parent / "data"
PROBLEM = load_problem("examples/running_max.py")


def _script() -> ModuleType:
    module = load_script("scripts", "record_judge")
    return module


def _judged(ex: Executor, recording: str, right_votes: int) -> tuple[list[str], list[str], int]:
    """First submissions before and after the judge, and the model calls it made, for 3 wrong and ``right_votes``
    right samples."""
    script = _script()
    cands = script.candidates(PROBLEM.id)
    right = next(c for c in cands if c.code == script.RIGHT)
    cands += [right.model_copy(update={"seed": 100 + i}) for i in range(right_votes - 2)]
    replay = ReplayBackend(DATA / recording)
    with Store() as store:
        sel = select(PROBLEM, group(cands), executor=ex, submissions=2, cache=store)
        judged, calls = judge(PROBLEM, sel, Policy(model=replay.model), lambda p: replay, store, ex, store)
        again, _ = judge(PROBLEM, sel, Policy(model=replay.model), lambda p: replay, store, ex, store)
    assert again == judged and replay.calls == len(calls) == 1  # the verdict is cached in the store
    labels = {script.RIGHT: "right", script.NEIGHBOUR: "neighbour"}
    return [labels[s.code] for s in sel.submissions], [labels[s.code] for s in judged.submissions], replay.calls


def test_a_right_prediction_promotes_the_runner_up_that_passes_it(ex):
    before, after, _ = _judged(ex, "judge_running_max_1.5b.json", right_votes=2)
    assert before == ["neighbour", "right"] and after == ["right", "neighbour"]


def test_a_right_prediction_leaves_a_right_leader_first(ex):
    before, after, _ = _judged(ex, "judge_running_max_1.5b.json", right_votes=4)
    assert before == after == ["right", "neighbour"]


def test_a_prediction_matching_neither_cluster_changes_nothing(ex):
    before, after, _ = _judged(ex, "judge_running_max_0.5b.json", right_votes=2)
    assert before == after == ["neighbour", "right"]


def _cluster(outputs: tuple[str, ...]) -> Cluster:
    return Cluster(groups=(), outputs=outputs)


def test_the_shortest_input_where_both_return_values_distinguishes():
    probes = tuple(Test(kind="call", input=text) for text in ("[1, 2, 3, 4]", "[9]", "[]", "[5, 1]"))
    a = _cluster(("=[1]", "=[9]", "!IndexError", "=[5, 5]"))
    b = _cluster(("=[2]", "=[9]", "=[]", "=[5, 1]"))
    assert distinguishing(a, b, probes) == 3  # [] differs too, but one side raised there
    assert distinguishing(a, a, probes) is None
    assert distinguishing(_cluster(("!E", "=1", "=1", "=1")), _cluster(("=0", "=1", "=1", "=1")), probes) is None


def test_solve_with_a_judge_answers_with_the_promoted_cluster_and_counts_its_call(tmp_path, ex):
    """Samples already in the store (under the sampler's call key) are reused, so only the judge reaches the model."""
    from codesift.pipeline import SolveConfig, solve
    from codesift.prompt import build_prompt
    from codesift.records import call_key

    script = _script()
    replay = ReplayBackend(DATA / "judge_running_max_1.5b.json")
    sampler = Policy(name="hand", model="qwen2.5-coder-0.5b")
    key = call_key(build_prompt(PROBLEM, sampler.prompt), sampler)
    # as the model writes them: the body that continues the pre-filled stub (the store re-extracts the code)
    cands = [
        c.model_copy(update={"key": key, "completion": c.code.split("\n", 1)[1]}) for c in script.candidates(PROBLEM.id)
    ]
    base = SolveConfig(policies=(sampler,), samples=len(cands), test_writers=0, submissions=2)
    with Store(tmp_path / "run.sqlite") as store:
        store.add_candidates(cands)
        plain, _ = solve(PROBLEM, base, executor=ex, store=store, backend_for=lambda p: replay)
        assert replay.calls == 0 and "numbers[i - 1]" in plain.submissions[0].code
        judged, _ = solve(
            PROBLEM, base.model_copy(update={"judge": Policy(name="judge", model=replay.model)}), executor=ex,
            store=store, backend_for=lambda p: replay,
        )  # fmt: skip
    assert replay.calls == 1 and "best = x if best is None" in judged.submissions[0].code
    assert "judge" in judged.timings and judged.completion_tokens > plain.completion_tokens
