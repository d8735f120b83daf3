"""Selection ablation on a stored run: which program to submit, given the same samples.

Reads the candidates of a `codesift bench` run from its Store (no re-sampling), filters them on the
visible examples, and scores every selection method with the benchmark's hidden tests (read only
here, after each method has made its choice). Code is re-extracted from the stored completions with
the current extractor. Executions are cached in the same Store, so a re-run is cheap. Model-written
tests and repairs come from the same Store (scripts/sample_store.py).

    python bench/selection_ablation.py --store runs/mbpp.db [--store runs/more.db ...] --benchmark mbpp-sanitized
    python bench/selection_ablation.py --benchmark humaneval --bank bank/humaneval-qwen2.5-coder-0.5b-n20-*.jsonl.gz \
        --cache runs/he-bank-cache.sqlite     # replay the committed sample bank; executions cached in --cache

Every pass@1 carries a 95% bootstrap interval over problems, and every method its paired difference to the
baseline (filter, most common) with its interval: a method beats the baseline only when that excludes 0.
`--rows ROWS --against METHOD` reprints saved rows compared with another method (e.g. the default).

Rows (pass@1 of the first submission, mean over problems; 10@n: one of the first 10 submissions):
  raw pass@1                 a random sample, no filtering
  filter, random             a random sample among those passing the visible examples
  filter, most common        the passing program sampled most often (the baseline to beat)
  largest cluster            behaviour clusters on probe inputs (mutations, typed, model-written), the biggest wins;
                             "no model-written probes": the same without the model's inputs (no extra model call)
  size + CodeT               clusters scored by size + CodeT agreement (model-written asserts passed); every row
                             but "default" has the speed check and logprob ties off unless its name says so
  ... + logprob              plus mean token logprob at weight 0.5 (the default until session 3)
  ..., ties by logprob       equal score and samples: the cluster with the higher mean logprob first
                             (`SelectConfig.ties`), instead of the shorter program
  support ...                size replaced by soft agreement with every cluster (`SelectConfig.agreement_power`)
  programs ...               size counts a cluster's distinct programs, not its samples (`SelectConfig.votes`)
  ... + weighted CodeT       each model-written test weighted by the clusters' consensus on it
                             (`SelectConfig.test_weights`); the CodeT term counts the weights of the tests passed
  ... + speed check          in each submitted cluster the first program that finishes a scaled-up example in
                             time stands for it (`SelectConfig.stress`)
  default                    `SelectConfig()`: size + CodeT + speed check, ties by logprob (since session 10)
  default, adaptive          the default ranking on the samples `solve --adaptive` draws (`adaptive.StopRule()`,
                             replayed on the trace); "adaptive, largest cluster" is session 5's rule
  half n, default ranking    the same on the first n/2 samples only
  half n + repair            ... plus repairs of failing samples, budget = tokens of the other n/2
                             (the equal-token alternative, all n samples, is the default row)
  default + judge            with --judge MODEL: the default ranking, then that model judges the two best clusters
                             by predicting the result on their shortest distinguishing input (`select.judge`)
  oracle@n                   some sample is correct
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from operator import gt, lt
from pathlib import Path
from statistics import fmean
from typing import Any

from adaptive_rules import CORRECT, RULE, TOKENS, TRACE, replay

from codesift.adaptive import StopRule
from codesift.bench.bank import bank_store, replayed_tests
from codesift.bench.grade import grade_programs
from codesift.bench.metrics import bootstrap, paired_difference
from codesift.bench.tasks import Task, load_tasks
from codesift.execute import make_executor
from codesift.execute.cached import Mapper, run_all
from codesift.extract import ProgramGroup, extract_code, group
from codesift.pipeline import filter_groups, selection_pool
from codesift.prompt import build_prompt
from codesift.records import Candidate, Completion, Policy, Problem, Test
from codesift.select import SelectConfig, Selection, select
from codesift.select.judge import judge
from codesift.select.types import STRESS_SIZE, Cluster
from codesift.store import Store

Judging = Callable[[Problem, Selection, Store, Mapper], tuple[Selection, tuple[Completion, ...]]]
LOGPROB = 0.5  # the weight logprob had as a default until session 3
BASELINE = "filter, most common"
DEFAULT = "default: size + CodeT + speed check, ties by logprob"
LIVE = "default, adaptive (solve --adaptive)"


def _pool(task: Task, groups: Sequence[ProgramGroup], ex: Mapper, store: Store) -> tuple[list[ProgramGroup], int]:
    """What the pipeline selects from (those passing every visible example, else its best effort), and how
    many samples pass every example."""
    problem = task.problem
    results = run_all(groups, problem.examples, ex, store, problem.entry_point)
    passing = filter_groups(problem, groups, results)[0]
    return selection_pool(problem, passing, groups, results)[0], sum(g.votes for g in passing)


def _correct(task: Task, groups: Sequence[ProgramGroup], ex: Mapper, store: Store) -> dict[str, bool]:
    verdicts = grade_programs(task, [g.code for g in groups], ex, store)
    return {g.program: verdicts[g.program].passed for g in groups}


def _re_extracted(task: Task, cands: Sequence[Candidate], variant: str) -> list[Candidate]:
    """Samples as today's extractor reads their stored completions, so older runs measure current code."""
    prefill = build_prompt(task.problem, variant).prefill
    entry = task.problem.entry_point
    return [c.model_copy(update={"code": extract_code(c.completion, prefill, entry)}) for c in cands]


def _written(task: Task, store: Store) -> tuple[Test, ...]:
    written = replayed_tests(store, task.problem)
    return written.tests if written else ()


def evaluate(
    task: Task,
    cands: Sequence[Candidate],
    ex: Mapper,
    store: Store,
    written: tuple[Test, ...],
    repaired: Sequence[Candidate] | None,
    power: float = 1.0,
    judging: Judging | None = None,
) -> dict[str, Any]:
    """Every method's chance that its first submission is correct on this problem."""
    groups = group(cands)
    correct = _correct(task, groups, ex, store)
    n = len(cands)
    pool, passing = _pool(task, groups, ex, store)

    def expected(gs: Sequence[ProgramGroup]) -> float:
        return sum(g.votes * correct[g.program] for g in gs) / max(1, sum(g.votes for g in gs))

    def most_common(gs: Sequence[ProgramGroup]) -> float:
        if not gs:  # nothing passes any example: the pipeline submits nothing
            return 0.0
        top = max(g.votes for g in gs)
        return fmean(correct[g.program] for g in gs if g.votes == top)

    def ranked(gs: Sequence[ProgramGroup], config: SelectConfig, tests: Sequence[Test] = written, k: int = 1) -> float:
        """Model-written tests always feed the probe inputs; only ``w_codet`` makes them count as asserts."""
        sel = select(task.problem, gs, executor=ex, config=config, model_tests=tests, cache=store, submissions=k)
        return float(any(correct.get(s.program, False) for s in sel.submissions))

    def most_common_k(gs: Sequence[ProgramGroup], k: int) -> float:
        top = sorted(gs, key=lambda g: -g.votes)[:k]  # `group` keeps sampling order among ties
        return float(any(correct[g.program] for g in top))

    plain = SelectConfig(stress=None, ties=None)  # the ranking before session 10; rows vary it one knob at a time

    def knobs(**changed: object) -> SelectConfig:
        return SelectConfig(**{**plain.model_dump(), **changed})

    size_only = knobs(w_codet=0)
    clusters = select(task.problem, pool, executor=ex, config=size_only, model_tests=written, cache=store).clusters
    row = {
        "raw pass@1": expected(groups),
        "filter, random": expected(pool),
        BASELINE: most_common(pool),
        "largest cluster, no model-written probes": ranked(pool, size_only, ()),
        "largest cluster": ranked(pool, size_only),
        "size + logprob": ranked(pool, knobs(w_codet=0, w_logprob=LOGPROB)),
        "size + CodeT + logprob": ranked(pool, knobs(w_logprob=LOGPROB)),
        "size + CodeT": ranked(pool, plain),
        "size + CodeT, ties by logprob": ranked(pool, knobs(ties="logprob")),
        "support": ranked(pool, knobs(w_codet=0, agreement_power=power)),
        "support + CodeT": ranked(pool, knobs(agreement_power=power)),
        "support + CodeT + logprob": ranked(pool, knobs(w_logprob=LOGPROB, agreement_power=power)),
        "programs": ranked(pool, knobs(w_codet=0, votes="programs")),
        "programs + CodeT": ranked(pool, knobs(votes="programs")),
        "size + weighted CodeT": ranked(pool, knobs(test_weights="consensus")),
        "programs + weighted CodeT": ranked(pool, knobs(votes="programs", test_weights="consensus")),
        "10@n, filter, 10 most common": most_common_k(pool, 10),
        "10@n, default ranking (one per cluster)": ranked(pool, SelectConfig(), k=10),
        "oracle@n": float(any(correct.values())),
        "samples": float(n),
        "sample tokens": float(sum(c.prompt_tokens + c.completion_tokens for c in cands)),
        "passing samples": float(passing),
        "clusters": float(len(clusters)),
        **adaptive(cands, clusters, pool, passing, correct),
    }
    started = time.perf_counter()  # probes and model tests are cached by now: this times the stress runs
    row["size + CodeT + speed check"] = ranked(pool, knobs(stress=STRESS_SIZE))
    row["speed-check seconds"] = time.perf_counter() - started
    row[DEFAULT] = ranked(pool, SelectConfig())
    # What `solve --adaptive` answers: the default rule's stopping point, then the default ranking on those samples.
    live = replay(StopRule(), row[TRACE], row[CORRECT], row[TOKENS])
    row[LIVE] = ranked(_pool(task, group(cands[: live.samples]), ex, store)[0], SelectConfig())
    row[f"{LIVE} tokens"] = float(live.tokens)
    if judging is not None:
        ranked_default = select(task.problem, pool, executor=ex, model_tests=written, cache=store)
        judged, calls = judging(task.problem, ranked_default, store, ex)
        first = judged.submissions[0].program if judged.submissions else None
        row["default + judge"] = float(first is not None and correct[first])
        row["judge calls"] = float(len(calls))
        row["judge tokens"] = float(sum(c.prompt_tokens + c.completion_tokens for c in calls))
    if repaired is not None:
        half = list(cands[: n // 2])
        half_groups = group(half)
        correct.update(_correct(task, half_groups, ex, store))
        half_pool = _pool(task, half_groups, ex, store)[0]
        row["half n, default ranking"] = ranked(half_pool, SelectConfig())
        fixed = group([*half, *repaired])
        correct.update(_correct(task, fixed, ex, store))
        fixed_pool = _pool(task, fixed, ex, store)[0]
        row["half n + repair"] = ranked(fixed_pool, SelectConfig())
        row["repair tokens"] = float(sum(c.prompt_tokens + c.completion_tokens for c in repaired))
        row["more-samples tokens"] = float(sum(c.prompt_tokens + c.completion_tokens for c in cands[n // 2 :]))
        row["repair seconds"] = sum(c.seconds for c in repaired)
        row["more-samples seconds"] = sum(c.seconds for c in cands[n // 2 :])
    return row


def adaptive(
    cands: Sequence[Candidate],
    clusters: Sequence[Cluster],
    pool: Sequence[ProgramGroup],
    passing: int,
    correct: dict[str, bool],
) -> dict[str, object]:
    """Adaptive sampling under `adaptive_rules.RULE` (fixed before it was run on any bank), plus the trace that
    replays any other rule (`bench/adaptive_rules.py`): each sample's cluster, its program's place there, and
    whether it passes the visible examples."""
    place = {
        (c.policy, c.seed): (i, j)
        for i, cl in enumerate(clusters)
        for j, g in enumerate(cl.groups)
        for c in g.candidates
    }
    passes = {(c.policy, c.seed) for g in pool for c in g.candidates} if passing else set()
    trace = [[*place.get((c.policy, c.seed), (-1, 0)), int((c.policy, c.seed) in passes)] for c in cands]
    right = [[correct[g.program] for g in cl.groups] for cl in clusters]
    tokens = [c.completion_tokens for c in cands]
    out = replay(RULE, trace, right, tokens)
    return {
        "adaptive, largest cluster": out.solved,
        "adaptive samples": float(out.samples),
        "adaptive tokens": float(out.tokens),
        "all-n tokens": float(sum(tokens)),
        TRACE: trace,
        CORRECT: right,
        TOKENS: tokens,
    }


def _evaluate_stored(
    task: Task, store: Store, ex: Mapper, n: int, variant: str, power: float, judging: Judging | None
) -> dict[str, Any]:
    cands = _re_extracted(task, [c for c in store.candidates(task.id) if c.origin == "sample"][:n], variant)
    repaired = store.repairs(task.id)
    return evaluate(task, cands, ex, store, _written(task, store), repaired, power, judging)


def _judging(model: str) -> tuple[Judging, Callable[[], None]]:
    """The judge as the pipeline runs it (greedy, constrained, verdicts cached in the store), and its closer;
    llama threads from $CODESIFT_THREADS as everywhere."""
    from codesift.backends import BackendPool

    pool = BackendPool()
    policy = Policy(name=f"judge-{model}", model=model)
    return (lambda problem, sel, store, ex: judge(problem, sel, policy, pool, store, ex, store)), pool.close


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", action="append", default=[], help="a run's SQLite store (repeat to pool runs)")
    ap.add_argument("--bank", action="append", default=[], type=Path, help="a sample-bank file (repeatable)")
    ap.add_argument("--cache", default=":memory:", help="SQLite file caching executions of --bank replays")
    ap.add_argument("--benchmark", required=True, help="humaneval | mbpp-sanitized | apps | ...")
    ap.add_argument("--data", default=None)
    ap.add_argument("--n", type=int, default=20, help="use the first n samples of each problem")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--prompt", default="plain", help="prompt variant the samples were drawn with")
    ap.add_argument(
        "--agreement-power", type=float, default=1.0, help="power of the soft agreement in the support rows"
    )
    ap.add_argument("--exclude", default=None, help="skip the problems of this benchmark (held-out sets)")
    ap.add_argument("--json", default=None, help="also write per-problem rows to this JSONL file")
    ap.add_argument("--rows", default=None, type=Path, help="print the table of rows saved by --json, run nothing")
    ap.add_argument("--against", default=BASELINE, help="the method every row is compared with (--rows)")
    ap.add_argument("--judge", default=None, help="also the default ranking + this model as pairwise judge")
    args = ap.parse_args(argv)
    if args.rows:
        saved = [_numbers(json.loads(line)) for line in args.rows.read_text().splitlines()]
        if saved and args.against not in saved[0]:
            ap.error(f"--against {args.against!r} is no method of these rows")
        print_table(args.benchmark, saved, args.against)
        return 0

    excluded = {t.id for t in load_tasks(args.exclude, args.data)} if args.exclude else set()
    tasks = {t.id: t for t in load_tasks(args.benchmark, args.data) if t.id not in excluded}
    if not args.store and not args.bank:
        ap.error("give at least one --store or --bank")
    rows: list[dict[str, float]] = []
    sources: list[Callable[[], Store]] = [partial(Store, path) for path in args.store]
    if args.bank:
        sources.append(lambda: bank_store(args.bank, list(tasks.values()), Store(args.cache)))
    judging, close = _judging(args.judge) if args.judge else (None, lambda: None)
    with make_executor(workers=args.workers) as ex, open(args.json or os.devnull, "w") as out:
        for source in sources:
            with source() as store:
                # Problems whose n samples are all in the store (a run still sampling has a partial one).
                ids = [pid for pid in tasks if sum(c.origin == "sample" for c in store.candidates(pid)) >= args.n]
                for i, pid in enumerate(ids, 1):
                    row = _evaluate_stored(tasks[pid], store, ex, args.n, args.prompt, args.agreement_power, judging)
                    rows.append(_numbers(row))
                    out.write(json.dumps({"id": pid, **row}) + "\n")
                    out.flush()
                    print(
                        f"[{i}/{len(ids)}] {pid}: default={row[DEFAULT]:.0f} oracle={row['oracle@n']:.0f}",
                        file=sys.stderr,
                    )
    close()
    print_table(args.benchmark, rows)
    return 0


def _numbers(row: dict[str, object]) -> dict[str, float]:
    return {k: float(v) for k, v in row.items() if isinstance(v, int | float)}


def print_table(name: str, rows: Sequence[dict[str, float]], against: str = BASELINE) -> None:
    if not rows:
        print("no problem of this benchmark has candidates in the store")
        return
    n = fmean(r["samples"] for r in rows)
    print(f"\n{name}: {len(rows)} problems, {n:.0f} samples each")
    print(
        f"| method | pass@1 [95% CI] | efficiency (÷ oracle@n) | vs {against} [95% CI] | beats? | won/lost "
        "| problems |\n"
        "|---|---|---|---|---|---|---|"
    )
    counts = (
        {
            "samples",
            "sample tokens",
            "passing samples",
            "clusters",
            "adaptive samples",
            "adaptive tokens",
            f"{LIVE} tokens",
        }
        | {"all-n tokens", "judge calls", "judge tokens", "speed-check seconds"}
        | {f"{what} {unit}" for what in ("repair", "more-samples") for unit in ("tokens", "seconds")}
    )
    methods = [k for k in dict.fromkeys(k for r in rows for k in r) if k not in counts]
    for m in methods:
        subset = [r for r in rows if m in r]
        value, oracle = bootstrap([r[m] for r in subset]), fmean(r["oracle@n"] for r in subset)
        eff = f"{value.mean / oracle:.2f}" if oracle else "-"
        diff = paired_difference([r[m] for r in subset], [r[against] for r in subset])
        verdict = "yes" if diff.excludes_zero and diff.mean > 0 else ("worse" if diff.excludes_zero else "no")
        won, lost = (sum(op(r[m], r[against]) for r in subset) for op in (gt, lt))
        print(f"| {m} | {value} | {eff} | {diff} | {verdict} | {won}/{lost} | {len(subset)} |")

    def median(key: str) -> float:
        return sorted(r[key] for r in rows)[len(rows) // 2]

    print(
        f"\nmedian per problem: passing samples {median('passing samples'):.0f}/{n:.0f}, "
        f"clusters {median('clusters'):.0f}, tokens (prompt + completion, all samples) {median('sample tokens'):.0f}"
    )
    if all("adaptive tokens" in r for r in rows):
        spent, full = sum(r["adaptive tokens"] for r in rows), sum(r["all-n tokens"] for r in rows)
        print(
            f"adaptive sampling: {fmean(r['adaptive samples'] for r in rows):.1f} samples per problem on average, "
            f"{spent:.0f} of {full:.0f} completion tokens ({100 * (1 - spent / max(full, 1)):.0f}% saved)"
        )
    if all(f"{LIVE} tokens" in r for r in rows):
        spent, full = sum(r[f"{LIVE} tokens"] for r in rows), sum(r["all-n tokens"] for r in rows)
        print(f"solve --adaptive ({StopRule()}): {100 * (1 - spent / max(full, 1)):.0f}% of completion tokens saved")
    checked = [r["speed-check seconds"] for r in rows if "speed-check seconds" in r]
    if checked:
        print(
            f"speed check: {sum(checked):.0f} s of stress runs in all, "
            f"median {sorted(checked)[len(checked) // 2]:.2f} s per problem, max {max(checked):.1f} s "
            "(0 on a replay whose executions are cached)"
        )
    judged = [r for r in rows if "judge calls" in r]
    if judged:
        print(
            f"judge: {sum(r['judge calls'] > 0 for r in judged)} of {len(judged)} problems had a distinguishing input "
            f"between their two best clusters; {sum(r['judge tokens'] for r in judged):.0f} tokens in all"
        )
    repaired = [r for r in rows if "repair tokens" in r]
    if repaired:
        rep = sum(r["repair tokens"] for r in repaired)
        more = sum(r["more-samples tokens"] for r in repaired)
        rep_s = sum(r["repair seconds"] for r in repaired)
        more_s = sum(r["more-samples seconds"] for r in repaired)
        print(
            f"repair vs more samples: {rep:.0f} vs {more:.0f} tokens (ratio {rep / max(more, 1):.2f}), "
            f"{rep_s:.0f} vs {more_s:.0f} model seconds (ratio {rep_s / max(more_s, 1e-9):.2f})"
        )


if __name__ == "__main__":
    raise SystemExit(main())
