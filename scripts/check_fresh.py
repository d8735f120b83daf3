"""Check the fresh benchmark: every reference passes every hidden test within the time limit, and every
statement parses to the examples its author wrote, each of which the reference agrees with.

    python scripts/check_fresh.py            # table of problems that fail a check; exit 1 if any
"""

from __future__ import annotations

import sys
from collections import Counter

from codesift.bench.fresh import check_fresh, fresh_records
from codesift.execute import make_executor
from codesift.store import Store

SLOW = 1.0  # seconds: a reference this slow on one hidden test leaves too little room under the 3-s limit


def main() -> int:
    records = fresh_records()
    with Store(":memory:") as store, make_executor() as ex:
        checks = check_fresh(ex, store, records)
    styles = Counter(r["style"] for r in records)
    levels = Counter(r["level"] for r in records)
    hidden = [len(r["hidden"]) for r in records]
    print(
        f"{len(records)} problems ({', '.join(f'{v} {k}' for k, v in sorted(styles.items()))}; "
        f"{', '.join(f'{v} {k}' for k, v in sorted(levels.items()))}); hidden tests per problem "
        f"{min(hidden)}-{max(hidden)}"
    )
    bad = 0
    for c in checks:
        problems = []
        if not c.passed:
            problems.append(f"reference fails: {c.why}")
        if c.examples_parsed != c.examples_declared:
            problems.append(f"statement parsed to {c.examples_parsed} examples, {c.examples_declared} written")
        if c.bad_examples:
            problems.append(f"reference disagrees with parsed example(s): {list(c.bad_examples)}"[:300])
        if c.slowest > SLOW:
            problems.append(f"reference takes {c.slowest:.2f} s on a hidden test")
        if problems:
            bad += 1
            print(f"{c.id}: " + "; ".join(problems))
    slowest = max(checks, key=lambda c: c.slowest)
    print(f"references passing every hidden test: {sum(c.passed for c in checks)}/{len(checks)}")
    print(f"statements parsed to exactly their examples: {sum(c.ok for c in checks)}/{len(checks)}")
    print(f"slowest reference test: {slowest.slowest:.2f} s ({slowest.id})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
