"""Before/after table for a LoRA adapter: pass@1 of two bench runs on the same held-out problems.

Reads the graded samples of each side's run dirs (several per side when a run went on in another run dir;
`codesift.learn.export.read_run`, the grader's hidden-test verdicts) and compares them on the problems both
sides finished, pass@1 = the mean over a problem's samples of "passes every hidden test" (greedy: the one
sample). With `--selected`, pass@1 is instead whether the run's first submission passed (`results.json`): the
selected pass@1 of an n-sample run. Prints pass@1 with 95% bootstrap intervals over problems and the paired
difference.

    python bench/learn_lift.py --before runs/mbpp-test100-0.5b-greedy --after runs/mbpp-test100-0.5b-greedy-lora-r1
    python bench/learn_lift.py --selected --before runs/he-n10 --after runs/he-n10-lora-r2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from statistics import fmean

from codesift.bench.metrics import bootstrap, paired_difference
from codesift.learn.export import read_run
from codesift.learn.splits import split_of


def pass_at_1(run_dir: Path) -> dict[str, float]:
    """Per problem: mean over its samples of 'passed every hidden test' (greedy: one sample, 0 or 1)."""
    samples, _ = read_run(run_dir)
    by_task: dict[str, list[float]] = {}
    for s in samples:
        by_task.setdefault(s.provenance.task_id, []).append(float(s.passed))
    return {task: fmean(v) for task, v in by_task.items()}


def selected_pass_at_1(run_dir: Path) -> dict[str, float]:
    """Per problem: 1.0 if the run's first submission passed every hidden test; unanswered problems count 0."""
    path = run_dir / "results.json"
    if not path.exists():
        raise SystemExit(f"{run_dir} has no results.json: let its bench run finish (it resumes), then retry")
    problems = json.loads(path.read_text())["problems"]
    return {p["id"]: float(bool(p["submitted"]) and p["submitted"][0]) for p in problems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, action="append", required=True, help="Run dir; repeatable")
    parser.add_argument("--after", type=Path, action="append", required=True, help="Run dir; repeatable")
    parser.add_argument("--selected", action="store_true", help="Compare first submissions, not mean sample pass")
    parser.add_argument("--json", type=Path, help="Also write the per-problem verdicts here")
    args = parser.parse_args()
    measure = selected_pass_at_1 if args.selected else pass_at_1
    before = {t: v for run in args.before for t, v in measure(run).items()}
    after = {t: v for run in args.after for t, v in measure(run).items()}
    tasks = sorted(set(before) & set(after), key=lambda t: (len(t), t))
    if not tasks:
        raise SystemExit("the two runs share no finished problem")
    train = [t for t in tasks if split_of("mbpp", t) == "train"]
    if train:
        raise SystemExit(f"{len(train)} held-out problems are training tasks ({train[0]}): not a held-out comparison")
    a = [before[t] for t in tasks]
    b = [after[t] for t in tasks]
    if args.json:
        args.json.write_text(json.dumps({t: {"before": before[t], "after": after[t]} for t in tasks}, indent=1) + "\n")
    both = sum(x and y for x, y in zip(a, b, strict=True))
    print(f"{len(tasks)} problems finished by both runs")
    print(f"| run | {'selected' if args.selected else 'mean sample'} pass@1 [95% CI] |")
    print("|---|---|")
    print(f"| before ({', '.join(r.name for r in args.before)}) | {bootstrap(a)} |")
    print(f"| after ({', '.join(r.name for r in args.after)}) | {bootstrap(b)} |")
    print(f"| after - before (paired) | {paired_difference(b, a)} |")
    print(
        f"both {both}, only before {sum(x and not y for x, y in zip(a, b, strict=True))}, "
        f"only after {sum(y and not x for x, y in zip(a, b, strict=True))}, "
        f"neither {sum(not x and not y for x, y in zip(a, b, strict=True))}"
    )


if __name__ == "__main__":
    main()
