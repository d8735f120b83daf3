"""A Backend that replays recorded real completions of the embedded model (scripts/record_completions.py,
scripts/record_pipeline_calls.py).

It answers only prompts it has a recording for; anything else is an error, never an invented completion.
Every call is logged (prompt and seeds), so tests can count what each stage asked the model for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from codesift.records import Completion, Policy, Prompt

RECORDING = Path(__file__).parent / "data" / "completions.json"


class ReplayBackend:
    def __init__(self, *paths: Path) -> None:
        self._by_prompt: dict[Prompt, dict[int, Completion]] = {}
        for path in paths or (RECORDING,):
            data = json.loads(path.read_text())
            self.model = data["model"]
            for record in data["records"]:
                prompt = Prompt.model_validate(record["prompt"])
                self.add(prompt, [Completion.model_validate(c) for c in record["completions"]])
        self.log: list[tuple[Prompt, tuple[int, ...]]] = []

    @property
    def calls(self) -> int:
        return len(self.log)

    def add(self, prompt: Prompt, completions: Sequence[Completion]) -> None:
        self._by_prompt.setdefault(prompt, {}).update({c.seed: c for c in completions})

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        recorded = self._by_prompt.get(prompt)
        if recorded is None:
            raise KeyError("no recording for this prompt; re-run scripts/record_completions.py")
        self.log.append((prompt, tuple(seeds)))
        return [recorded[s] for s in seeds]
