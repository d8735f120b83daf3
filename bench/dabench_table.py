"""The DABench table of docs/RESULTS.md from `codesift bench dabench` run dirs (or their committed results.json).

Usage: python bench/dabench_table.py MODEL=GREEDY_RUN,SAMPLED_RUN [...]
  e.g. python bench/dabench_table.py 1.5B=docs/runs/ask-dabench-q15-greedy.json,docs/runs/ask-dabench-q15-n8.json
       python bench/dabench_table.py --errors RUN_DIR   (the exception types of a run's failed programs, from its store)

Rows per model: greedy single program (the greedy run's only program), then from the sampled run: filter +
random, answer-majority and oracle@n. ABQ carries a 95% bootstrap interval over questions; the paired difference
majority - greedy is over the questions both runs finished. The failure counts say what limits the score.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from statistics import fmean
from typing import Any

from codesift.bench.metrics import bootstrap, paired_difference

LEVELS = ("easy", "medium", "hard")
EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))(?::\s*(.*))?$")


def load(path: str) -> list[dict[str, Any]]:
    p = Path(path)
    p = p / "results.json" if p.is_dir() else p
    return list(json.loads(p.read_text())["problems"])


def row(label: str, problems: list[dict[str, Any]], method: str) -> str:
    scores = [p["scores"][method] for p in problems]
    abq = bootstrap([s["abq"] for s in scores])
    levels = []
    for level in LEVELS:
        mine = [s["abq"] for s, p in zip(scores, problems, strict=True) if p["level"] == level]
        levels.append(f"{100 * fmean(mine):.1f} ({len(mine)})" if mine else "-")
    psaq = 100 * fmean(s["psaq"] for s in scores)
    uasq = 100 * sum(s["right"] for s in scores) / sum(s["total"] for s in scores)
    tokens = fmean(p["prompt_tokens"] + p["completion_tokens"] for p in problems)
    seconds = fmean(p["seconds"] for p in problems)
    cells = [
        label,
        str(len(problems)),
        str(abq),
        f"{psaq:.1f}",
        f"{uasq:.1f}",
        *levels,
        f"{tokens:.0f}",
        f"{seconds:.0f}",
    ]
    return "| " + " | ".join(cells) + " |"


def limits(problems: list[dict[str, Any]]) -> str:
    """What kept the answer-majority from being right, counted per question and per program."""
    statuses: Counter[str] = Counter()
    for p in problems:
        statuses.update(p["failures"])
        statuses["answered"] += p["answered"]
    right = [p for p in problems if p["scores"]["majority"]["abq"] == 1]
    wrong = [p for p in problems if p["scores"]["majority"]["abq"] < 1]
    none_answered = sum(p["answered"] == 0 for p in wrong)
    selection_lost = sum(p["scores"]["oracle"]["abq"] == 1 for p in wrong)
    partly = sum(0 < p["scores"]["majority"]["psaq"] < 1 for p in wrong)
    return (
        f"{len(right)} right, {len(wrong)} wrong: {none_answered} with no well-formed answer from any program, "
        f"{selection_lost} where some program was right but the majority was not, {partly} partly right "
        f"(some sub-answers), {len(wrong) - none_answered - selection_lost} where no program was right. "
        f"Programs: {', '.join(f'{n} {s}' for s, n in statuses.most_common())}."
    )


def errors(run_dir: str) -> None:
    """Count the failed programs of a run by exception type (the last line of the traceback the wrapper reported)."""
    import sqlite3

    from codesift.ask.program import MARK

    db = sqlite3.connect(Path(run_dir) / "store.sqlite")
    kinds: Counter[str] = Counter()
    for (output,) in db.execute("SELECT output FROM executions"):
        _, sep, error = output.partition(MARK + "error\n")
        if sep:
            # the exception line: the last one naming an exception type (a long message may wrap over lines)
            found = [m for line in error.splitlines() if (m := EXCEPTION.match(line))]
            kind, message = (found[-1].group(1), found[-1].group(2)) if found else ("?", "")
            kinds[f"{kind} ({message[:40]})" if kind == "ModuleNotFoundError" else kind] += 1
    print(", ".join(f"{n} {k}" for k, n in kinds.most_common()))


def main(specs: list[str]) -> None:
    print("| model / method | questions | ABQ [95% CI] | PSAQ | UASQ | easy | medium | hard | tokens/q | s/q |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for spec in specs:
        name, _, paths = spec.partition("=")
        greedy_path, _, sampled_path = paths.partition(",")
        greedy = load(greedy_path) if greedy_path else []  # MODEL=,SAMPLED_RUN: no greedy run
        sampled = load(sampled_path) if sampled_path else []
        if greedy:
            print(row(f"{name} greedy single program", greedy, "majority"))
        for method, label in (("filter_random", "filter + random"), ("majority", "answer-majority"),
                              ("oracle", "oracle@n")):  # fmt: skip
            if sampled:
                print(row(f"{name} {label}", sampled, method))
        if sampled and greedy:
            by_id = {p["id"]: p for p in greedy}
            both = [p for p in sampled if p["id"] in by_id]
            diff = paired_difference(
                [p["scores"]["majority"]["abq"] for p in both],
                [by_id[p["id"]]["scores"]["majority"]["abq"] for p in both],
            )
            notes.append(f"- {name}: answer-majority - greedy on {len(both)} shared questions: {diff} points.")
        if sampled:
            notes.append(f"- {name} answer-majority: {limits(sampled)}")
        if greedy:
            notes.append(f"- {name} greedy: {limits(greedy)}")
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--errors"]:
        errors(sys.argv[2])
    else:
        main(sys.argv[1:])
