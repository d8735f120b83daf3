"""Adaptive sampling, replayed from traces: how many samples a stopping rule draws and what it then submits.

`selection_ablation.py --json` writes, per problem, the trace of its n samples in seed order (each sample's behaviour
cluster, its program's place in that cluster, whether it passes the visible examples) and whether each cluster's
programs pass the hidden tests. A rule is replayed on that trace without executing anything, so a grid of rules
costs seconds; cluster membership comes from clustering all n samples on one probe set, since a program's
behaviour on fixed probes does not depend on which other samples were drawn.

    python bench/adaptive_rules.py docs/runs/select-humaneval-0.5b-n20-ablation-s12.jsonl
    python bench/adaptive_rules.py ROWS.jsonl --rule 4,4,2,0 --rule 4,4,2,12     # chunk, lead, ratio, give-up

A rule (`codesift.adaptive.StopRule`, what `solve --adaptive` runs) draws `chunk` samples at a time and stops once
the leading cluster holds at least `lead` samples and at least `ratio` times the runner-up's, or (with `give_up` > 0)
once `give_up` samples are drawn and none passes the examples; the replay submits the leading cluster's most drawn
program. The baseline is the same submission on all n
samples ("largest cluster" of the ablation), paired over problems.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from codesift.adaptive import StopRule
from codesift.bench.metrics import bootstrap, paired_difference

TRACE, CORRECT, TOKENS = "adaptive trace", "adaptive cluster correct", "adaptive sample tokens"
RULE = StopRule(chunk=4, lead=4, ratio=2.0)  # fixed in session 5, before any bank existed


def parse(text: str) -> StopRule:
    chunk, lead, ratio, give_up = text.split(",")
    return StopRule(chunk=int(chunk), lead=int(lead), ratio=float(ratio), give_up=int(give_up))


@dataclass(frozen=True)
class Outcome:
    solved: float
    samples: int
    tokens: int


def replay(
    rule: StopRule, trace: Sequence[Sequence[int]], correct: Sequence[Sequence[bool]], tokens: Sequence[int]
) -> Outcome:
    """`trace[i]` = (cluster or -1 outside the pool, place of its program in the cluster, passes the examples)."""
    drawn = 0
    counts: Counter[int] = Counter()
    for drawn in rule.schedule(len(trace)):
        seen = trace[:drawn]
        counts = Counter(cluster for cluster, _, _ in seen if cluster >= 0)
        if rule.stops(drawn, list(counts.values()), sum(passes for _, _, passes in seen)):
            break
    seen = trace[:drawn]
    solved = 0.0
    if counts:
        leader = min(counts, key=lambda c: (-counts[c], c))
        places = Counter(place for cluster, place, _ in seen if cluster == leader)
        best = min(places, key=lambda p: (-places[p], p))
        solved = float(correct[leader][best])
    return Outcome(solved, len(seen), sum(tokens[: len(seen)]))


def table(rows: Sequence[dict[str, object]], rules: Sequence[StopRule]) -> str:
    full = [replay(StopRule(chunk=len(r[TRACE]), lead=10**9), r[TRACE], r[CORRECT], r[TOKENS]) for r in rows]  # type: ignore[arg-type]
    all_tokens = sum(o.tokens for o in full)
    lines = [
        f"{len(rows)} problems; all n: pass@1 {bootstrap([o.solved for o in full])}, "
        f"{fmean(o.samples for o in full):.1f} samples, {all_tokens} completion tokens",
        "| rule | pass@1 [95% CI] | vs all n [95% CI] | samples per problem | tokens saved |",
        "|---|---|---|---|---|",
    ]
    for rule in rules:
        out = [replay(rule, r[TRACE], r[CORRECT], r[TOKENS]) for r in rows]  # type: ignore[arg-type]
        diff = paired_difference([o.solved for o in out], [o.solved for o in full])
        saved = 1 - sum(o.tokens for o in out) / max(1, all_tokens)
        lines.append(
            f"| {rule} | {bootstrap([o.solved for o in out])} | {diff} | "
            f"{fmean(o.samples for o in out):.1f} | {100 * saved:.0f}% |"
        )
    return "\n".join(lines)


def grid() -> list[StopRule]:
    return [
        StopRule(chunk=chunk, lead=lead, ratio=ratio, give_up=give_up)
        for chunk in (2, 4, 8)
        for lead in (2, 3, 4)
        for ratio in (2.0, 3.0)
        for give_up in (0, 8, 12)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rows", nargs="+", type=Path, help="per-problem rows of selection_ablation.py --json")
    ap.add_argument("--rule", action="append", type=parse, help="chunk,lead,ratio,give_up (default: a grid)")
    args = ap.parse_args(argv)
    rows = [json.loads(line) for path in args.rows for line in path.read_text().splitlines()]
    traced = [r for r in rows if TRACE in r]
    if not traced:
        ap.error("these rows hold no traces; re-run selection_ablation.py --json with today's code")
    print(table(traced, args.rule or [RULE, StopRule(), *grid()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
