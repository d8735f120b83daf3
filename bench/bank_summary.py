"""What the sample bank holds: one row per bank file, with the sampling cost its samples recorded.

    python bench/bank_summary.py [bank/*.jsonl.gz]

Sampling seconds are each sample's own recorded wall time, summed (CPU-hours = that times the llama threads
when nothing else ran); a file of a run that is still growing counts what it has so far.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from codesift.bench.bank import read_bank
from codesift.bench.tasks import BenchDataError


def main(argv: Sequence[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(Path("bank").glob("*.jsonl.gz"))
    try:
        banks = [(path, read_bank(path)[1]) for path in paths]
    except BenchDataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("| bank file | problems | samples | completion tokens | sampling s | s per sample |")
    print("|---|---|---|---|---|---|")
    for path, samples in banks:
        seconds = sum(s.seconds for s in samples)
        tokens = sum(s.completion_tokens for s in samples)
        problems = len({s.problem_id for s in samples})
        per = seconds / len(samples) if samples else 0.0
        print(f"| `{path.name}` | {problems} | {len(samples)} | {tokens:,} | {seconds:,.0f} | {per:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
