"""Sandboxed execution throughput: local executor vs the Ray executor, side by side on this machine.

Usage: python bench/ray_throughput.py [--jobs 200] [--tests 3] [--rounds 5] [--workers 2] [--chunks 1,8,32]

Both run the same jobs (small distinct programs x call tests) with the same number of sandbox workers,
interleaved round by round so machine noise hits all modes; Ray's start-up (cluster and actors) is
timed once, apart. Ray adds per-call serialisation and scheduling, so on one small machine it can only
cost; `--chunks` shows how batching jobs per Ray call amortises that cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import ray
from rich.console import Console
from rich.table import Table

from codesift.execute import Job, make_executor
from codesift.records import Test
from codesift.scale import RayExecutor


def jobs(count: int, tests: int) -> list[Job]:
    calls = tuple(Test(kind="call", input=str(i), output=str(i * i + 1)) for i in range(tests))
    return [Job(code=f"def f(x):\n    y = {k}\n    return x * x + 1 + y - {k}\n", tests=calls) for k in range(count)]


def rate(mapper: object, work: list[Job]) -> float:
    start = time.perf_counter()
    done = sum(len(executions) for _, executions in mapper.map(work))  # type: ignore[attr-defined]
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--tests", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunks", default="1,8,32")
    args = parser.parse_args()
    chunks = [int(c) for c in args.chunks.split(",")]
    work = jobs(args.jobs, args.tests)

    tmp = tempfile.mkdtemp(prefix="codesift-ray-")
    os.environ["HOME"] = tmp  # Ray writes to ~/.ray otherwise
    start = time.perf_counter()
    ray.init(num_cpus=args.workers, include_dashboard=False, _temp_dir=tmp, log_to_driver=False)
    ray_start = time.perf_counter() - start
    start = time.perf_counter()
    remote = RayExecutor(actors=args.workers)
    actors_start = time.perf_counter() - start
    rates: dict[str, list[float]] = {"local": [], **{f"ray, {c} jobs per call": [] for c in chunks}}
    with make_executor(workers=args.workers) as local, remote:
        rate(local, work[:20])  # warm up both
        rate(remote, work[:20])
        for _ in range(args.rounds):
            rates["local"].append(rate(local, work))
            for c in chunks:
                remote.chunk = c
                rates[f"ray, {c} jobs per call"].append(rate(remote, work))
        isolation = local.isolation
    ray.shutdown()
    show(rates, args, isolation, ray_start, actors_start)


def show(
    rates: dict[str, list[float]], args: argparse.Namespace, isolation: str, ray_start: float, actors: float
) -> None:
    base = statistics.median(rates["local"])
    table = Table(
        title=f"{args.jobs} jobs x {args.tests} call tests, {args.workers} sandbox workers, "
        f"{args.rounds} rounds; isolation: {isolation}"
    )
    for column in ("mode", "executions/s (median)", "min", "max", "vs local"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for name, values in rates.items():
        median = statistics.median(values)
        table.add_row(name, f"{median:.0f}", f"{min(values):.0f}", f"{max(values):.0f}", f"{median / base:.2f}x")
    console = Console()
    console.print(table)
    console.print(f"Ray start-up, once: ray.init {ray_start:.1f} s, {args.workers} sandbox actors {actors:.1f} s")


if __name__ == "__main__":
    main()
