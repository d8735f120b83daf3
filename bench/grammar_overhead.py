"""Grammar-constrained decoding: time per token unconstrained, check-first (codesift) and naive masking.

Usage: python bench/grammar_overhead.py [--model qwen2.5-coder-0.5b] [--batches 1,16] [--rounds 3]
                                        [--grammars asserts,answer,args,json,python] [--max-tokens 32]
       python bench/grammar_overhead.py --table        (the table of every row measured so far)

For every grammar, one realistic prompt is sampled with the same seeds in three modes, interleaved round
by round so machine noise hits all three: no grammar, the check-first draw (`ConstrainedDraw`, mode
"fast") and full-vocabulary masking before every token (mode "naive"). Time per token is the decode
time (the wall time of `complete` minus the prompt evaluation, measured alone with one token) over the
tokens drawn; the table shows medians over rounds and each mode's ratio to the unconstrained time, plus
the share of tokens the check-first step rejected (how often the slower steps ran). Rows are appended to
``--out`` as they finish, so a measurement split over several model-lock turns loses nothing. Run it under
the model lock with one thread:

    flock /work/locks/model env CODESIFT_THREADS=1 python bench/grammar_overhead.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.grammars import answer_grammar, asserts_grammar
from codesift.grammars.engine import TOKEN_DATA, GrammarState, Matcher, compile_grammar, token_array
from codesift.grammars.structured import args_grammar, json_grammar
from codesift.problems import load_problem
from codesift.prompt import build_prompt
from codesift.records import Policy, Prompt
from codesift.select.written import tests_grammar, tests_prompt

PROBLEM = "examples/running_max.py"
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "arguments": {"type": "array", "items": {"type": "string"}}},
    "required": ["name", "arguments"],
}


def _chat(user: str) -> Prompt:
    return Prompt(messages=(("user", user),), stop=("<|im_end|>",))


def workloads() -> dict[str, Callable[[], tuple[Prompt, str]]]:
    """Each grammar with the prompt codesift (or its service) would send it with."""
    problem = load_problem(PROBLEM)
    stub = problem.prompt
    return {
        "asserts": lambda: (tests_prompt(problem), tests_grammar(problem)),
        "answer": lambda: (
            _chat(
                "A table of passengers has columns age and fare. The mean age is 29.7 and there are 891 rows. "
                "Answer in exactly these lines, nothing else:\n@mean_age[value]\n@row_count[value]"
            ),
            answer_grammar(["mean_age", "row_count"]),
        ),
        "args": lambda: (
            _chat(f"```python\n{stub}```\nWrite only the arguments of one unusual call of running_max."),
            args_grammar(),
        ),
        "json": lambda: (
            _chat(f"```python\n{stub}```\nDescribe this function as a JSON object with keys name and arguments."),
            json_grammar(SCHEMA),
        ),
        "python": lambda: (build_prompt(problem), "python"),
    }


def measure(backend: EmbeddedBackend, name: str, batch: int, args: argparse.Namespace) -> dict[str, object]:
    """One grammar at one batch size: medians over rounds of ms per token in the three modes."""
    prompt, spec = workloads()[name]()
    seeds = list(range(batch))
    base = Policy(model=args.model, temperature=args.temperature, max_tokens=args.max_tokens)
    backend.complete(prompt, seeds[:1], base.model_copy(update={"max_tokens": 1}))  # warm up
    per_token: dict[str, list[float]] = {"none": [], "fast": [], "naive": []}
    rejected: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        backend.complete(prompt, seeds, base.model_copy(update={"max_tokens": 1}))
        prompt_seconds = time.perf_counter() - started
        for mode in ("none", "fast", "naive"):
            backend.grammar_mode = "naive" if mode == "naive" else "fast"
            policy = base if mode == "none" else base.model_copy(update={"grammar": spec})
            started = time.perf_counter()
            done = backend.complete(prompt, seeds, policy)
            seconds = time.perf_counter() - started - prompt_seconds
            tokens = sum(c.completion_tokens for c in done) or 1
            per_token[mode].append(1000 * seconds / tokens)
            if mode == "fast" and backend.last_draw is not None:
                rejected.append(backend.last_draw.rejected / tokens)
    med = {m: statistics.median(v) for m, v in per_token.items()}
    return {"model": args.model, "grammar": name, "batch": batch, "rounds": args.rounds,
            "max_tokens": args.max_tokens, "ms_per_token": med, "rejected": statistics.median(rejected)}  # fmt: skip


# Real texts for the engine-only measurement: the 0.5B model's greedy tests for `triple` (cut at its last whole
# line) and its recorded code completions (tests/data/completions.json); the short structured ones are typical.
ENGINE_TEXTS = {
    "asserts": (
        lambda: asserts_grammar("triple"),
        [
            "2) == 6\nassert triple(0) == 0\nassert triple(-1) == -3\nassert triple(10) == 30\n"
            "assert triple(-10) == -30\nassert triple(0.5) == 1.5\nassert triple(-0.5) == -1.5\n```"
        ],
    ),
    "answer": (lambda: answer_grammar(["mean_age", "row_count"]), ["@mean_age[29.7]\n@row_count[891]"]),
    "args": (args_grammar, ["[5, -1, 0, 5, 3]", "[], [1]"]),
    "json": (lambda: json_grammar(SCHEMA), ['{"name": "running_max", "arguments": ["numbers"]}']),
    "python": (
        lambda: "python",
        [
            c["text"] + "\n```"
            for r in json.loads(Path("tests/data/completions.json").read_text())["records"][1:2]
            for c in r["completions"]
        ],
    ),
}


def engine_only(args: argparse.Namespace) -> None:
    """Grammar work per token without the model (vocabulary only): the check-first step on the token the
    model drew (`allows` + `accept`) against masking the whole vocabulary at the same grammar state."""
    matcher = Matcher(resolve_model(args.model))
    table = Table(title=f"grammar work per token, {args.model} vocabulary ({matcher.n_vocab} tokens), median ms")
    for column in ("grammar", "texts", "tokens", "check-first", "full mask", "full / check"):
        table.add_column(column, justify="right")
    for name in args.grammars.split(","):
        make, texts = ENGINE_TEXTS[name]
        spec = make()
        check_ms, mask_ms, count = [], [], 0
        for text in texts:
            state = GrammarState(compile_grammar(matcher.vocab, spec))
            full = np.zeros(matcher.n_vocab, TOKEN_DATA)
            for token in matcher.tokens(text):
                full["id"], full["logit"] = np.arange(matcher.n_vocab), 0.0
                started = time.perf_counter()
                state.mask(token_array(full))
                mask_ms.append(1000 * (time.perf_counter() - started))
                started = time.perf_counter()
                assert state.allows(token), (name, text)
                state.accept(token)
                check_ms.append(1000 * (time.perf_counter() - started))
                count += 1
            state.free()
        check, mask = statistics.median(check_ms), statistics.median(mask_ms)
        table.add_row(name, str(len(texts)), str(count), f"{check:.3f}", f"{mask:.1f}", f"{mask / check:.0f}×")
    matcher.close()
    Console(width=200).print(table)


def show(rows: list[dict]) -> None:
    table = Table(title="ms per token (decode only), median of rounds; × = ratio to no grammar")
    for column in ("model", "grammar", "batch", "none", "check-first", "naive", "check-first ×", "naive ×",
                   "check-first rejected"):  # fmt: skip
        table.add_column(column, justify="right")
    for r in rows:
        ms = r["ms_per_token"]
        table.add_row(
            r["model"], r["grammar"], str(r["batch"]), f"{ms['none']:.1f}", f"{ms['fast']:.1f}", f"{ms['naive']:.1f}",
            f"{ms['fast'] / ms['none']:.2f}", f"{ms['naive'] / ms['none']:.2f}", f"{r['rejected']:.1%}",
        )  # fmt: skip
    Console(width=200).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=FAST_MODEL)
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--grammars", default="asserts,answer,args,json,python")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--out", default="docs/runs/grammar_overhead.jsonl", help="rows are appended as they finish")
    parser.add_argument("--table", action="store_true", help="only print the table of the rows in --out")
    parser.add_argument("--engine-only", action="store_true", help="grammar work per token, vocabulary only")
    args = parser.parse_args()
    if args.engine_only:
        engine_only(args)
        return

    out = Path(args.out)
    if not args.table:
        batches = [int(b) for b in args.batches.split(",")]
        backend = EmbeddedBackend(resolve_model(args.model), batch=max(batches))
        for name in args.grammars.split(","):
            for batch in batches:
                row = measure(backend, name, batch, args)
                with out.open("a") as sink:
                    sink.write(json.dumps(row) + "\n")
                Console(stderr=True).print(f"[dim]{row}[/dim]")
        backend.close()
    show([json.loads(line) for line in out.read_text().splitlines()])


if __name__ == "__main__":
    main()
