"""Prompt variants side by side: the same tasks, model and seeds, sampled under each policy of a family.

Usage: python bench/prompt_variants.py [--benchmark mbpp-sanitized] [--limit 20] [--samples 1]
       [--policies docs/prompt-variants.toml] [--run-dir runs/prompt-variants]

Sampling and hidden-test grading only (no selection, no model-written tests): what a prompt variant
changes is how often a sample is right, and what it costs. Every policy samples `--samples` seeds per
task; samples and executions live in the run store, so a killed run resumes. The table shows, per
policy, solved tasks (raw pass@1 over all samples), tokens and median seconds per sample, and the
ratio to the first policy; then how the policies agree task by task.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from rich.console import Console
from rich.table import Table

from codesift.backends import BackendPool
from codesift.bench.grade import grade_task
from codesift.bench.tasks import load_tasks, select
from codesift.execute import make_executor
from codesift.policies import load_policies
from codesift.sample import sample
from codesift.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="mbpp-sanitized")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--samples", type=int, default=1, help="samples per policy per task")
    parser.add_argument("--policies", default="docs/prompt-variants.toml")
    parser.add_argument("--run-dir", type=Path, default=Path("runs/prompt-variants"))
    args = parser.parse_args()

    policies = load_policies(args.policies)
    names = [p.name for p in policies]
    tasks = select(load_tasks(args.benchmark), limit=args.limit)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    right: dict[str, list[float]] = {n: [] for n in names}
    cost: dict[str, list[tuple[int, int, float]]] = {n: [] for n in names}
    pool = BackendPool()
    with Store(args.run_dir / "store.sqlite") as store, make_executor(workers=2) as executor:
        for task in tasks:
            candidates = sample(
                task.problem, policies, args.samples * len(policies), seed=0, store=store, backend_for=pool
            )
            result = grade_task(task, candidates, None, executor, store)
            for name in names:
                n, c = result.policies.get(name, (0, 0))
                right[name].append(c / n if n else 0.0)
            for c in candidates:
                cost[c.policy].append((c.prompt_tokens, c.completion_tokens, c.seconds))
            Console(stderr=True).print(f"{task.id}: " + ", ".join(f"{n} {right[n][-1]:.2f}" for n in names))
    pool.close()
    show(args, names, right, cost, len(tasks))


def show(
    args: argparse.Namespace,
    names: list[str],
    right: dict[str, list[float]],
    cost: dict[str, list[tuple[int, int, float]]],
    tasks: int,
) -> None:
    base = sum(right[names[0]]) or 1.0
    table = Table(title=f"{args.benchmark}, first {tasks} tasks, {args.samples} sample(s) per policy per task")
    for column in (
        "policy",
        "pass@1 (raw)",
        "vs first",
        "prompt tok (median)",
        "completion tok (median)",
        "s/sample (median)",
    ):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for name in names:
        solved = sum(right[name])
        table.add_row(
            name,
            f"{solved:.1f}/{tasks} = {solved / tasks:.0%}",
            f"{solved / base:.2f}x",
            f"{statistics.median(p for p, _, _ in cost[name]):.0f}",
            f"{statistics.median(c for _, c, _ in cost[name]):.0f}",
            f"{statistics.median(s for _, _, s in cost[name]):.1f}",
        )
    console = Console()
    console.print(table)
    if len(names) == 2:
        a, b = names
        pairs = list(zip(right[a], right[b], strict=True))
        both = sum(x > 0 and y > 0 for x, y in pairs)
        only_a = sum(x > 0 and y == 0 for x, y in pairs)
        only_b = sum(x == 0 and y > 0 for x, y in pairs)
        neither = tasks - both - only_a - only_b
        console.print(f"tasks solved by both: {both}, only {a}: {only_a}, only {b}: {only_b}, neither: {neither}")


if __name__ == "__main__":
    main()
