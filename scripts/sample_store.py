"""Model work for the selection ablation, into a Store (resumable; bench/selection_ablation.py reads it).

Per problem: n samples with the normal prompt (`codesift.sample`), then model-written tests
(`Store.written_tests`, keyed by the writer's settings); with ``--repair``, one repair pass over the
samples of the first half that fail a visible example, budget = tokens of the second half (candidates
``origin="repair"``, each attempt cached in the store).

    nohup python scripts/sample_store.py --benchmark mbpp-sanitized --limit 30 --n 20 --store runs/mbpp.db &

On the store of a `codesift bench` run, problems that already hold n samples are not re-sampled, so
``--repair --no-tests`` adds the repair pass to a benchmark run.

``--top-k`` is the policy's top-k cut before top-p (0 turns it off; see `Policy.top_k`).
"""

from __future__ import annotations

import argparse
import sys
import time

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import resolve_model
from codesift.bench.tasks import Task, load_tasks, select
from codesift.execute.cached import run_all
from codesift.extract import group
from codesift.pipeline import filter_groups
from codesift.records import Candidate, Policy, Test
from codesift.repair import repair
from codesift.sample import sample
from codesift.select import write_tests
from codesift.select.written import tests_grammar, written_key
from codesift.store import Store


def written_tests(task: Task, store: Store, backend: EmbeddedBackend, policy: Policy) -> tuple[Test, ...]:
    seeds = (0, 1)
    policy = policy.model_copy(update={"grammar": tests_grammar(task.problem)})  # as write_tests asks, so the key says
    key = written_key(task.problem, policy, seeds)
    written = store.written_tests(task.id, key)
    if written is None:
        written = write_tests(task.problem, backend, policy, seeds=seeds)
        store.add_written_tests(task.id, key, written)
    return written.tests


def repaired(task: Task, cands: list[Candidate], store: Store, backend: EmbeddedBackend, policy: Policy) -> None:
    from codesift.execute import make_executor

    if store.repairs(task.id) is not None:
        return
    half, rest = cands[: len(cands) // 2], cands[len(cands) // 2 :]
    problem = task.problem
    budget = sum(c.prompt_tokens + c.completion_tokens for c in rest)
    with make_executor(workers=1) as ex:
        groups = group(half)
        _, failures = filter_groups(problem, groups, run_all(groups, problem.examples, ex, store, problem.entry_point))
        repair(
            problem, failures, lambda p: backend, policy, budget_tokens=budget, seed=10_000, executor=ex, store=store
        )
    store.mark_repaired(task.id)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--benchmark", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--problems", default=None, help="only these ids, comma-separated (as `codesift bench`)")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--top-k", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1, help="1 holds up better than 2 on a crowded 2-core box")
    ap.add_argument("--no-tests", action="store_true", help="skip model-written tests")
    ap.add_argument("--repair", action="store_true")
    args = ap.parse_args()
    policy = Policy(
        name=f"t{args.temperature}",
        model=args.model,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        top_k=args.top_k,
    )
    backend = EmbeddedBackend(resolve_model(args.model), threads=args.threads)
    tasks = select(load_tasks(args.benchmark), args.problems, limit=args.limit)
    started = time.perf_counter()
    with Store(args.store) as store:
        for change in store.check_settings("sample-store", policy.model_dump(mode="json"), keep=False):
            print(f"policy changed since the last run on this store: {change}", file=sys.stderr)
        for i, task in enumerate(tasks, 1):
            stored = [c for c in store.candidates(task.id) if c.origin == "sample"]
            cands = (
                stored[: args.n]
                if len(stored) >= args.n
                else sample(task.problem, [policy], args.n, seed=0, store=store, backend_for=lambda p: backend)
            )
            # 8 asserts fit in 256 tokens; a cap stops a model that keeps writing from costing 2x.
            writer = policy.model_copy(update={"max_tokens": 256})
            tests = () if args.no_tests else written_tests(task, store, backend, writer)
            if args.repair:
                repaired(task, cands, store, backend, policy)
            tokens = sum(c.completion_tokens for c in cands)
            print(
                f"[{i}/{len(tasks)}] {task.id}: {len(cands)} samples, {tokens} tokens, {len(tests)} tests, "
                f"{time.perf_counter() - started:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    backend.close()


if __name__ == "__main__":
    main()
