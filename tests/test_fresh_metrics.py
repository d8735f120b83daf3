"""`bootstrap_interval`: the 95% intervals quoted with every fresh-benchmark figure."""

from __future__ import annotations

import math
from statistics import fmean

from script_loader import load_script

from codesift.bench.metrics import bootstrap_interval


def test_interval_brackets_the_mean_and_matches_the_normal_approximation() -> None:
    rows = [True] * 30 + [False] * 30
    lo, hi = bootstrap_interval(rows, lambda r: fmean(r)) or (0.0, 0.0)
    half = 1.96 * math.sqrt(0.25 / 60)  # binomial normal approximation: about +-12.7 points
    assert lo < 0.5 < hi
    assert abs((hi - lo) / 2 - half) < 0.02


def test_ratio_statistic_and_undefined_resamples() -> None:
    rows = [(1, 1), (0, 1), (0, 0), (1, 1)]  # (selected, oracle) per problem

    def efficiency(rs: list[tuple[int, int]]) -> float | None:
        solvable = sum(o for _, o in rs)
        return sum(s for s, _ in rs) / solvable if solvable else None

    lo, hi = bootstrap_interval(rows, efficiency) or (0.0, 0.0)
    assert 0.0 <= lo <= 2 / 3 <= hi <= 1.0
    assert bootstrap_interval([(0, 0)], efficiency) is None
    assert bootstrap_interval([], efficiency) is None
    assert bootstrap_interval([5.0] * 10, lambda r: fmean(r)) == (5.0, 5.0)


def test_oracle_at_k_runs_from_raw_pass_at_1_to_oracle_at_n() -> None:

    from codesift.bench.grade import ProblemResult

    table = load_script("bench", "fresh_table")
    rows = [
        ProblemResult(id=str(i), samples=20, correct=c, policies={}, distinct=1) for i, c in enumerate([0, 1, 5, 20])
    ]
    curve = [table.oracle_at(k)(rows) for k in (1, 2, 8, 20)]
    assert curve[0] == table.raw(rows) and curve[-1] == table.oracle(rows) == 0.75
    assert curve == sorted(curve) and curve[0] < curve[1] < curve[2] < curve[3]
