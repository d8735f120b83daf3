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


def table(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in Path(args.out).read_text().splitlines()]
    out = Table(title=f"grammar validity ({Path(args.out).name}); mean per output, [95% bootstrap over problems]")
    for column in ("kind", "grammar", "problems", "outputs", "well-formed", "tests parsed", "tests correct",
                   "tokens", "ms/token"):  # fmt: skip
        out.add_column(column, justify="right")
    for kind in ("tests", "code"):
        for grammar in (False, True):
            mine = [r for r in rows if r["kind"] == kind and r["grammar"] == grammar]
            if not mine:
                continue
            by_problem: dict[str, list[dict]] = {}
            for r in mine:
                by_problem.setdefault(r["problem"], []).append(r)

            def cell(key: str, by_problem: dict[str, list[dict]] = by_problem, percent: bool = False) -> str:
                values = [statistics.fmean(float(r[key]) for r in rs) for rs in by_problem.values()]
                interval = bootstrap(values)
                mean, low, high = interval.mean, interval.low, interval.high
                if percent:
                    return f"{mean:.0%} [{low:.0%}, {high:.0%}]"
                return f"{mean:.2f} [{low:.2f}, {high:.2f}]"

            tokens = sum(r["tokens"] for r in mine)
            out.add_row(
                kind, "on" if grammar else "off", str(len(by_problem)), str(len(mine)),
                cell("well_formed", percent=True),
                cell("parsed") if kind == "tests" else "", cell("correct") if kind == "tests" else "",
                f"{tokens / len(mine):.0f}", f"{1000 * sum(r['seconds'] for r in mine) / max(tokens, 1):.1f}",
            )  # fmt: skip
    Console(width=200).print(out)


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
