"""Headline table of `codesift bench fresh` runs, with 95% bootstrap intervals over problems.

    python bench/fresh_table.py /work/runs/fresh/greedy-0.5b /work/runs/fresh/n8-1.5b ...

One row per run dir (its results.json): raw pass@1 (a random sample; for a greedy run, greedy pass@1),
selected pass@1 (first submission), oracle@n (some sample correct), selection efficiency (selected /
oracle) and selected / raw; then the same split by level and by style; then how oracle@k grows with k for the
sampled runs (the unbiased pass@k of each problem's n samples, averaged: how many samples an unseen problem needs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import fmean

from codesift.bench.grade import ProblemResult
from codesift.bench.metrics import bootstrap_interval, pass_at_k, pass_ks
from codesift.bench.run import read_results
from codesift.bench.tasks import BenchDataError, load_tasks

Rows = Sequence[ProblemResult]


def raw(rows: Rows) -> float | None:
    return fmean(r.correct / r.samples for r in rows) if rows else None


def selected(rows: Rows) -> float | None:
    return fmean(r.selected for r in rows) if rows else None


def oracle(rows: Rows) -> float | None:
    return fmean(r.correct > 0 for r in rows) if rows else None


def efficiency(rows: Rows) -> float | None:
    solvable = sum(r.correct > 0 for r in rows)
    return sum(r.selected for r in rows) / solvable if solvable else None


def lift(rows: Rows) -> float | None:
    base = raw(rows)
    return (selected(rows) or 0.0) / base if base else None


def oracle_at(k: int) -> Callable[[Rows], float | None]:
    """oracle@k from n >= k samples per problem: the chance that k of them include a correct one."""
    return lambda rows: fmean(pass_at_k(r.samples, r.correct, k) for r in rows) if rows else None


def cell(rows: Rows, stat: Callable[[Rows], float | None], percent: bool = True) -> str:
    value = stat(rows)
    if value is None:
        return "–"
    ci = bootstrap_interval(rows, stat)
    fmt = (lambda v: f"{100 * v:.1f}") if percent else (lambda v: f"{v:.2f}")
    return f"{fmt(value)} [{fmt(ci[0])}, {fmt(ci[1])}]" if ci else fmt(value)


def main(run_dirs: Sequence[str]) -> int:
    level = {t.id: t.problem.metadata["level"] for t in load_tasks("fresh")}
    style = {t.id: t.problem.style for t in load_tasks("fresh")}
    print("| run | model | n | problems | raw pass@1 | selected pass@1 | oracle@n | efficiency | selected / raw |")
    print("|---|---|---|---|---|---|---|---|---|")
    splits, curves = [], []
    for d in run_dirs:
        results = read_results(Path(d))
        rows = results.problems
        policy = results.config.get("policies", [{}])[0]
        n = rows[0].samples if rows else 0
        name = Path(d).name
        print(
            f"| {name} | {policy.get('model', '?')} | {n} | {len(rows)} | {cell(rows, raw)} | {cell(rows, selected)} "
            f"| {cell(rows, oracle)} | {cell(rows, efficiency, False)} | {cell(rows, lift, False)} |"
        )
        if n > 1:
            curves.append((name, n, [f"{k}: {cell(rows, oracle_at(k))}" for k in pass_ks(n)]))
        for key, label in ((level, "level"), (style, "style")):
            for value in sorted({key.get(r.id, "?") for r in rows}):
                part = [r for r in rows if key.get(r.id, "?") == value]
                splits.append(
                    f"| {name} | {label} {value} | {len(part)} | {100 * (raw(part) or 0):.1f} "
                    f"| {100 * (selected(part) or 0):.1f} | {100 * (oracle(part) or 0):.1f} |"
                )
    print("\n| run | part | problems | raw pass@1 | selected pass@1 | oracle@n |")
    print("|---|---|---|---|---|---|")
    print("\n".join(splits))
    if curves:
        print("\n| run | n | oracle@k [95% CI] for k = ... |")
        print("|---|---|---|")
        for name, n, points in curves:
            print(f"| {name} | {n} | {'; '.join(points)} |")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dirs", nargs="+", help="`codesift bench fresh` run dirs (each with its results.json)")
    try:
        sys.exit(main(ap.parse_args().run_dirs))
    except BenchDataError as e:
        sys.exit(f"error: {e}")
