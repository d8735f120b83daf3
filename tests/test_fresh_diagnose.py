"""bench/fresh_diagnose.py replays a `codesift bench` run's selection from its store, model-written tests included.

The run is a real `run_bench` over two MBPP tasks whose every model call is a recorded real 0.5B output
(tests/data/select_mbpp_*.json: 20 samples each and the test writer's answers for seeds 0 and 1), replayed
verbatim; the sandbox is real. The writer's answers were drawn unconstrained, so the run has ``grammar="off"``.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from types import ModuleType

import pytest
from replay import ReplayBackend
from script_loader import load_script

from codesift.bench.bank import export_bank
from codesift.bench.run import STORE, run_bench
from codesift.bench.tasks import Task
from codesift.execute import Executor
from codesift.pipeline import SolveConfig, written_tests_key
from codesift.prompt import build_prompt
from codesift.records import Candidate, Completion, Policy
from codesift.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = [ROOT / "tests" / "data" / f"select_mbpp_{n}.json" for n in (2, 594)]


def _script() -> ModuleType:
    return load_script("bench", "fresh_diagnose")


def _recorded() -> tuple[list[Task], Policy, ReplayBackend]:
    """The tasks, the policy that sampled them, and a backend answering their sampling and test-writing prompts."""
    replay = ReplayBackend(*DATA)
    tasks = []
    for path in DATA:
        record = json.loads(path.read_text())
        task, policy = Task.model_validate(record["task"]), Policy.model_validate(record["policy"])
        samples = [Candidate.model_validate(c) for c in record["candidates"]]
        replay.add(
            build_prompt(task.problem, policy.prompt),
            [
                Completion(text=c.completion, seed=c.seed, prompt_tokens=c.prompt_tokens,
                           completion_tokens=c.completion_tokens, mean_logprob=c.mean_logprob, seconds=c.seconds)
                for c in samples
            ],
        )  # fmt: skip
        tasks.append(task)
    return tasks, policy, replay


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, ex: Executor) -> tuple[Path, list[Task], SolveConfig]:
    tasks, policy, replay = _recorded()
    config = SolveConfig(policies=(policy,), samples=20, test_writers=2, grammar="off")
    run_dir = tmp_path_factory.mktemp("run")
    run_bench("mbpp-sanitized", tasks, run_dir, config, executor=ex, backend_for=lambda p: replay)
    assert sum(len(seeds) for _, seeds in replay.log) == (20 + 2) * len(tasks)  # samples and writers' seeds
    return run_dir, tasks, config


def test_the_replay_ranks_with_the_run_s_written_tests_and_submits_what_the_run_submitted(run, ex, monkeypatch):
    run_dir, tasks, config = run
    script = _script()
    rows = script.replay_run(run_dir, tasks, ex)
    assert [r["id"] for r in rows] == [t.id for t in tasks]
    with Store(run_dir / STORE) as store:
        stored = {t.id: store.written_tests(t.id, written_tests_key(t.problem, config)) for t in tasks}
    for r in rows:
        tests = stored[str(r["id"])]
        assert tests is not None and r["written"] == len(tests.tests) > 0, r  # ranked with the run's own tests
        assert r["replayed"], r  # same submissions, in the same order, with the same scores

    # The check can tell: ranked without the written tests (what reading them under a key nothing writes did),
    # the replay's submissions are no longer the run's.
    monkeypatch.setattr(script, "written", lambda *args: ())
    assert not all(r["replayed"] for r in script.replay_run(run_dir, tasks, ex))


def test_a_store_without_the_written_tests_the_run_used_is_refused_in_one_line(run, tmp_path, capsys):
    run_dir, tasks, _ = run
    copy = tmp_path / "run"
    copy.mkdir()
    (copy / "results.json").write_text((run_dir / "results.json").read_text())
    with Store(run_dir / STORE) as store:
        store._db.execute("VACUUM INTO ?", (str(copy / STORE),))
    with closing(sqlite3.connect(copy / STORE)) as db, db:  # the run's store, less one problem's written tests
        db.execute("DELETE FROM written_tests WHERE problem_id = ?", (tasks[1].id,))
    lines = [{**t.problem.model_dump(mode="json"), **t.model_dump(mode="json", exclude={"problem"})} for t in tasks]
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))  # a JSONL benchmark

    assert _script().main([str(copy), "--benchmark", str(tmp_path / "tasks.jsonl")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert f"{tasks[1].id} was ranked with model-written tests, but the store holds none" in err


def test_the_bank_alone_gives_the_same_facts_and_takes_selection_knobs(run, ex, tmp_path):
    run_dir, tasks, _ = run
    script = _script()
    with Store(run_dir / STORE) as store:
        bank = export_bank(store, "mbpp-sanitized", tasks, tmp_path)
    from_run = script.replay_run(run_dir, tasks, ex)
    from_bank = script.replay_bank([bank], tasks, ex, ":memory:", [])
    assert [{k: v for k, v in r.items() if k != "replayed"} for r in from_run] == [
        {k: v for k, v in r.items() if k != "replayed"} for r in from_bank
    ]
    unclustered = script.replay_bank([bank], tasks, ex, ":memory:", ["cluster=false"])
    assert [r["pool_clusters"] for r in unclustered] != [r["pool_clusters"] for r in from_bank]


def test_a_bank_from_before_the_grammar_knob_replays_with_its_unconstrained_tests(run, ex, tmp_path):
    run_dir, tasks, _ = run  # the run wrote its tests with grammar="off", as every run before the knob did
    with Store(run_dir / STORE) as store:
        bank = export_bank(store, "mbpp-sanitized", tasks, tmp_path)
    with gzip.open(bank, "rt") as fh:
        header, *rest = fh.read().splitlines()
    settings = json.loads(header)
    del settings["settings"]["grammar"]
    old = tmp_path / "old.jsonl.gz"
    with gzip.open(old, "wt") as fh:
        fh.write("\n".join([json.dumps(settings), *rest]) + "\n")
    rows = _script().replay_bank([old], tasks, ex, ":memory:", [])
    assert [r["id"] for r in rows] == [t.id for t in tasks] and all(r["written"] for r in rows)
