"""Candidates checked in the sandbox's repo profile (overlay, read-only tree, no network), and one end-to-end
`codesift solve --repo --target` with the real 0.5B model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from repo_fixture import write_repo
from typer.testing import CliRunner

from codesift.cli import app
from codesift.execute import Executor
from codesift.execute.executor import Job
from codesift.repo.sandbox import open_repo_executor
from codesift.repo.solve import SplicingMapper
from codesift.repo.target import find_target
from codesift.repo.task import build_task

RIGHT = "def total_cents(self):\n    return sum(p * q for _, p, q in self.items)\n"
WRONG = "def total_cents(self):\n    return sum(p for _, p, q in self.items)\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("shop-repo"))


@pytest.fixture(scope="module")
def ex(repo: Path) -> Iterator[Executor]:
    with open_repo_executor(repo) as executor:
        yield executor


def statuses(ex: Executor, repo: Path, code: str) -> list[str]:
    target = find_target(repo, "shop/cart.py::Cart.total_cents")
    task = build_task(repo, target)
    [(_, executions)] = list(SplicingMapper(ex, target).map([Job(code=code, tests=task.problem.examples)]))
    return [e.status for e in executions]


def test_checks_are_the_docstring_and_the_repo_tests(repo: Path) -> None:
    task = build_task(repo, find_target(repo, "shop/cart.py::Cart.total_cents"))
    sources = [t.input for t in task.problem.examples]
    assert len(sources) == 2 and "DocTestParser" in sources[0]
    assert "tests/test_cart.py::test_total" in sources[1]
    benchmark_view = build_task(repo, task.target, repo_tests=False)
    assert [t.input for t in benchmark_view.problem.examples] == sources[:1]


def test_regression_tests_that_fail_before_any_change_are_excluded(ex: Executor, repo: Path) -> None:
    from codesift.repo.solve import with_regression

    task = build_task(repo, find_target(repo, "shop/cart.py::Cart.total_cents"))
    with_checks, broken = with_regression(task, ex)
    assert broken == ["tests/test_shop.py::test_describe_empty"]  # it calls the stub through describe()
    assert with_checks.problem.examples[:2] == task.problem.examples
    assert with_checks.problem.examples[2].input.startswith(
        "# regression tests tests/test_shop.py::test_add_keeps_items\n"
    )


def test_candidates_run_against_the_overlay(ex: Executor, repo: Path) -> None:
    before = (repo / "shop/cart.py").read_text()
    assert statuses(ex, repo, RIGHT) == ["passed", "passed"]
    assert statuses(ex, repo, WRONG) == ["failed", "failed"]
    assert statuses(ex, repo, "def total_cents(self):\n    raise NotImplementedError\n") == ["failed", "failed"]
    assert (repo / "shop/cart.py").read_text() == before


def test_a_candidate_cannot_write_the_repo_or_reach_the_network(ex: Executor, repo: Path) -> None:
    writes = "def total_cents(self):\n    open('shop/planted.py', 'w').write('x')\n    return 300\n"
    assert statuses(ex, repo, writes)[0] != "passed"
    assert not (repo / "shop/planted.py").exists()
    connects = (
        "def total_cents(self):\n    import socket\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
        "    return sum(p * q for _, p, q in self.items)\n"
    )
    assert statuses(ex, repo, connects) == ["failed", "failed"]


@pytest.mark.model
def test_solve_in_a_repo_with_the_real_model(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "shop-repo")
    before = (repo / "shop/cart.py").read_text()
    args = ["solve", "--repo", str(repo), "--target", "shop/cart.py::Cart.total_cents", "--model",
            "qwen2.5-coder-0.5b", "--samples", "4", "--store", str(tmp_path / "run.sqlite"), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 test(s) fail before any change, not used: tests/test_shop.py::test_describe_empty" in result.stderr
    out = json.loads(result.stdout)
    assert out["diff"].startswith("--- a/shop/cart.py\n+++ b/shop/cart.py\n")
    assert "-        raise NotImplementedError" in out["diff"]
    assert [c["check"] for c in out["checks"]] == [
        "docstring examples",
        "repo tests tests/test_cart.py::test_total",
        "regression tests tests/test_shop.py::test_add_keeps_items",
    ]
    assert all(c["passed"] for c in out["checks"]), out
    assert out["samples"] == 4 and out["prompt_tokens"] > 0 and not out["applied"]
    assert (repo / "shop/cart.py").read_text() == before  # nothing written without --apply
    applied = CliRunner().invoke(app, [*args, "--apply"])
    assert applied.exit_code == 0 and json.loads(applied.stdout)["applied"]
    assert "raise NotImplementedError" not in (repo / "shop/cart.py").read_text()


def test_solve_in_repo_picks_the_program_that_passes_and_returns_a_diff(
    ex: Executor, repo: Path, tmp_path: Path
) -> None:
    """The pipeline on stored samples (two right, one wrong): filter in the sandbox, cluster, diff; no model."""
    from codesift.pipeline import SolveConfig
    from codesift.prompt import build_prompt
    from codesift.records import Completion, Policy
    from codesift.repo.solve import solve_in_repo
    from codesift.sample import to_candidate
    from codesift.store import Store

    target = find_target(repo, "shop/cart.py::Cart.total_cents")
    task = build_task(repo, target)
    policy = Policy(name="p", model="qwen2.5-coder-0.5b")
    prompt = build_prompt(task.problem, policy.prompt)
    bodies = [RIGHT, WRONG, RIGHT]
    with Store() as store:
        store.add_candidates(
            to_candidate(task.problem, policy, prompt, Completion(text=body.split("\n", 1)[1] + "```", seed=i,
                         prompt_tokens=10, completion_tokens=5, mean_logprob=None, seconds=0.1), "sample")
            for i, body in enumerate(bodies)
        )  # fmt: skip

        def no_model(_: Policy):  # type: ignore[no-untyped-def]
            raise AssertionError("every sample is stored: the model is not asked")

        config = SolveConfig(policies=(policy,), samples=3, submissions=2)
        result = solve_in_repo(task, config, executor=ex, store=store, backend_for=no_model)
    assert result.answer.samples == 3 and result.answer.distinct == 2 and result.answer.passing == 1
    assert result.checks == (("docstring examples", True), ("repo tests tests/test_cart.py::test_total", True))
    assert "+        return sum(p * q for _, p, q in self.items)" in result.diff
    assert (repo / "shop/cart.py").read_text() == target.source

    from codesift.repo.index import RepoError
    from codesift.repo.solve import apply

    copy = write_repo(tmp_path / "copy")
    apply(copy, result, target)  # what --apply does
    assert (copy / "shop/cart.py").read_text() == result.module
    with pytest.raises(RepoError, match="changed while codesift ran"):
        apply(copy, result, target)  # the file is no longer the one the diff was made against
