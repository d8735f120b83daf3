"""What the sample bank holds: one row per bank file, with the sampling cost its samples recorded.

    python bench/bank_summary.py [bank/*.jsonl.gz]

Sampling seconds are each sample's own recorded wall time, summed (CPU-hours = that times the llama threads
when nothing else ran); a file of a run that is still growing counts what it has so far. A run paused with
SIGSTOP records the pause in the batch it interrupted, so the medians per problem (seconds, and completion tokens
per second of the problem's batches) are the figures to quote for speed; the sum overstates by the pauses.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from statistics import median

from codesift.bench.bank import read_bank
from codesift.bench.tasks import BenchDataError


def main(argv: Sequence[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(Path("bank").glob("*.jsonl.gz"))
    try:
        banks = [(path, read_bank(path)[1]) for path in paths]
    except BenchDataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("| bank file | problems | samples | completion tokens | sampling s | median s / problem | median tokens/s |")
    print("|---|---|---|---|---|---|---|")
    for path, samples in banks:
        per_problem: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for s in samples:
            per_problem[s.problem_id].append((s.seconds, s.completion_tokens))
        seconds = [sum(t for t, _ in cost) for cost in per_problem.values()]
        speeds = [sum(n for _, n in cost) / t for cost, t in zip(per_problem.values(), seconds, strict=True) if t > 0]
        tokens = sum(s.completion_tokens for s in samples)
        mid_s = f"{median(seconds):.1f}" if seconds else "-"
        mid_speed = f"{median(speeds):.1f}" if speeds else "-"
        print(
            f"| `{path.name}` | {len(per_problem)} | {len(samples)} | {tokens:,} | {sum(seconds):,.0f} | {mid_s} "
            f"| {mid_speed} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
