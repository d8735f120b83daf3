"""Coder-Reviewer reranking (Zhang et al. 2023) on a bank replay: measured in session 14, not adopted.

The reviewer score of a program is how likely the model finds the problem's description *after* the program
(its docstrings stripped): log p(description | program), summed over the description's tokens. The description
is the same for every candidate of a problem, so sums compare directly. A rule re-ranks the default ranking's
first ``k`` clusters by ``score + w · reviewer``. Collect rows (one model job; the executions come from the
replay cache), then print every rule of the grid with its paired difference to the default:

    python bench/coder_reviewer.py collect --benchmark humaneval --bank BANK --cache runs/abl/he.sqlite \
        --model qwen2.5-coder-0.5b --out ROWS.jsonl
    python bench/coder_reviewer.py rules ROWS.jsonl [ROWS.jsonl ...]

Correctness (hidden tests) is recorded per cluster for the table only; no rule reads it.
"""

from __future__ import annotations

import argparse
import ast
import json
from collections.abc import Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

import llama_cpp
import numpy as np
from selection_ablation import _correct, _pool, _re_extracted, _written

from codesift.backends.models import resolve_model
from codesift.bench.bank import bank_store
from codesift.bench.metrics import bootstrap, paired_difference
from codesift.bench.tasks import load_tasks
from codesift.execute import make_executor
from codesift.extract import group
from codesift.records import Problem
from codesift.select import SelectConfig, select
from codesift.store import Store

TOP = 6  # clusters scored per problem
GRID = [("review only", 0.0, k) for k in (2, 3, 6)] + [
    (f"score + {w} x review", w, k) for k in (2, 3, 6) for w in (0.1, 0.2, 0.3, 0.5, 1.0)
]
REGISTERED = ("score + 0.3 x review", 0.3, 2)  # chosen on HumanEval before any other set was replayed


def strip_docstrings(code: str) -> str:
    """The program without docstrings, so the description cannot simply be copied from it."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def description(problem: Problem) -> str:
    """The entry point's docstring, else the module docstring (MBPP), else the statement (stdio)."""
    try:
        tree = ast.parse(problem.prompt)
    except SyntaxError:
        return problem.prompt.strip()
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == problem.entry_point]
    for node in [*functions, tree]:
        if doc := ast.get_docstring(node):
            return doc
    return problem.prompt.strip()


def reviewer_score(llm: llama_cpp.Llama, problem: Problem, code: str) -> float:
    what = f"the function `{problem.entry_point}`" if problem.entry_point else "the program"
    context = llm.tokenize(
        f'{strip_docstrings(code)}\n\n# A description of {what} above:\n"""\n'.encode(), add_bos=False
    )
    target = llm.tokenize(f'{description(problem)}\n"""'.encode(), add_bos=False)
    if len(target) >= llm.n_ctx() - 8:
        raise SystemExit(f"{problem.id}: the description alone ({len(target)} tokens) does not fit the context")
    tokens = (context + target)[-(llm.n_ctx() - 8) :]
    start = len(tokens) - len(target)
    llm.reset()
    llm.eval(tokens)
    logits = np.asarray(llm.scores[start - 1 : len(tokens) - 1], dtype=np.float64)
    peak = logits.max(axis=1)
    log_norm = np.log(np.exp(logits - peak[:, None]).sum(axis=1)) + peak
    return float((logits[np.arange(len(target)), target] - log_norm).sum())


def collect(args: argparse.Namespace) -> None:
    tasks = {t.id: t for t in load_tasks(args.benchmark, args.data)}
    llm = llama_cpp.Llama(str(resolve_model(args.model)), n_ctx=3072, logits_all=True, verbose=False)
    done = {json.loads(line)["id"] for line in args.out.read_text().splitlines()} if args.out.exists() else set()
    with (
        make_executor(workers=1) as ex,
        bank_store(args.bank, list(tasks.values()), Store(args.cache)) as store,
        args.out.open("a") as out,
    ):
        for pid, task in tasks.items():
            samples = [c for c in store.candidates(pid) if c.origin == "sample"][: args.n]
            if pid in done or len(samples) < args.n:
                continue
            groups = group(_re_extracted(task, samples, "plain"))
            correct = _correct(task, groups, ex, store)
            pool = _pool(task, groups, ex, store)[0]
            sel = select(
                task.problem, pool, executor=ex, config=SelectConfig(), model_tests=_written(task, store), cache=store
            )
            scored = sel.clusters[:TOP] if len(sel.clusters) > 1 else ()
            clusters = [
                {
                    "score": c.score,
                    "review": reviewer_score(llm, task.problem, c.groups[0].code),
                    "correct": correct[c.groups[0].program],
                }
                for c in scored
            ]
            first = sel.submissions[0].program if sel.submissions else None
            row = {
                "id": pid,
                "default": bool(first and correct[first]),
                "oracle": any(correct.values()),
                "clusters": clusters,
            }
            out.write(json.dumps(row) + "\n")
            out.flush()


def chosen(row: dict[str, Any], w: float, k: int) -> float:
    """The rule's first submission: the default's unless two or more clusters were scored."""
    top = row["clusters"][:k]
    if not top:
        return float(row["default"])
    key = (lambda c: c["review"]) if w == 0 else (lambda c: c["score"] + w * c["review"])
    return float(max(top, key=key)["correct"])  # max keeps the earlier (default) cluster on ties


def rules(paths: Sequence[Path]) -> None:
    for path in paths:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        default = [float(r["default"]) for r in rows]
        print(
            f"\n{path.name}: {len(rows)} problems, {sum(bool(r['clusters']) for r in rows)} with 2+ clusters, "
            f"oracle {100 * fmean(r['oracle'] for r in rows):.1f}"
        )
        print("| rule | k | pass@1 [95% CI] | vs default [95% CI] | won | lost |\n|---|---|---|---|---|---|")
        print(f"| default | - | {bootstrap(default)} | - | - | - |")
        for name, w, k in GRID:
            got = [chosen(r, w, k) for r in rows]
            mark = " (registered)" if (name, w, k) == REGISTERED else ""
            won = sum(a > b for a, b in zip(got, default, strict=True))
            lost = sum(a < b for a, b in zip(got, default, strict=True))
            print(f"| {name}{mark} | {k} | {bootstrap(got)} | {paired_difference(got, default)} | {won} | {lost} |")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="score the first clusters of every problem of a bank")
    c.add_argument("--benchmark", required=True)
    c.add_argument("--bank", action="append", required=True, type=Path)
    c.add_argument("--cache", required=True, help="SQLite execution cache of the bank's replays")
    c.add_argument("--model", required=True, help="the reviewer (the sampling model in session 14)")
    c.add_argument("--out", required=True, type=Path)
    c.add_argument("--n", type=int, default=20)
    c.add_argument("--data", default=None)
    r = sub.add_parser("rules", help="print the rule grid for collected rows")
    r.add_argument("rows", nargs="+", type=Path)
    args = ap.parse_args(argv)
    collect(args) if args.command == "collect" else rules(args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
