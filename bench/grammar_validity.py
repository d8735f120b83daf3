"""Validity with and without grammars on real benchmark prompts: model-written tests and sampled code.

Usage: python bench/grammar_validity.py [--kind tests|code] [--part 0/3] [--model M] [--out FILE]
       python bench/grammar_validity.py --table [--out FILE]

A fixed set of 100 problems (every 3rd HumanEval problem from 0 and every 8th MBPP-sanitized problem, 50 each,
alternating so that a run cut short covers both) is sampled with the same seeds with the grammar off and on:

- ``tests``: the model-written tests prompt (`tests_prompt`) under `tests_grammar`. Per output: well-formed
  (every line is a test `parse_asserts` keeps), tests parsed, and tests the benchmark's reference solution
  passes in the sandbox (correct tests: the reference is read by this measurement only, never by codesift).
- ``code``: the solve prompt under the ``python`` grammar. Per output: the program (stub + completion up to
  the closing fence) parses; a sample cut off by the token budget counts as a syntax error.

Results go to a JSONL file one problem at a time, so a run split into parts (``--part i/n``, each under
its own model-lock turn) resumes; ``--table`` prints the summary with 95% bootstrap intervals over problems.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.bench.metrics import bootstrap
from codesift.bench.tasks import Task, load_tasks
from codesift.execute.executor import Executor, make_executor
from codesift.grammars import resolve
from codesift.prompt import build_prompt
from codesift.records import Policy
from codesift.select.written import parse_asserts, tests_grammar, tests_prompt

OUT = "docs/runs/grammar_validity.jsonl"


def problems() -> list[Task]:
    pairs = zip(load_tasks("humaneval")[::3][:50], load_tasks("mbpp-sanitized")[::8][:50], strict=True)
    return [task for pair in pairs for task in pair]


def measure(
    task: Task, kind: str, grammar: bool, backend: EmbeddedBackend, executor: Executor, model: str, samples: int
) -> list[dict]:
    problem = task.problem
    if kind == "tests":
        prompt, spec, max_tokens = tests_prompt(problem), tests_grammar(problem), 256
    else:
        prompt, spec, max_tokens = build_prompt(problem), "python", 384
    check = resolve(spec).check
    assert check is not None
    policy = Policy(model=model, temperature=0.8, max_tokens=max_tokens, grammar=spec if grammar else None)
    started = time.perf_counter()
    done = backend.complete(prompt, list(range(samples)), policy)
    seconds = time.perf_counter() - started
    rows = []
    for c in done:
        row = {"problem": problem.id, "kind": kind, "grammar": grammar, "seed": c.seed, "tokens": c.completion_tokens,
               "seconds": seconds / len(done), "finish": c.finish_reason}  # fmt: skip
        if kind == "tests":
            tests = parse_asserts(prompt.prefill + c.text, problem.entry_point or "")
            row["well_formed"] = check(prompt.prefill + c.text)
            row["parsed"] = len(tests)
            runs = executor.run(task.reference, tests, entry_point=problem.entry_point) if task.reference else []
            row["correct"] = sum(r.status == "passed" for r in runs)
        else:
            row["well_formed"] = check(prompt.prefill + c.text)  # the code up to the closing fence parses
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    done = set()
    if out.exists():
        done = {(r["problem"], r["kind"], r["grammar"]) for r in map(json.loads, out.read_text().splitlines())}
    index, parts = (int(x) for x in args.part.split("/"))
    chosen = problems()[index::parts]
    backend = EmbeddedBackend(resolve_model(args.model), batch=args.samples)
    with out.open("a") as sink, make_executor(workers=1) as executor:
        for task in chosen:
            for grammar in (False, True):
                if (task.id, args.kind, grammar) in done:
                    continue
                for row in measure(task, args.kind, grammar, backend, executor, args.model, args.samples):
                    sink.write(json.dumps({"model": args.model, **row}) + "\n")
                sink.flush()
    backend.close()


COLUMNS = {  # column -> (row key, shown as a percentage, tests kind only)
    "well-formed": ("well_formed", True, False),
    "cut by the budget": ("cut", True, False),
    "tests parsed": ("parsed", False, True),
    "tests correct": ("correct", False, True),
    "share correct": ("share", True, True),
}


def _per_problem(rows: list[dict], key: str) -> dict[str, float]:
    by_problem: dict[str, list[float]] = {}
    for r in rows:
        by_problem.setdefault(r["problem"], []).append(float(r[key]))
    return {p: statistics.fmean(v) for p, v in by_problem.items()}


def _cell(values: list[float], percent: bool, signed: bool = False) -> str:
    i = bootstrap(values)
    fmt = ("{:+.0%}" if signed else "{:.0%}") if percent else ("{:+.2f}" if signed else "{:.2f}")
    return f"{fmt.format(i.mean)} [{fmt.format(i.low)}, {fmt.format(i.high)}]"


def table(args: argparse.Namespace) -> None:
    """Off and on over the problems measured both ways, then the paired difference on − off per problem."""
    rows = [json.loads(line) for line in Path(args.out).read_text().splitlines()]
    for r in rows:
        r["cut"] = r["finish"] == "length"
        r["share"] = r.get("correct", 0) / r["parsed"] if r.get("parsed") else 0.0
    out = Table(title=f"grammar validity ({Path(args.out).name}); mean per output, [95% bootstrap over problems]")
    for column in ("kind", "grammar", "problems", "outputs", *COLUMNS, "tokens", "ms/token"):
        out.add_column(column, justify="right")
    for kind in ("tests", "code"):
        mine = {g: [r for r in rows if r["kind"] == kind and r["grammar"] == g] for g in (False, True)}
        both = {r["problem"] for r in mine[False]} & {r["problem"] for r in mine[True]}
        if not both:
            continue
        shown = {c: spec for c, spec in COLUMNS.items() if kind == "tests" or not spec[2]}
        kept = {g: [r for r in mine[g] if r["problem"] in both] for g in mine}
        means = {g: {c: _per_problem(kept[g], key) for c, (key, _, _) in shown.items()} for g in kept}

        def cells(values: dict[str, list[float]], signed: bool = False, shown: dict = shown) -> list[str]:
            return [_cell(values[c], COLUMNS[c][1], signed) if c in shown else "" for c in COLUMNS]

        for g in (False, True):
            tokens = sum(r["tokens"] for r in kept[g])
            ms = 1000 * sum(r["seconds"] for r in kept[g]) / max(tokens, 1)
            values = {c: list(means[g][c].values()) for c in shown}
            out.add_row(kind, "on" if g else "off", str(len(both)), str(len(kept[g])), *cells(values),
                        f"{tokens / len(kept[g]):.0f}", f"{ms:.1f}")  # fmt: skip
        paired = {c: [means[True][c][p] - means[False][c][p] for p in both] for c in shown}
        out.add_row(kind, "on − off", str(len(both)), "", *cells(paired, signed=True), "", "")
    Console(width=220).print(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=FAST_MODEL)
    parser.add_argument("--kind", choices=("tests", "code"), default="tests")
    parser.add_argument("--part", default="0/1")
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    table(args) if args.table else run(args)


if __name__ == "__main__":
    main()
