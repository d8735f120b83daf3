"""solve() end to end on recorded real completions of the 0.5B model, with the real sandbox and store."""

import pytest
from replay import ReplayBackend

from codesift.adaptive import StopRule
from codesift.execute import make_executor
from codesift.pipeline import SolveConfig, solve, written_tests_key
from codesift.problems import load_problem
from codesift.records import Policy, Test, WrittenTests
from codesift.store import Store

EXAMPLES = ["digit_sum.py", "running_max.py", "sum_of_pairs.md"]


@pytest.fixture(scope="module")
def replay():
    return ReplayBackend()


@pytest.fixture(scope="module")
def executor():
    with make_executor(workers=2) as ex:
        yield ex


def _config(replay: ReplayBackend, samples: int = 8) -> SolveConfig:
    policy = Policy(name="recorded", model=replay.model, temperature=0.8, max_tokens=384)
    return SolveConfig(policies=(policy,), samples=samples, test_writers=0)


@pytest.mark.parametrize("example", EXAMPLES)
def test_answer_passes_every_visible_example(tmp_path, replay, executor, example):
    problem = load_problem(f"examples/{example}")
    with Store(tmp_path / "run.sqlite") as store:
        answer, selection = solve(
            problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay
        )
        best = answer.submissions[0]
        assert best.examples_passed == best.examples_total == len(problem.examples)
        assert answer.samples == 8 and answer.passing >= 1
        assert sum(c.samples for c in selection.clusters) == sum(g.votes for c in selection.clusters for g in c.groups)
        # the chosen program really passes: run it again, outside the pipeline
        verdicts = executor.run(best.code, problem.examples)
        assert [v.status for v in verdicts] == ["passed"] * len(problem.examples)


def test_a_rerun_on_the_same_store_samples_and_executes_nothing(tmp_path, replay, executor):
    problem = load_problem("examples/running_max.py")
    with Store(tmp_path / "run.sqlite") as store:
        first, _ = solve(problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay)
        calls = replay.calls
        second, _ = solve(problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay)
    assert replay.calls == calls
    assert second.executions == 0 and first.executions > 0
    assert second.submissions == first.submissions


def test_failing_candidates_are_filtered_out(tmp_path, replay, executor):
    """Every recorded candidate that fails an example must be absent from the submissions."""
    problem = load_problem("examples/digit_sum.py")
    with Store(tmp_path / "run.sqlite") as store:
        answer, _ = solve(problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay)
        failing = {
            c.program
            for c in store.candidates(problem.id)
            if any(v.status != "passed" for v in executor.run(c.code, problem.examples))
        }
    assert failing, "the recording has a failing sample; without one this test proves nothing"
    assert not failing & {s.program for s in answer.submissions}


class RecordedThenLive:
    """Recorded samples, live 0.5B model for prompts never recorded (here: repair prompts)."""

    def __init__(self, replay: ReplayBackend) -> None:
        from codesift.backends.embedded import EmbeddedBackend
        from codesift.backends.models import resolve_model

        self.replay = replay
        self.live = EmbeddedBackend(resolve_model(replay.model))
        self.live_calls = 0

    def complete(self, prompt, seeds, policy):
        try:
            return self.replay.complete(prompt, seeds, policy)
        except KeyError:
            self.live_calls += 1
            return self.live.complete(prompt, seeds, policy)


@pytest.mark.model
def test_repair_feeds_failures_back_within_budget(tmp_path, replay, executor):
    problem = load_problem("examples/digit_sum.py")  # one of its 8 recorded samples fails an example
    backend = RecordedThenLive(replay)
    config = _config(replay).model_copy(update={"repair_tokens": 1})
    with Store(tmp_path / "run.sqlite") as store:
        answer, _ = solve(problem, config, executor=executor, store=store, backend_for=lambda p: backend)
        repaired = [c for c in store.candidates(problem.id) if c.origin == "repair"]
    assert backend.live_calls == 1  # a budget of 1 token buys exactly one attempt
    assert len(repaired) == 1 and repaired[0].prompt_tokens > 0
    assert answer.samples == 9
    assert answer.submissions[0].examples_passed == len(problem.examples)


def test_a_wrong_visible_example_still_gets_the_best_effort_answer(tmp_path, replay, executor):
    """A wrong example rejects every program (HumanEval/47): submit those passing the most, and say so."""
    problem = load_problem("examples/running_max.py")
    wrong = problem.examples[0].model_copy(update={"output": "[-1]"})
    problem = problem.model_copy(update={"examples": (wrong, *problem.examples[1:])})
    with Store(tmp_path / "run.sqlite") as store:
        answer, _ = solve(problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay)
    assert answer.passing == 0 and answer.submissions
    best = answer.submissions[0]
    assert (best.examples_passed, best.examples_total) == (len(problem.examples) - 1, len(problem.examples))
    verdicts = [v.status for v in executor.run(best.code, problem.examples)]
    assert verdicts == ["failed"] + ["passed"] * (len(problem.examples) - 1)


def test_no_submission_when_every_example_fails(tmp_path, replay, executor):
    problem = load_problem("examples/running_max.py")
    wrong = tuple(t.model_copy(update={"output": "'no program returns this'"}) for t in problem.examples)
    problem = problem.model_copy(update={"examples": wrong})
    with Store(tmp_path / "run.sqlite") as store:
        answer, selection = solve(
            problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay
        )
    assert answer.samples == 8 and answer.passing == 0
    assert answer.submissions == () and selection.clusters == ()


def test_solve_reports_every_stage_on_the_event_stream(tmp_path, replay, executor):
    from codesift.events import CandidateSampled, StageAdvanced, StageFinished, StageStarted

    events: list = []
    problem = load_problem("examples/digit_sum.py")
    with Store(tmp_path / "run.sqlite") as store:
        answer, _ = solve(
            problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay, events=events.append
        )
        again: list = []
        solve(
            problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay, events=again.append
        )
    started = [e.stage for e in events if isinstance(e, StageStarted)]
    finished = [e.stage for e in events if isinstance(e, StageFinished)]
    assert started == finished == ["load model", "sample", "run examples", "select"]
    assert sum(isinstance(e, CandidateSampled) for e in events) == 8
    sample_progress = [e.done for e in events if isinstance(e, StageAdvanced) and e.stage == "sample"]
    assert sample_progress[-1] == 8 and sample_progress == sorted(sample_progress)
    assert set(answer.timings) == set(started) and all(v >= 0 for v in answer.timings.values())
    # resumed from the store: nothing to load or sample, no candidate events, progress still reaches the total
    assert "load model" not in [e.stage for e in again if isinstance(e, StageStarted)]
    assert not any(isinstance(e, CandidateSampled) for e in again)
    assert [e.done for e in again if isinstance(e, StageFinished) and e.stage == "sample"] == [8]


def test_adaptive_sampling_stops_once_a_cluster_leads_and_draws_no_more(tmp_path, replay, executor):
    problem = load_problem("examples/running_max.py")
    config = _config(replay).model_copy(update={"adaptive": StopRule(chunk=2, lead=2, ratio=2.0)})
    before = len(replay.log)
    with Store(tmp_path / "run.sqlite") as store:
        answer, selection = solve(problem, config, executor=executor, store=store, backend_for=lambda p: replay)
    drawn = [seed for _, seeds in replay.log[before:] for seed in seeds]
    assert answer.samples == len(drawn) < 8 and drawn == list(range(len(drawn)))
    sizes = [*sorted((c.samples for c in selection.clusters), reverse=True), 0]
    assert sizes[0] >= 2 and sizes[0] >= 2 * sizes[1]


def test_an_adaptive_rule_that_never_settles_draws_every_chunk_and_answers_as_without_it(tmp_path, replay, executor):
    problem = load_problem("examples/digit_sum.py")
    never = _config(replay).model_copy(update={"adaptive": StopRule(chunk=3, lead=9)})
    before = len(replay.log)
    with Store(tmp_path / "adaptive.sqlite") as store:
        adaptive, _ = solve(problem, never, executor=executor, store=store, backend_for=lambda p: replay)
    assert [seeds for _, seeds in replay.log[before:]] == [(0, 1, 2), (3, 4, 5), (6, 7)]
    with Store(tmp_path / "plain.sqlite") as store:
        plain, _ = solve(problem, _config(replay), executor=executor, store=store, backend_for=lambda p: replay)
    assert adaptive.samples == plain.samples == 8
    assert [s.program for s in adaptive.submissions] == [s.program for s in plain.submissions]


def test_a_rerun_with_stored_tests_opens_no_backend(tmp_path, replay, executor):
    problem = load_problem("examples/running_max.py")
    config = _config(replay).model_copy(update={"test_writers": 1})
    opened: list[Policy] = []

    def backend_for(policy: Policy) -> ReplayBackend:
        opened.append(policy)
        return replay

    with Store(tmp_path / "run.sqlite") as store:
        tests = WrittenTests(tests=(Test(kind="call", input="[1, 3, 2]", output="[1, 3, 3]"),))
        store.add_written_tests(problem.id, written_tests_key(problem, config), tests)
        solve(problem, config, executor=executor, store=store, backend_for=backend_for)
        assert opened  # the first run samples
        opened.clear()
        _, selection = solve(problem, config, executor=executor, store=store, backend_for=backend_for)
    assert sum(len(c.groups) for c in selection.clusters) > 1  # distinct programs: the tests were asked for
    assert opened == []  # samples and tests stored: no model is loaded
