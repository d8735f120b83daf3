"""Record real completions of the embedded model for `ask` on tests/data/ask_sales.csv (replayed by fast tests).

Every backend call the pipeline makes (the samples and each retry with its error) is recorded with its prompt,
so tests/test_ask_pipeline.py replays exactly what the model wrote.

Usage (under the model lock): python scripts/record_ask.py [--model M] [--samples 8] [-o FILE]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from codesift.ask import AskConfig, ask, load_table, make_question
from codesift.ask.program import tool_executor
from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.records import Completion, Policy, Prompt
from codesift.store import Store

DATA = Path("tests/data/ask_sales.csv")
QUESTION = "Which region had the highest mean order value in 2023?"


class Recording:
    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend = backend
        self.calls: dict[Prompt, dict[int, Completion]] = {}

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        out = self.backend.complete(prompt, seeds, policy)
        self.calls.setdefault(prompt, {}).update({c.seed: c for c in out})
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=FAST_MODEL)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("-o", "--output", default="tests/data/ask_completions.json")
    args = parser.parse_args()
    recording = Recording(EmbeddedBackend(resolve_model(args.model)))
    config = AskConfig(policies=(Policy(name="recorded", model=args.model, max_tokens=384),), samples=args.samples)
    table = load_table(DATA)
    with tool_executor([table.path]) as ex:
        answer, _ = ask(
            table, make_question(QUESTION), config, executor=ex, store=Store(), backend_for=lambda p: recording
        )
    print(answer.model_dump_json(indent=1, exclude={"figures"}))
    records = [
        {"prompt": p.model_dump(mode="json"), "completions": [c.model_dump(mode="json") for c in cs.values()]}
        for p, cs in recording.calls.items()
    ]
    Path(args.output).write_text(json.dumps({"model": args.model, "records": records}, indent=1))


if __name__ == "__main__":
    main()
