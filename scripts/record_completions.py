"""Record real completions of the embedded model for the shipped examples (replayed by fast tests).

Usage: python scripts/record_completions.py [--model M] [--samples 8] [--examples F ...] [--variants V ...] [-o FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.problems import load_problem
from codesift.prompt import VARIANTS, build_prompt
from codesift.records import Policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=FAST_MODEL)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("-o", "--output", default="tests/data/completions.json")
    parser.add_argument("--examples", nargs="*", default=["digit_sum.py", "running_max.py", "sum_of_pairs.md"])
    parser.add_argument("--variants", nargs="*", default=["plain"], choices=VARIANTS)
    args = parser.parse_args()
    backend = EmbeddedBackend(resolve_model(args.model))
    policy = Policy(model=args.model, temperature=0.8, max_tokens=384)
    records = []
    for name in args.examples:
        path = Path("examples") / name
        problem = load_problem(path)
        for variant in args.variants:
            prompt = build_prompt(problem, variant)
            completions = backend.complete(prompt, list(range(args.samples)), policy)
            records.append(
                {
                    "example": path.name,
                    "prompt": prompt.model_dump(mode="json"),
                    "policy": policy.model_dump(mode="json"),
                    "completions": [c.model_dump(mode="json") for c in completions],
                }
            )
            print(path.name, variant, sum(c.completion_tokens for c in completions), "tokens", flush=True)
    Path(args.output).write_text(json.dumps({"model": args.model, "records": records}, indent=1))


if __name__ == "__main__":
    main()
