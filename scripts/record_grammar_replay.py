"""Record real, unconstrained model-written tests (the 0.5B model, examples/running_max.py), replayed by the
fast test of the HTTP backend's validate-and-resample fallback (tests/test_grammar_http.py).

Usage: python scripts/record_grammar_replay.py [--model M] [--seeds 8] [-o tests/data/grammar_replay.json]

Every seed s is recorded with its resample seeds s + k * RESEED (k = 1, 2), so the replaying server can
answer exactly what a real server would for each request of the fallback.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.backends.openai_http import RESEED
from codesift.problems import load_problem
from codesift.records import Policy
from codesift.select.written import tests_prompt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=FAST_MODEL)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("-o", "--output", default="tests/data/grammar_replay.json")
    args = parser.parse_args()
    backend = EmbeddedBackend(resolve_model(args.model))
    prompt = tests_prompt(load_problem("examples/running_max.py"))
    seeds = [s + k * RESEED for s in range(args.seeds) for k in range(3)]
    done = backend.complete(prompt, seeds, Policy(model=args.model, temperature=1.0, max_tokens=128))
    records = {str(c.seed): {"text": c.text, "completion_tokens": c.completion_tokens} for c in done}
    data = {"model": args.model, "prompt": prompt.model_dump(mode="json"), "records": records}
    Path(args.output).write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
