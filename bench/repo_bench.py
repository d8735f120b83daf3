"""Repository-mode benchmark (issue 14): build it from bench/repo_manifest.toml, sample, grade, print the table.

    python bench/repo_bench.py build [--per-package 30]              # tasks -> bench/data/repo_tasks.jsonl
    flock /work/locks/model env CODESIFT_THREADS=1 python bench/repo_bench.py sample \
        --model qwen2.5-coder-0.5b --mode in-file --first 10          # greedy, resumable, store in runs/repo-bench
    python bench/repo_bench.py grade --model qwen2.5-coder-0.5b --mode in-file
    python bench/repo_bench.py table --model qwen2.5-coder-0.5b

`--first N` takes the first N tasks of each package (in the builder's fixed order), a subset spread over all
packages that stays the same when tasks are added. Hidden tests are read only by `grade`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from codesift.bench.repo import BenchTask, Materialised, Package, build_package, load_manifest, materialise

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "repo_manifest.toml"
TASKS = HERE / "data" / "repo_tasks.jsonl"
RUNS = HERE.parent / "runs" / "repo-bench"


def build(per_package: int, only: str | None) -> None:
    """Tasks of every package (or of `only`, replacing that package's tasks and keeping the others')."""
    TASKS.parent.mkdir(parents=True, exist_ok=True)
    tasks = [BenchTask.model_validate_json(line) for line in TASKS.read_text().splitlines()] if only else []
    for pkg in load_manifest(MANIFEST):
        if only and pkg.name != only:
            continue
        found = build_package(pkg, per_package)
        print(f"{pkg.name}=={pkg.version}: {len(found)} targets", file=sys.stderr, flush=True)
        tasks = [t for t in tasks if t.package != pkg.name] + found
        TASKS.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    print(f"{len(tasks)} tasks ({sum(t.has_examples for t in tasks)} with docstring examples) -> {TASKS}")


def load_tasks(first: int | None) -> list[BenchTask]:
    """Tasks interleaved over packages (task i of every package before task i+1 of any); `first`: only the first
    `first` tasks of each package, a subset that stays the same when packages or tasks are added."""
    by_package: dict[str, list[BenchTask]] = {}
    for line in TASKS.read_text().splitlines():
        t = BenchTask.model_validate_json(line)
        by_package.setdefault(t.package, []).append(t)
    rounds = min(first or 10**9, max(len(v) for v in by_package.values()))
    return [v[i] for i in range(rounds) for v in by_package.values() if i < len(v)]


def packages() -> dict[str, Package]:
    return {p.name: p for p in load_manifest(MANIFEST)}


def prepared(args: argparse.Namespace) -> list[tuple[BenchTask, Materialised]]:
    """The tasks' prompts and contexts, built once per mode and budget and kept in runs/ (so a sampling turn
    under the model lock does not spend its minutes indexing packages)."""
    from codesift.store import Store

    saved = RUNS / f"prepared-{args.mode}-{args.tokens}.jsonl"
    known: dict[str, Materialised] = {}
    if saved.exists():
        for line in saved.read_text().splitlines():
            row = json.loads(line)
            known[row["id"]] = Materialised.model_validate(row["materialised"])
    pkgs = packages()
    tasks = load_tasks(args.first)
    with Store(RUNS / "index.sqlite") as cache:
        for t in tasks:
            if t.id not in known:
                known[t.id] = materialise(t, pkgs[t.package], args.mode, args.tokens, cache)
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(
        "".join(json.dumps({"id": i, "materialised": m.model_dump(mode="json")}) + "\n" for i, m in known.items())
    )
    return [(t, known[t.id]) for t in tasks]


def run_dir(args: argparse.Namespace) -> Path:
    kind = "greedy" if args.samples == 1 else f"n{args.samples}"
    return RUNS / args.model / f"{args.mode}-{args.tokens}-{kind}"


def policy(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from codesift.records import Policy

    temperature = 0.0 if args.samples == 1 else args.temperature
    return Policy(name=f"t{temperature}-{args.mode}", model=args.model, temperature=temperature, max_tokens=512)


def sample(args: argparse.Namespace) -> None:
    """Completions for every task (stored: an interrupted run resumes where it stopped, nothing is redrawn)."""
    from codesift.backends import BackendPool
    from codesift.sample import sample as draw
    from codesift.store import Store

    pool = BackendPool()
    started = time.monotonic()
    done = 0
    with Store(run_dir(args) / "store.sqlite") as store:
        for _task, m in prepared(args):
            if time.monotonic() - started > args.minutes * 60:
                print(f"stopped after {args.minutes} min; run again to continue", file=sys.stderr)
                break
            draw(m.task.problem, (policy(args),), args.samples, seed=0, store=store, backend_for=pool)
            done += 1
    pool.close()
    print(f"{done} tasks sampled in {time.monotonic() - started:.0f} s -> {run_dir(args)}")


def no_model(_policy):  # type: ignore[no-untyped-def]
    raise SystemExit("a task has no stored samples: run `sample` first (grading never loads the model)")


def grade(args: argparse.Namespace) -> None:
    """Grade stored samples on the hidden tests in the sandbox's repo profile; rows -> graded.jsonl.

    Greedy: the one sample. n > 1: the pipeline (filter on the docstring examples in the repo sandbox, then
    clusters) picks a program from the stored samples; every distinct sample is graded too, for raw pass@1 and
    the oracle. The hidden tests reach only this function's verdicts."""
    from codesift.execute.executor import Job
    from codesift.extract import extract_code, group, normalise
    from codesift.pipeline import SolveConfig
    from codesift.prompt import build_prompt
    from codesift.repo.context import recall
    from codesift.repo.sandbox import open_repo_executor
    from codesift.repo.solve import SplicingMapper, solve_in_repo
    from codesift.repo.task import pytest_check
    from codesift.store import Store

    rows = []
    by_package: dict[str, list[tuple[BenchTask, Materialised]]] = {}
    for task, m in prepared(args):
        by_package.setdefault(m.package_root, []).append((task, m))
    config = SolveConfig(policies=(policy(args),), samples=args.samples, seed=0, submissions=1, test_writers=0)
    with Store(run_dir(args) / "store.sqlite") as store:
        for root, items in by_package.items():
            with open_repo_executor(Path(root), args.sandbox, pythonpath=items[0][1].pythonpath, workers=1) as ex:
                for task, m in items:
                    prefill = build_prompt(m.task.problem, policy(args).prompt).prefill
                    stored = [  # re-extracted, as the pipeline does: the extraction may have improved since sampling
                        c.model_copy(update={"code": extract_code(c.completion, prefill, m.task.problem.entry_point)})
                        for c in store.candidates(m.task.problem.id)
                        if c.origin == "sample"
                    ]
                    if len(stored) < args.samples:
                        continue
                    groups = group(stored)
                    hidden = pytest_check(task.hidden)
                    jobs = [Job(code=g.code, tests=(hidden,)) for g in groups]
                    ran = {normalise(j.code): es[0].status for j, es in SplicingMapper(ex, m.task.target).map(jobs)}
                    verdicts = {g.code: ran[normalise(g.code)] for g in groups}
                    passing = sum(g.votes for g in groups if verdicts[g.code] == "passed")
                    chosen = ran[normalise(stored[0].code)]
                    if args.samples > 1:
                        result = solve_in_repo(m.task, config, executor=ex, store=store, backend_for=no_model)
                        best = result.answer.submissions
                        chosen = ran[normalise(best[0].code)] if best else chosen
                    files = index_repo_cached(Path(root), m)
                    rows.append(
                        {
                            "id": task.id, "package": task.package, "passed": chosen == "passed",
                            "status": chosen, "raw": passing / len(stored),
                            "oracle": any(v == "passed" for v in verdicts.values()),
                            "recall": recall(files, m.task.target, m.reference, m.task.context),
                            "context_tokens": m.task.context.tokens,
                            "prompt_tokens": sum(c.prompt_tokens for c in stored) / len(stored),
                            "completion_tokens": sum(c.completion_tokens for c in stored),
                            "seconds": sum(c.seconds for c in stored),
                        }
                    )  # fmt: skip
                    print(f"{task.id}: {chosen}", file=sys.stderr, flush=True)
    out = run_dir(args) / "graded.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{sum(r['passed'] for r in rows)}/{len(rows)} passed -> {out}")


def index_repo_cached(root: Path, m: Materialised):  # type: ignore[no-untyped-def]
    from codesift.repo.index import index_repo, with_source
    from codesift.store import Store

    with Store(RUNS / "index.sqlite") as cache:
        return with_source(index_repo(root, cache), m.task.target.path, m.task.target.source)


def table(args: argparse.Namespace) -> None:
    """One row per graded run of `--model` and `--tokens`, on the tasks graded in every run, with 95% bootstrap
    intervals over tasks; then the paired differences the issue's goals are about."""
    from codesift.bench.metrics import bootstrap, paired_difference

    graded = {}
    for path in sorted((RUNS / args.model).glob(f"*-{args.tokens}-*/graded.jsonl")):
        graded[path.parent.name] = {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}
    if not graded:
        raise SystemExit(f"nothing graded under {RUNS / args.model}")
    common = sorted(set.intersection(*(set(g) for g in graded.values())))
    print(f"{args.model}, context budget {args.tokens} tokens, {len(common)} tasks graded in every run\n")
    print(
        "| run | pass@1 % (chosen) [95% CI] | raw pass@1 % | oracle % | retrieval recall [95% CI] (tasks) "
        "| context tokens | prompt tokens | completion tokens | model s/task |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, rows in graded.items():
        chosen = [rows[i] for i in common]
        recalls = [r["recall"] for r in chosen if r["recall"] is not None]
        med = {
            k: statistics.median(r[k] for r in chosen)
            for k in ("context_tokens", "prompt_tokens", "completion_tokens", "seconds")
        }
        rc = bootstrap(recalls)
        print(
            f"| {name} | {bootstrap([float(r['passed']) for r in chosen])} "
            f"| {100 * statistics.fmean(r['raw'] for r in chosen):.1f} "
            f"| {100 * statistics.fmean(r['oracle'] for r in chosen):.1f} "
            f"| {rc.mean:.2f} [{rc.low:.2f}, {rc.high:.2f}] ({len(recalls)}) | {med['context_tokens']:.0f} "
            f"| {med['prompt_tokens']:.0f} | {med['completion_tokens']:.0f} | {med['seconds']:.1f} |"
        )
    pairs = [("repo-map", "greedy", "in-file", "greedy"), ("repo-map", "n10", "repo-map", "greedy")]
    for mode_a, kind_a, mode_b, kind_b in pairs:
        a, b = f"{mode_a}-{args.tokens}-{kind_a}", f"{mode_b}-{args.tokens}-{kind_b}"
        if a in graded and b in graded:
            diff = paired_difference(
                [float(graded[a][i]["passed"]) for i in common], [float(graded[b][i]["passed"]) for i in common]
            )
            print(f"\n{a} minus {b}, paired over tasks: {diff} points")


def recall_table(args: argparse.Namespace) -> None:
    """Retrieval recall of both packings on every task (no model involved): the share of the repository
    functions the reference body calls whose signature made it into the context."""
    from codesift.bench.metrics import bootstrap, paired_difference
    from codesift.repo.context import recall

    per_mode: dict[str, dict[str, float | None]] = {}
    tokens: dict[str, list[int]] = {}
    for mode in ("in-file", "repo-map"):
        args.mode = mode
        per_mode[mode], tokens[mode] = {}, []
        for task, m in prepared(args):
            files = index_repo_cached(Path(m.package_root), m)
            per_mode[mode][task.id] = recall(files, m.task.target, m.reference, m.task.context)
            tokens[mode].append(m.task.context.tokens)
    ids = [i for i, r in per_mode["in-file"].items() if r is not None]
    calling = f"{len(ids)} whose reference calls a function of its package"
    print(f"{len(per_mode['in-file'])} tasks, {calling}; context budget {args.tokens} tokens\n")
    print("| context | retrieval recall [95% CI] | recall = 1 | median context tokens |")
    print("|---|---|---|---|")
    for mode, rows in per_mode.items():
        values = [float(rows[i] or 0.0) for i in ids]
        full = sum(v == 1.0 for v in values)
        print(
            f"| {mode} | {bootstrap(values).mean:.2f} [{bootstrap(values).low:.2f}, {bootstrap(values).high:.2f}] "
            f"| {full}/{len(ids)} | {statistics.median(tokens[mode]):.0f} |"
        )
    diff = paired_difference(
        [float(per_mode["repo-map"][i] or 0.0) for i in ids], [float(per_mode["in-file"][i] or 0.0) for i in ids]
    )
    print(f"\nrepo-map minus in-file, paired: {diff.mean:+.2f} [{diff.low:+.2f}, {diff.high:+.2f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--per-package", type=int, default=30)
    b.add_argument("--only", help="rebuild one package's tasks, keep the others'")
    for name in ("prepare", "sample", "grade", "table", "recall"):
        p = sub.add_parser(name)
        p.add_argument("--model", default="qwen2.5-coder-0.5b")
        p.add_argument("--mode", default="repo-map", choices=("in-file", "repo-map"))
        p.add_argument("--tokens", type=int, default=1500, help="context budget")
        p.add_argument("--first", type=int, default=None, help="only the first N tasks of each package")
        p.add_argument("--minutes", type=float, default=13.0, help="stop sampling after this long (model lock turns)")
        p.add_argument("--sandbox", default="auto", help="sandbox mode for grading")
        p.add_argument("--samples", type=int, default=1, help="1: greedy; n > 1: sampling + filter + clusters")
        p.add_argument("--temperature", type=float, default=0.8)
    args = parser.parse_args()
    if args.command == "build":
        build(args.per_package, args.only)
    elif args.command == "prepare":
        print(f"{len(prepared(args))} tasks prepared")
    elif args.command == "sample":
        sample(args)
    elif args.command == "grade":
        grade(args)
    elif args.command == "recall":
        recall_table(args)
    else:
        table(args)


if __name__ == "__main__":
    main()
