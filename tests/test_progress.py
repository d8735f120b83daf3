"""`bench` progress as the user sees it: per-stage bars fed by the one event stream, and a problems bar
that advances once per problem (resumed ones included) and counts the solved ones."""

from __future__ import annotations

import io

from replay import ReplayBackend
from rich.console import Console
from rich.progress import Progress

from codesift.bench.run import grade_references, run_bench
from codesift.bench.tasks import Task
from codesift.cli.common import RichEvents
from codesift.events import PROBLEMS, Event, ProblemDone, StageFinished
from codesift.execute import make_executor
from codesift.pipeline import SolveConfig
from codesift.problems import load_problem
from codesift.records import Policy
from codesift.store import Store

EXAMPLES = ("digit_sum.py", "running_max.py", "sum_of_pairs.md")


def bars(progress: Progress) -> dict[str, tuple[float, float | None, str]]:
    return {t.description: (t.completed, t.total, t.fields["ok"]) for t in progress.tasks}


def test_bench_draws_a_bar_per_stage_and_counts_each_problem_once(tmp_path):
    replay = ReplayBackend()
    tasks = [Task(problem=load_problem(f"examples/{name}"), hidden=load_problem(f"examples/{name}").examples)
             for name in EXAMPLES]  # fmt: skip
    policy = Policy(name="recorded", model=replay.model, temperature=0.8, max_tokens=384)
    config = SolveConfig(policies=(policy,), samples=8, test_writers=0)
    with make_executor(workers=2) as ex:
        for run in range(2):  # the second run resumes every problem from the store
            seen: list[Event] = []
            progress = Progress(console=Console(file=io.StringIO()))
            events = RichEvents(progress)

            def sink(event: Event, events: RichEvents = events, seen: list[Event] = seen) -> None:
                seen.append(event)
                events(event)

            results = run_bench("mine.jsonl", tasks, tmp_path / "run", config, executor=ex,
                                backend_for=lambda p: replay, events=sink)  # fmt: skip
            shown = bars(progress)
            solved = results.summary.cost.solved
            assert shown[PROBLEMS] == (3, 3, f"solved {solved}") and solved == 3
            assert sum(isinstance(e, ProblemDone) for e in seen) == 3
            if run == 0:  # every stage of a fresh solve had its own bar
                assert {"sample", "run examples", "select"} <= shown.keys()
                assert shown["sample"][:2] == (8, 8)
                finished = [e.stage for e in seen if isinstance(e, StageFinished)]
                assert finished.count("sample") == 3 and finished[-1] == PROBLEMS
            assert all(t.visible is False for t in progress.tasks if t.description != PROBLEMS)


def test_reference_grading_reports_problems_on_the_event_stream():
    digit_sum, running_max = (load_problem(f"examples/{name}") for name in EXAMPLES[:2])
    right = "def digit_sum(n):\n    return sum(int(d) for d in str(abs(n)))\n"
    tasks = [Task(problem=digit_sum, hidden=digit_sum.examples, reference=right),
             Task(problem=running_max, hidden=running_max.examples, reference=None)]  # fmt: skip
    seen: list[Event] = []
    with make_executor(workers=1) as ex:
        results = grade_references(tasks, ex, Store(), seen.append)
    assert [r.passed for r in results] == [True, False]
    done = [(e.problem_id, e.solved) for e in seen if isinstance(e, ProblemDone)]
    assert done == [(digit_sum.id, True), (running_max.id, False)]
    assert isinstance(seen[-1], StageFinished) and seen[-1].stage == PROBLEMS and seen[-1].done == 2
