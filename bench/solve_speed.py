"""Where a user's solve spends its time: per-stage seconds of `codesift solve`, quiet and beside a busy process.

Usage: python bench/solve_speed.py [--model qwen2.5-coder-1.5b] [--problem examples/running_max.py]
                                   [--samples 16] [--rounds 3] [--threads auto|1|2]

Each round solves the problem from an empty store in a fresh subprocess (a user's cold start: the model
load counts) once on a quiet machine and once beside one busy single-threaded process, interleaved, so
machine noise hits both. The table gives the median seconds per stage (`Answer.timings`, from the event
stream) and in total; the last line the busy/quiet ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

SPIN = "while True: pass"


def solve_once(args: argparse.Namespace, busy: bool) -> dict[str, float]:
    spinner = subprocess.Popen([sys.executable, "-c", SPIN]) if busy else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [
                sys.executable, "-m", "codesift", "solve", args.problem, "--model", args.model,
                "--samples", str(args.samples), "--store", str(Path(tmp) / "run.sqlite"), "--json",
            ]  # fmt: skip
            env = None if args.threads == "auto" else {**os.environ, "CODESIFT_THREADS": args.threads}
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    finally:
        if spinner:
            spinner.kill()
            spinner.wait()
    answer = json.loads(out.stdout)
    return {**answer["timings"], "total": answer["seconds"], "completion tokens": answer["completion_tokens"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--problem", default="examples/running_max.py")
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="auto", help="CODESIFT_THREADS for the solve, or auto (codesift decides)")
    ap.add_argument("--quiet-only", action="store_true", help="skip the runs beside a busy process")
    args = ap.parse_args()

    modes = ["quiet"] if args.quiet_only else ["quiet", "busy"]
    runs: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    for r in range(args.rounds):
        for mode in modes:
            runs[mode].append(solve_once(args, busy=mode == "busy"))
            print(f"round {r + 1} {mode}: {runs[mode][-1]['total']:.1f} s", file=sys.stderr)

    stages = list(dict.fromkeys(k for m in modes for run in runs[m] for k in run))
    table = Table(title=f"solve {args.problem}, {args.model}, {args.samples} samples, threads={args.threads}, "
                  f"median of {args.rounds} rounds (seconds)")  # fmt: skip
    table.add_column("stage")
    for mode in modes:
        table.add_column(mode, justify="right")
    for stage in stages:
        cells = [statistics.median(run.get(stage, 0.0) for run in runs[m]) for m in modes]
        table.add_row(stage, *(f"{c:.1f}" if stage != "completion tokens" else f"{c:.0f}" for c in cells))
    Console().print(table)
    if "busy" in runs:
        ratios = [b["total"] / q["total"] for q, b in zip(runs["quiet"], runs["busy"], strict=True)]
        each = ", ".join(f"{x:.2f}" for x in ratios)
        print(f"busy / quiet total: median {statistics.median(ratios):.2f} (rounds: {each})")


if __name__ == "__main__":
    main()
