"""The store is an honest cache: change one setting and exactly the stages that depend on it run again.

Real recorded completions of the 0.5B model (samples, test-writer answers, repair answers for
examples/running_max.py) are replayed by a backend that logs every call, so each step counts the model
calls per stage and the executions; the sandbox is real. The steps run in order on one store, each
changing one setting of the previous step's config.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from replay import RECORDING, ReplayBackend

from codesift.errors import StoreError
from codesift.execute import make_executor
from codesift.pipeline import SolveConfig, solve, written_tests_key
from codesift.problems import load_problem
from codesift.prompt import build_prompt
from codesift.records import Policy
from codesift.sample import sample
from codesift.select import SelectConfig, written
from codesift.store import SCHEMA_VERSION, Store

PIPELINE = Path(__file__).parent / "data" / "pipeline_running_max.json"
PROBLEM = load_problem("examples/running_max.py")


def calls_by_stage(replay: ReplayBackend, since: int) -> dict[str, int]:
    """Seeds asked of the model per stage since log entry ``since``."""
    counts: Counter[str] = Counter()
    for prompt, seeds in replay.log[since:]:
        if prompt == written.tests_prompt(PROBLEM):
            stage = "write tests"
        elif "Here is an attempt:" in prompt.messages[-1][1]:
            stage = "repair"
        else:
            stage = "sample"
        counts[stage] += len(seeds)
    return dict(counts)


@pytest.fixture(scope="module")
def replay() -> ReplayBackend:
    return ReplayBackend(RECORDING, PIPELINE)


def test_each_setting_reruns_exactly_the_stages_that_depend_on_it(tmp_path, replay):
    policy = Policy(name="recorded", model=replay.model, temperature=0.8, max_tokens=384)
    config = SolveConfig(policies=(policy,), samples=6, test_writers=1, repair_tokens=10**6)
    with make_executor(workers=2) as ex, Store(tmp_path / "run.sqlite") as store:

        def run(change: dict[str, object], policy_change: dict[str, object] | None = None) -> tuple[dict, int]:
            nonlocal config
            if policy_change:
                change = {**change, "policies": (config.policies[0].model_copy(update=policy_change),)}
            config = config.model_copy(update=change)
            since = len(replay.log)
            answer, _ = solve(PROBLEM, config, executor=ex, store=store, backend_for=lambda p: replay)
            return calls_by_stage(replay, since), answer.executions

        calls, executions = run({})
        failing = calls["repair"]
        assert calls == {"sample": 6, "write tests": 1, "repair": failing} and failing >= 2 and executions > 0

        # Nothing changed, or only labels and knobs no model call depends on: no call, no execution.
        assert run({}) == ({}, 0)
        assert run({}, {"name": "renamed"}) == ({}, 0)
        assert run({"submissions": 1}) == ({}, 0)
        assert run({"select": SelectConfig(w_logprob=0.5)}) == ({}, 0)

        # Every sampling setting of the policy: sampling, test writing and repair are asked again.
        # (The replay answers a prompt with the same completions whatever the setting, so the programs and
        # hence their executions are cached: executions are keyed by program, not by how it was drawn.)
        for field, value in [("temperature", 0.7), ("top_p", 0.9), ("top_k", 20), ("max_tokens", 400),
                             ("api", "chat"), ("base_url", "http://127.0.0.1:1/v1")]:  # fmt: skip
            assert run({}, {field: value}) == ({"sample": 6, "write tests": 1, "repair": failing}, 0), field

        # Repair budget: a smaller one reuses the cached first attempt, a larger one only adds attempts.
        assert run({"repair_tokens": 1}) == ({}, 0)
        assert run({"repair_tokens": 10**6}) == ({}, 0)
        assert run({"repair_tokens": 0}) == ({}, 0)

        # More writers: only the test writer runs; its new tests are executed by selection.
        calls, executions = run({"test_writers": 2})
        assert calls == {"write tests": 2} and executions > 0

        # One more sample: one new seed drawn, nothing else asked of the model unless it fails an example.
        calls, _ = run({"samples": 7})
        assert calls.get("sample") == 1 and "write tests" not in calls

        # A new first seed: only the seed the store lacks is sampled; the writers' seeds move with it.
        calls, _ = run({"seed": 1})
        assert calls.get("sample") == 1 and calls.get("write tests") == 2

        # Another prompt variant is another prompt: everything is drawn anew.
        before = len(replay.log)
        with pytest.raises(KeyError, match="no recording"):
            run({}, {"prompt": "examples-first"})
        assert replay.log[before:] == []  # refused at the first call, which was for samples of the new prompt


def test_another_test_writer_writes_only_the_tests_on_its_own_backend(tmp_path, replay):
    """Roles differ within a family: the sampler's programs are reused, the tests are asked of the writer's model
    and kept under their own key, so switching back costs nothing."""
    policy = Policy(name="recorded", model=replay.model, temperature=0.8, max_tokens=384)
    writer = policy.model_copy(update={"name": "writer", "model": "qwen2.5-coder-1.5b"})
    config = SolveConfig(policies=(policy,), samples=6, test_writers=1)
    asked: list[str] = []

    def backend_for(p: Policy) -> ReplayBackend:
        asked.append(p.model)
        return replay

    with make_executor(workers=2) as ex, Store(tmp_path / "run.sqlite") as store:
        solve(PROBLEM, config, executor=ex, store=store, backend_for=backend_for)
        since, asked_before = len(replay.log), len(asked)
        with_writer = config.model_copy(update={"test_writer": writer})
        solve(PROBLEM, with_writer, executor=ex, store=store, backend_for=backend_for)
        assert calls_by_stage(replay, since) == {"write tests": 1}
        assert asked[asked_before:] == [writer.model]
        keys = {written_tests_key(PROBLEM, c) for c in (config, with_writer)}
        assert len(keys) == 2 and all(store.written_tests(PROBLEM.id, k) is not None for k in keys)
        since = len(replay.log)
        solve(PROBLEM, config, executor=ex, store=store, backend_for=backend_for)
        assert replay.log[since:] == []


def test_a_stored_sample_is_re_extracted_with_the_current_extractor(tmp_path, replay):
    policy = Policy(name="recorded", model=replay.model, temperature=0.8, max_tokens=384)
    with Store(tmp_path / "run.sqlite") as store:
        (first,) = sample(PROBLEM, [policy], 1, seed=0, store=store, backend_for=lambda p: replay)
        store.add_candidate(first.model_copy(update={"code": "stale = 'an older extractor wrote this'\n"}))
        calls = replay.calls
        (again,) = sample(PROBLEM, [policy], 1, seed=0, store=store, backend_for=lambda p: replay)
        assert replay.calls == calls and again.code == first.code
        assert [c.code for c in store.candidates(PROBLEM.id)] == [first.code]


def test_a_store_from_before_schema_versions_stays_readable_but_its_samples_are_not_reused(tmp_path, replay):
    path = tmp_path / "old.sqlite"
    prompt = build_prompt(PROBLEM, "plain")
    completion = replay._by_prompt[prompt][0]
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE candidates (problem_id TEXT NOT NULL, policy TEXT NOT NULL, seed INTEGER NOT NULL,"
            " origin TEXT NOT NULL, completion TEXT NOT NULL, code TEXT NOT NULL, program TEXT NOT NULL,"
            " prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, mean_logprob REAL,"
            " seconds REAL NOT NULL, PRIMARY KEY (problem_id, policy, seed, origin));"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        )
        db.execute(
            "INSERT INTO candidates VALUES (?, 'recorded', 0, 'sample', ?, 'x = 1\n', 'p', 1, 2, NULL, 0.5)",
            (PROBLEM.id, completion.text),
        )
        db.execute("INSERT INTO meta VALUES (?, ?)", (f"written-tests/{PROBLEM.id}", '{"tests": [], "tokens": 7}'))
    policy = Policy(name="recorded", model=replay.model, temperature=0.8, max_tokens=384)
    with Store(path) as store:
        (old,) = store.candidates(PROBLEM.id)
        assert (old.policy, old.seed, old.code, old.key) == ("recorded", 0, "x = 1\n", "legacy:recorded")
        assert store.any_written_tests(PROBLEM.id).completion_tokens == 7
        calls = replay.calls
        sample(PROBLEM, [policy], 1, seed=0, store=store, backend_for=lambda p: replay)
        assert replay.calls == calls + 1  # settings of the old row are unknown: drawn again
        assert len(store.candidates(PROBLEM.id)) == 2
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_from_a_newer_codesift_is_refused_in_one_line(tmp_path):
    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="written by a newer codesift") as caught:
        Store(path)
    assert "\n" not in str(caught.value)
