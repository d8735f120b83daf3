"""Where selection loses on a stored `codesift bench` run: counts per cause, then one line per lost problem.

    python bench/fresh_diagnose.py /work/runs/fresh/n8-1.5b [--benchmark fresh]
    python bench/fresh_diagnose.py --bank bank/fresh-qwen2.5-coder-1.5b-n20-*.jsonl.gz --cache runs/diag.sqlite \
        [--select stress=20000]        # from the committed bank alone, today's code, optional selection knobs

Replays the run's own selection (same pool, probes, model-written tests and knobs, all cached in its
store; no model call; the tests are read under the key solve stored them under, and a store that lacks
tests the run ranked with is refused in one line rather than replayed without them) and, only afterwards,
looks at the hidden-test verdicts and at the reference solution, to sort every solvable-but-lost problem
into one cause:

  filtered out      no correct sample passes the visible examples (or the best effort drops them)
  smaller cluster   a correct program is in the pool, but in a cluster with fewer samples than the chosen one
  outranked         a correct cluster at least as large as the chosen one lost on the other signals
                    (agreement with the model-written tests)
  not separated     the chosen cluster holds correct and wrong programs (the probes never told them apart)
                    and a wrong one comes first

It also counts, over all solvable problems: how many had exactly one correct sample, how often every
pool program passed the visible examples yet the probes split them, and how many model-written tests
the reference solution fails (a wrong test steers CodeT agreement to a wrong cluster).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from codesift.bench.bank import bank_store, run_config
from codesift.bench.grade import grade_programs
from codesift.bench.run import STORE, read_results
from codesift.bench.tasks import Task, load_tasks
from codesift.cli.common import select_from_flags
from codesift.errors import CodesiftError
from codesift.execute import make_executor
from codesift.execute.cached import Mapper, run_all
from codesift.extract import ProgramGroup, group
from codesift.pipeline import SolveConfig, asks_for_tests, filter_groups, selection_pool, written_tests_key
from codesift.records import Test
from codesift.select import select
from codesift.store import Store

CAUSES = ("filtered out", "smaller cluster", "outranked", "not separated")


class ReplayError(CodesiftError):
    """The run store lacks something the run selected with, so a replay would not be the run's selection."""


def written(task: Task, config: SolveConfig, store: Store, pool: Sequence[ProgramGroup]) -> tuple[Test, ...]:
    """The model-written tests the run ranked `pool` with: read under the key solve stored them under."""
    if not asks_for_tests(config, pool):
        return ()
    stored = store.written_tests(task.id, written_tests_key(task.problem, config))
    if stored is None:
        raise ReplayError(
            f"{store.path}: {task.id} was ranked with model-written tests, but the store holds none under the run's "
            "settings (a store from before the current store keys?); its selection cannot be replayed"
        )
    return stored.tests


def diagnose(task: Task, config: SolveConfig, store: Store, ex: Mapper) -> dict[str, object] | None:
    """One problem's facts; None when the run has no samples for it."""
    problem = task.problem
    samples = [c for c in store.candidates(task.id) if c.origin == "sample"]
    if not samples:
        return None
    groups = group(samples)
    verdicts = grade_programs(task, [g.code for g in groups], ex, store)
    right = {g.program for g in groups if verdicts[g.program].passed}
    results = run_all(groups, problem.examples, ex, store, problem.entry_point)
    passing, _ = filter_groups(problem, groups, results)
    pool, passed = selection_pool(problem, passing, groups, results)
    tests = written(task, config, store, pool)
    sel = select(
        problem, pool, executor=ex, config=config.select, model_tests=tests, submissions=config.submissions,
        cache=store, examples_passed=passed,
    )  # fmt: skip
    chosen = sel.submissions[0].program if sel.submissions else None
    answer = store.answer(task.id)
    facts: dict[str, object] = {
        "id": task.id,
        "level": problem.metadata.get("level", ""),
        "right_samples": sum(g.votes for g in groups if g.program in right),
        "samples": len(samples),
        "pool_clusters": len(sel.clusters),
        "all_pass_examples": len(passing) == len(groups),
        "selected": chosen in right,
        # the replay submitted what the run submitted, in its order and with its scores (model-written tests passed)
        "replayed": answer is not None and sel.submissions == answer.submissions,
        "cause": None,
    }
    if tests and task.reference:
        ref = ProgramGroup(code=task.reference, candidates=())
        on_ref = run_all([ref], tests, ex, store, problem.entry_point)[ref.program]
        facts["written"] = len(tests)
        facts["written_wrong"] = sum(e.status != "passed" for e in on_ref.values())
    if not right or chosen in right:
        return facts
    good = [c for c in sel.clusters if any(g.program in right for g in c.groups)]
    if not good:
        facts.update(cause="filtered out", chosen_cluster=sel.clusters[0].samples if sel.clusters else 0)
        facts.update(right_cluster=0, chosen_tests=sel.clusters[0].tests_passed if sel.clusters else 0, right_tests=0)
        return facts
    top = sel.clusters[0]
    if any(g.program in right for g in top.groups):
        facts["cause"] = "not separated"
    elif max(c.samples for c in good) < top.samples:
        facts["cause"] = "smaller cluster"
    else:
        facts["cause"] = "outranked"
    best = max(good, key=lambda c: c.samples)
    facts.update(chosen_cluster=top.samples, right_cluster=best.samples)
    facts.update(chosen_tests=top.tests_passed, right_tests=best.tests_passed)
    return facts


def replay_run(run_dir: Path, tasks: Sequence[Task], ex: Mapper) -> list[dict[str, object]]:
    """The facts of every task the run answered and holds samples for (`diagnose`)."""
    config = SolveConfig.model_validate(read_results(run_dir).config)
    rows = []
    with Store(run_dir / STORE) as store:
        for task in tasks:
            if store.answer(task.id) is not None and (facts := diagnose(task, config, store, ex)) is not None:
                rows.append(facts)
    return rows


def replay_bank(
    banks: Sequence[Path], tasks: Sequence[Task], ex: Mapper, cache: str, select: Sequence[str]
) -> list[dict[str, object]]:
    """The same facts from sample-bank files alone (run dirs do not outlive their machine): the banked run's
    settings, with ``select`` (`--select KEY=VALUE`) over its selection knobs, on every task the banks hold."""
    with bank_store(banks, tasks, Store(cache)) as store:
        config = run_config(banks[-1], (store.settings("bench") or {}).get("config", {}))
        if select:
            config = config.model_copy(update={"select": select_from_flags(select, config.select)})
        return [facts for task in tasks if (facts := diagnose(task, config, store, ex)) is not None]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path, nargs="?", help="a graded run dir (or give --bank)")
    ap.add_argument("--bank", action="append", default=[], type=Path, help="sample-bank file(s) instead of a run")
    ap.add_argument("--cache", default=":memory:", help="SQLite file caching executions of a --bank replay")
    ap.add_argument("--select", action="append", default=[], help="with --bank: a selection knob KEY=VALUE")
    ap.add_argument("--benchmark", default="fresh")
    args = ap.parse_args(argv)
    if (args.run_dir is None) == (not args.bank):
        ap.error("give a run dir or --bank FILE, not both")
    try:
        with make_executor() as ex:
            tasks = load_tasks(args.benchmark)
            if args.bank:
                rows = replay_bank(args.bank, tasks, ex, args.cache, args.select)
            else:
                rows = replay_run(args.run_dir, tasks, ex)
    except CodesiftError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    solvable = [r for r in rows if r["right_samples"]]
    lost = [r for r in solvable if not r["selected"]]
    causes = Counter(str(r["cause"]) for r in lost)
    name = args.run_dir.name if args.run_dir else ", ".join(b.name for b in args.bank)
    print(f"{name}: {len(rows)} problems, {len(solvable)} solvable, {len(lost)} solvable but lost")
    for cause in CAUSES:
        print(f"  {cause:16} {causes.get(cause, 0)}")
    if args.run_dir:
        differ = sum(not r["replayed"] for r in rows)
        print(f"replayed submissions differ from the run's own (program, order or scores): {differ}")
    print(f"solvable with exactly one right sample: {sum(r['right_samples'] == 1 for r in solvable)}")
    print(f"  ... of them selected: {sum(r['right_samples'] == 1 and bool(r['selected']) for r in solvable)}")
    split = [r for r in solvable if r["all_pass_examples"] and int(str(r["pool_clusters"])) > 1]
    print(f"solvable where every sample passes the visible examples but probes split them: {len(split)}")
    with_tests = [r for r in rows if "written" in r]
    total = sum(int(str(r["written"])) for r in with_tests)
    wrong = sum(int(str(r["written_wrong"])) for r in with_tests)
    print(
        f"model-written tests the reference fails: {wrong}/{total} over {len(with_tests)} problems "
        f"({sum(int(str(r['written_wrong'])) > 0 for r in with_tests)} problems with at least one wrong test)"
    )
    print("\n| problem | level | right samples | cause | chosen cluster (tests passed) | best right cluster (tests) |")
    print("|---|---|---|---|---|---|")
    for r in lost:
        print(
            f"| {r['id']} | {r['level']} | {r['right_samples']}/{r['samples']} | {r['cause']} "
            f"| {r['chosen_cluster']} ({r['chosen_tests']}) | {r['right_cluster']} ({r['right_tests']}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
