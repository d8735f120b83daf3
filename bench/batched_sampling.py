"""Batched vs one-at-a-time sampling with the embedded model: total tokens per second, side by side.

Usage: python bench/batched_sampling.py [--model qwen2.5-coder-0.5b] [--sequences 16] [--against 1] [--rounds 3]

`--against B`: the mode compared draws the same samples in batches of B (1: one at a time; `--sequences 20
--against 16` is n = 20 drawn as 16 + 4, what `sample` did until session 12, against one batch of 20).

Both modes draw the same seeds from the same prompt in the same process, interleaved round by round,
so machine noise hits both; the table shows medians, the last lines the speed-up of each round and
their median. Batched decoding may change a sample's text slightly (llama.cpp's kernels differ by batch shape),
which the script reports as `same_samples_both_modes`.
"""

from __future__ import annotations

import argparse
import statistics
import time

from rich.console import Console
from rich.table import Table

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.problems import load_problem
from codesift.prompt import build_prompt
from codesift.records import Policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=FAST_MODEL)
    parser.add_argument("--sequences", type=int, default=16)
    parser.add_argument("--against", type=int, default=1, help="batch size of the mode compared")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--problem", default="examples/running_max.py")
    args = parser.parse_args()

    backend = EmbeddedBackend(resolve_model(args.model), batch=args.sequences)
    prompt = build_prompt(load_problem(args.problem))
    policy = Policy(model=args.model, temperature=0.8, max_tokens=args.max_tokens)
    seeds = list(range(args.sequences))
    rates: dict[int, list[float]] = {args.against: [], args.sequences: []}
    same = True
    for _ in range(args.rounds):
        texts = {}
        for batch in rates:
            backend.batch = batch
            started = time.perf_counter()
            completions = backend.complete(prompt, seeds, policy)
            seconds = time.perf_counter() - started
            rates[batch].append(sum(c.completion_tokens for c in completions) / seconds)
            texts[batch] = [c.text for c in completions]
            print(f"round {len(rates[batch])}, batch {batch}: {rates[batch][-1]:.1f} tokens/s", flush=True)
        same &= texts[args.against] == texts[args.sequences]

    table = Table(title=f"{args.model}: {args.sequences} samples of one prompt, {args.rounds} rounds")
    table.add_column("mode")
    table.add_column("median tokens/s", justify="right")
    table.add_column("all rounds", justify="right")
    for batch, values in rates.items():
        mode = "one at a time" if batch == 1 else f"batches of {batch}"
        table.add_row(mode, f"{statistics.median(values):.1f}", " ".join(f"{v:.1f}" for v in values))
    Console().print(table)
    paired = [b / a for a, b in zip(rates[args.against], rates[args.sequences], strict=True)]
    print("per-round speed-up: " + " ".join(f"{r:.2f}" for r in paired))
    print(f"same_samples_both_modes={same}")
    print(f"batched_speedup={statistics.median(paired):.2f}")


if __name__ == "__main__":
    main()
