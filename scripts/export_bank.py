"""Export a bench run dir's completions to the sample bank, also while the run is still going.

    python scripts/export_bank.py humaneval runs/he20 [-o bank]

`codesift bench ... --export-bank bank` does the same after every problem; this is for run dirs made without it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from codesift.bench.bank import export_bank
from codesift.bench.run import STORE
from codesift.bench.tasks import load_tasks
from codesift.store import Store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benchmark")
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("-o", "--output", type=Path, default=Path("bank"))
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    with Store(args.run_dir / STORE) as store:
        print(export_bank(store, args.benchmark, load_tasks(args.benchmark, args.data), args.output))


if __name__ == "__main__":
    main()
