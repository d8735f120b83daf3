"""The cardinal rule, structurally: hidden tests change the grade and nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import codesift
from codesift.backends import BackendPool
from codesift.bench.run import run_bench
from codesift.bench.tasks import load_tasks, select
from codesift.execute import make_executor
from codesift.pipeline import SolveConfig
from codesift.records import Policy
from codesift.records import Test as T
from codesift.store import Store

PACKAGE = Path(codesift.__file__).parent


def test_only_the_bench_reaches_tasks() -> None:
    """No prompting, sampling, filtering, probing or ranking module imports the bench package."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        # learn/ turns graded runs into training data: hidden-test verdicts of *training* tasks are its labels;
        # the service's web page shows bench reports; ask/dabench.py is ask's grader
        if rel.parts[0] in ("bench", "cli", "learn") or str(rel) in ("serve/web.py", "ask/dabench.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [f"{rel}: {n}" for n in names if n.startswith("codesift.bench")]
    assert offenders == []


@pytest.mark.model
def test_changing_hidden_tests_changes_only_the_grade(tmp_path: Path) -> None:
    tasks = select(load_tasks("humaneval"), "0,4")
    # every hidden test replaced by one that nothing passes
    impossible = [t.model_copy(update={"hidden": (T(kind="assert", input="assert False"),)}) for t in tasks]
    # model-written tests off to keep this fast; their prompt is built from the Problem alone as well
    policy = Policy(model="qwen2.5-coder-0.5b", temperature=0.8, max_tokens=200)
    config = SolveConfig(policies=(policy,), samples=2, seed=7, test_writers=0)
    pool = BackendPool()
    with make_executor(workers=2) as ex:
        real = run_bench("humaneval", tasks, tmp_path / "a", config, executor=ex, backend_for=pool)
        fake = run_bench("humaneval", impossible, tmp_path / "b", config, executor=ex, backend_for=pool)
    pool.close()

    def samples_and_answers(run_dir: Path) -> tuple[list[tuple[str, str, int, str]], list[list[str]]]:
        with Store(run_dir / "store.sqlite") as store:
            samples = [(c.problem_id, c.policy, c.seed, c.code) for c in store.candidates()]
            answers = [[s.program for s in a.submissions] for a in store.answers()]
        return samples, answers

    assert samples_and_answers(tmp_path / "a") == samples_and_answers(tmp_path / "b")
    assert [p.chosen for p in real.problems] == [p.chosen for p in fake.problems]
    assert real.summary.oracle and real.summary.oracle > 0  # the model solves some of these easy problems
    assert fake.summary.oracle == 0 and fake.summary.raw_pass_at_1 == 0
