"""The sample bank: a bench run's completions survive as a compressed file and replay as the same run."""

import gzip
import json

import pytest
from replay import ReplayBackend
from script_loader import ROOT, load_script

from codesift.bench.bank import bank_path, bank_store, export_bank, read_bank, replayed_tests
from codesift.bench.run import run_bench
from codesift.bench.tasks import Task
from codesift.execute import make_executor
from codesift.pipeline import SolveConfig, written_tests_key
from codesift.problems import load_problem
from codesift.prompt import build_prompt
from codesift.records import Policy, Problem, Test, WrittenTests
from codesift.store import Store


def _recorded_run() -> tuple[ReplayBackend, list[Problem], list[Task], Policy, SolveConfig]:
    """Two example problems, 8 recorded real samples each, no model-written tests."""
    replay = ReplayBackend()
    problems = [load_problem(f"examples/{name}") for name in ("digit_sum.py", "running_max.py")]
    tasks = [Task(problem=p, hidden=p.examples) for p in problems]
    policy = Policy(name="recorded", model=replay.model, temperature=0.8, max_tokens=384)
    config = SolveConfig(policies=(policy,), samples=8, test_writers=0)
    return replay, problems, tasks, policy, config


def test_bank_round_trip_is_deterministic_and_replays_the_run(tmp_path):
    replay, _, tasks, policy, config = _recorded_run()
    run_dir = tmp_path / "run"
    with make_executor(workers=2) as ex:
        run_bench("mine.jsonl", tasks, run_dir, config, executor=ex, backend_for=lambda p: replay)
    written = WrittenTests(tests=(Test(kind="call", input="9", output="9"),), completion_tokens=7)
    with Store(run_dir / "store.sqlite") as store:
        store.add_written_tests(tasks[0].id, "any-key", written)
        first = export_bank(store, "mine.jsonl", tasks, tmp_path / "bank")
        data = first.read_bytes()
        again = export_bank(store, "mine.jsonl", tasks, tmp_path / "bank")
        original = {(c.problem_id, c.seed): c for c in store.candidates()}
    assert again == first and again.read_bytes() == data  # same run, same bytes
    assert first.name.startswith(f"mine-{replay.model}-n8-t0.8-")

    header, samples, tests = read_bank(first)
    assert header.settings["samples"] == 8 and len(samples) == 16
    assert all(s.policy == policy for s in samples)
    assert tests == {tasks[0].id: written}

    replayed = bank_store([first], tasks)
    restored = {(c.problem_id, c.seed): c for c in replayed.candidates()}
    assert restored.keys() == original.keys()
    assert all(restored[k].code == original[k].code for k in original)  # re-extracted identically
    # where solve looks for them when it replays the bank (the writer's grammar included)
    assert replayed.written_tests(tasks[0].id, written_tests_key(tasks[0].problem, config)) == written
    assert replayed.any_written_tests(tasks[1].id) is None
    # a bank from before the grammar knob (no "grammar" in its settings) wrote its tests unconstrained
    lines = gzip.decompress(data).decode().splitlines()
    header = json.loads(lines[0])
    del header["settings"]["grammar"]
    older = tmp_path / "older" / first.name
    older.parent.mkdir()
    older.write_bytes(gzip.compress("\n".join([json.dumps(header), *lines[1:]]).encode() + b"\n"))
    unconstrained = config.model_copy(update={"grammar": "off"})
    assert (
        bank_store([older], tasks).written_tests(tasks[0].id, written_tests_key(tasks[0].problem, unconstrained))
        == written
    )
    # the bank's samples are keyed as sampling keys them: a run on a banked run dir samples nothing
    (tmp_path / "banked").mkdir()
    bank_store([first], tasks, Store(tmp_path / "banked" / "store.sqlite")).close()
    calls = replay.calls
    with make_executor(workers=2) as ex:
        rerun = run_bench("mine.jsonl", tasks, tmp_path / "banked", config, executor=ex, backend_for=lambda p: replay)
    assert replay.calls == calls and rerun.summary.samples == 16


def test_a_replay_cache_shared_by_two_test_writers_serves_each_bank_its_own_tests(tmp_path):
    """Replaying the 0.5B-written bank and then the 1.5B-written one through the same execution cache: each
    replay ranks with its own bank's tests, not with whichever the cache stored first."""
    replay, _, tasks, policy, config = _recorded_run()
    with make_executor(workers=2) as ex:
        run_bench("mine.jsonl", tasks[:1], tmp_path / "run", config, executor=ex, backend_for=lambda p: replay)
    banks = {}
    for model, value in (("small", "1"), ("large", "2")):
        writing = config.model_copy(update={"test_writer": policy.model_copy(update={"model": model})})
        own = WrittenTests(tests=(Test(kind="call", input="0", output=value),), completion_tokens=1)
        with Store(tmp_path / "run" / "store.sqlite") as store:
            store.set_settings("bench", {"benchmark": "mine.jsonl", "config": writing.model_dump(mode="json")})
            store.add_written_tests(tasks[0].id, written_tests_key(tasks[0].problem, writing), own)
            banks[model] = (export_bank(store, "mine.jsonl", tasks[:1], tmp_path / model), own)
    cache = Store(tmp_path / "cache.sqlite")
    for model in ("small", "large"):
        path, own = banks[model]
        assert replayed_tests(bank_store([path], tasks[:1], cache), tasks[0].problem) == own
    assert cache.any_written_tests(tasks[0].id) == banks["small"][1]  # what the replay used to take for both


def test_a_run_with_a_bank_resumes_on_another_machine_from_it_and_samples_only_what_is_missing(tmp_path):
    replay, problems, tasks, _, config = _recorded_run()
    bank = tmp_path / "bank"
    with make_executor(workers=2) as ex:
        # the first machine finished one problem before it vanished with its run dir; the bank survives
        run_bench("mine.jsonl", tasks[:1], tmp_path / "lost", config, executor=ex, backend_for=lambda p: replay,
                  bank=bank)  # fmt: skip
        (banked,) = bank.iterdir()
        assert len(read_bank(banked)[1]) == 8
        calls = replay.calls
        second = run_bench("mine.jsonl", tasks, tmp_path / "new", config, executor=ex,
                           backend_for=lambda p: replay, bank=bank)  # fmt: skip
        assert [prompt for prompt, _ in replay.log[calls:]] == [build_prompt(problems[1], "plain")]
        assert len(read_bank(banked)[1]) == 16  # rewritten after the newly solved problem
        # a third machine asks the model for nothing and reaches the same results
        calls = replay.calls
        third = run_bench("mine.jsonl", tasks, tmp_path / "third", config, executor=ex,
                          backend_for=lambda p: replay, bank=bank)  # fmt: skip
        assert replay.calls == calls
        # a run with other settings reuses what its own calls would draw: fewer samples, another ranking knob
        fewer = config.model_copy(update={"samples": 4, "submissions": 1})
        small = run_bench("mine.jsonl", tasks, tmp_path / "fewer", fewer, executor=ex, backend_for=lambda p: replay,
                          bank=bank)  # fmt: skip
        assert replay.calls == calls
        assert small.summary.samples == 8 and all(p.samples == 4 for p in small.problems)  # graded its own 4 each
        # and resumes as itself: its run dir holds its own settings, not the bank's
        run_bench("mine.jsonl", tasks, tmp_path / "fewer", fewer, executor=ex, backend_for=lambda p: replay,
                  bank=bank)  # fmt: skip
    same = [p.model_dump(exclude={"seconds", "executions"}) for p in third.problems]  # time and cache hits vary
    assert same == [p.model_dump(exclude={"seconds", "executions"}) for p in second.problems]
    own = bank_path(bank, "mine.jsonl", fewer.model_dump(mode="json"))
    # its own file holds the samples it drew (seeds 0-3 of each problem), not the bigger bank's extras
    assert {p.name for p in bank.iterdir()} == {banked.name, own.name}
    assert sorted((s.problem_id, s.seed) for s in read_bank(own)[1]) == sorted(
        (t.id, seed) for t in tasks for seed in range(4)
    )


def test_a_run_of_another_policy_loads_nothing_foreign_from_its_models_banks(tmp_path):
    """A bank file of the same model (found by `banks_for`) with another policy, e.g. an adapter or another
    temperature: the run samples everything itself and exports only its own policy."""
    replay, _, tasks, policy, config = _recorded_run()
    bank = tmp_path / "bank"
    with make_executor(workers=2) as ex:
        run_bench("mine.jsonl", tasks[:1], tmp_path / "first", config, executor=ex, backend_for=lambda p: replay,
                  bank=bank)  # fmt: skip
        other = policy.model_copy(update={"name": "recorded-cooler", "temperature": 0.5})
        cooler = config.model_copy(update={"policies": (other,), "samples": 2})
        calls = replay.calls
        result = run_bench("mine.jsonl", tasks[:1], tmp_path / "cooler", cooler, executor=ex,
                           backend_for=lambda p: replay, bank=bank)  # fmt: skip
    assert replay.calls > calls and result.summary.samples == 2
    own = bank_path(bank, "mine.jsonl", cooler.model_dump(mode="json"))
    assert [s.policy.name for s in read_bank(own)[1]] == ["recorded-cooler"] * 2


def test_bank_summary_counts_a_committed_bank_and_refuses_a_bad_file(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = load_script("bench", "bank_summary")
    bank = ROOT / "bank" / "fresh-qwen2.5-coder-0.5b-n20-t0.8-a32ddf81.jsonl.gz"
    assert script.main([str(bank)]) == 0
    row = capsys.readouterr().out.splitlines()[-1]
    assert row.startswith(f"| `{bank.name}` | 60 | 1200 | 162,823 |"), row
    bad = tmp_path / "x.jsonl.gz"
    bad.write_bytes(b"not gzip")
    assert script.main([str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_a_renamed_policy_reuses_the_bank_and_exports_its_samples_under_its_own_name(tmp_path):
    """The call key leaves the policy's name out, so a run that only renamed its policy draws nothing anew; its
    bank file names the run's own policy."""
    replay, _, tasks, policy, config = _recorded_run()
    bank = tmp_path / "bank"
    with make_executor(workers=2) as ex:
        run_bench("mine.jsonl", tasks[:1], tmp_path / "first", config, executor=ex, backend_for=lambda p: replay,
                  bank=bank)  # fmt: skip
        renamed = config.model_copy(update={"policies": (policy.model_copy(update={"name": "recorded-again"}),)})
        calls = replay.calls
        result = run_bench("mine.jsonl", tasks[:1], tmp_path / "renamed", renamed, executor=ex,
                           backend_for=lambda p: replay, bank=bank)  # fmt: skip
    assert replay.calls == calls and result.summary.samples == 8
    own = bank_path(bank, "mine.jsonl", renamed.model_dump(mode="json"))
    assert [s.policy.name for s in read_bank(own)[1]] == ["recorded-again"] * 8


def test_a_damaged_bank_line_is_one_error_naming_the_file(tmp_path):
    from codesift.bench.bank import FORMAT
    from codesift.bench.tasks import BenchDataError

    bad = tmp_path / "damaged.jsonl.gz"
    header = {"kind": "header", "format": FORMAT, "benchmark": "mine.jsonl", "settings": {}}
    bad.write_bytes(gzip.compress((json.dumps(header) + '\n{"kind": "sample", "problem_id": "x"}\n').encode()))
    with pytest.raises(BenchDataError, match=r"damaged\.jsonl\.gz: a damaged sample bank \(ValidationError"):
        read_bank(bad)
