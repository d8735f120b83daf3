"""Benchmark metrics: what a number means is in its docstring, because a harness that is wrong lies.

Per problem the inputs are: how many samples were drawn (`n`), how many of them are correct on the
hidden tests (`c`), and whether the pipeline's ordered submissions are correct (`submitted`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from statistics import fmean
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): `1 - C(n-c, k) / C(n, k)`, as a stable product.

    `1 - prod_{i=n-c+1}^{n} (1 - k/i)`: no huge binomials, no float overflow for n in the thousands.
    """
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"pass@k needs 0 <= c <= n and k >= 1 (got n={n}, c={c}, k={k})")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float | None:
    """pass@k over problems, each `(n, c)`; None when some problem has fewer than k samples."""
    if not counts or any(n < k for n, _ in counts):
        return None
    return fmean(pass_at_k(n, c, k) for n, c in counts)


def n_at_k(submitted: Sequence[bool], n: int) -> bool:
    """AlphaCode's n@k for one problem: one of the first `n` submissions (chosen from k samples) is correct.

    The pipeline selects once, from all samples it drew, so here k = samples per problem.
    """
    return any(submitted[:n])


class CostSummary(BaseModel):
    """Totals and per-problem / per-solved averages of what a run spent."""

    model_config = ConfigDict(frozen=True)

    problems: int
    solved: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    executions: int

    def per_problem(self, field: str) -> float | None:
        return float(getattr(self, field)) / self.problems if self.problems else None

    def per_solved(self, field: str) -> float | None:
        """Cost of one solved problem: everything spent (also on failures) divided by problems solved."""
        return float(getattr(self, field)) / self.solved if self.solved else None


class Summary(BaseModel):
    """Headline numbers of a run (fractions in [0, 1]; None when undefined for the run)."""

    model_config = ConfigDict(frozen=True)

    problems: int
    samples: int
    raw_pass_at_1: float | None
    selected_pass_at_1: float | None
    oracle: float | None
    selection_efficiency: float | None
    pass_at_k: dict[int, float]
    n_at_k: dict[int, float]
    cost: CostSummary


def pass_ks(max_n: int) -> list[int]:
    """The k values worth plotting for `max_n` samples: 1, 2, 5, 10, 20, 50, ... up to max_n."""
    ks = [k for base in (1, 10, 100, 1000) for k in (base, 2 * base, 5 * base) if k <= max_n]
    return sorted({*ks, max_n}) if max_n else []


def summarize(
    counts: Sequence[tuple[int, int]],
    submitted: Sequence[Sequence[bool]] | None,
    cost: CostSummary,
) -> Summary:
    """Aggregate per-problem `(n, c)` and submission correctness.

    - raw pass@1 = mean c/n (a random sample); oracle = share of problems with c > 0;
    - selected pass@1 = share whose first submission is correct (1@k, k = samples drawn);
    - selection efficiency = selected / oracle: 1.0 means the selector never misses a solvable problem.
    """
    drawn = [(n, c) for n, c in counts if n > 0]  # a policy that drew nothing for a problem is not scored on it
    raw = fmean(c / n for n, c in drawn) if drawn else None
    orc = fmean(c > 0 for _, c in drawn) if drawn else None
    selected = None
    n_at: dict[int, float] = {}
    if submitted:
        n_at = {m: fmean(n_at_k(s, m) for s in submitted) for m in (1, 5, 10)}
        selected = n_at[1]
    min_n = min((n for n, _ in drawn), default=0)
    pk = {k: v for k in pass_ks(min_n) if (v := mean_pass_at_k(drawn, k)) is not None}
    eff = selected / orc if selected is not None and orc else None
    return Summary(
        problems=len(counts),
        samples=sum(n for n, _ in counts),
        raw_pass_at_1=raw,
        selected_pass_at_1=selected,
        oracle=orc,
        selection_efficiency=eff,
        pass_at_k=pk,
        n_at_k=n_at,
        cost=cost,
    )


def bootstrap_interval(
    rows: Sequence[T],
    statistic: Callable[[Sequence[T]], float | None],
    rounds: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap over problems: resample `rows` (one per problem) with replacement, recompute.

    `statistic` sees a resampled list of rows, so ratios (selection efficiency = selected / oracle) are
    resampled as ratios, not as two separate means. Resamples where the statistic is undefined (None,
    e.g. no solvable problem drawn) are skipped. None when no resample is defined.
    """
    if not rows:
        return None
    rng = random.Random(seed)
    values = sorted(
        v
        for _ in range(rounds)
        if (v := statistic([rows[rng.randrange(len(rows))] for _ in range(len(rows))])) is not None
    )
    if not values:
        return None
    tail = (1 - level) / 2
    return values[int(tail * (len(values) - 1))], values[round((1 - tail) * (len(values) - 1))]


class Interval(BaseModel):
    """A mean with its 95% percentile-bootstrap interval (resampling problems, the unit that varies)."""

    model_config = ConfigDict(frozen=True)

    mean: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        return f"{100 * self.mean:.1f} [{100 * self.low:.1f}, {100 * self.high:.1f}]"


def bootstrap(values: Sequence[float], rounds: int = 2000, seed: int = 0, level: float = 0.95) -> Interval:
    """Mean of per-problem `values` with a bootstrap interval over problems.

    One problem of 41 moves a mean by 2.4 points, so every headline figure carries this. A paired
    difference between two methods is `bootstrap([a - b for a, b in zip(...)])`: resampling the
    problems together keeps what the methods share out of the interval.
    """
    interval = bootstrap_interval(values, fmean, rounds, level, seed)
    if interval is None:
        raise ValueError("bootstrap needs at least one value")
    return Interval(mean=fmean(values), low=interval[0], high=interval[1])


def paired_difference(a: Sequence[float], b: Sequence[float], rounds: int = 2000, seed: int = 0) -> Interval:
    """Mean of a - b per problem with its bootstrap interval; a "beats" b only when it excludes 0."""
    if len(a) != len(b):
        raise ValueError(f"paired difference needs the same problems on both sides ({len(a)} vs {len(b)})")
    return bootstrap([x - y for x, y in zip(a, b, strict=True)], rounds, seed)
