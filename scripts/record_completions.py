"""Record real completions of the embedded model for the shipped examples (replayed by fast tests).

Usage: python scripts/record_completions.py [--model qwen2.5-coder-0.5b] [--samples 8] [-o tests/data/completions.json]
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
    args = parser.parse_args()
    backend = EmbeddedBackend(resolve_model(args.model))
    policy = Policy(model=args.model, temperature=0.8, max_tokens=384)
    records = []
    for path in sorted(Path("examples").iterdir()):
        problem = load_problem(path)
        for variant in VARIANTS:
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
