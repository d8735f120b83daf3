"""Record real completions of the embedded model for the `ask` answer formatter (replayed by fast tests).

Three parts, each saved as soon as it is done (the model queue gives a job 10 minutes):

1. `ask` on tests/data/ask_sales.csv with the question of scripts/record_ask.py, formatter on: the samples and
   retries are answered from tests/data/ask_completions.json (recorded before the formatter existed, same prompts),
   only the formatter's calls reach the model; every call is written back to that file.
2. The formatter alone on the output of a few hand-written programs (real runs in the tool sandbox, each printing
   its result in another shape than @name[value]): tests/data/ask_format_completions.json, with each case's question,
   program and stdout, so tests rebuild the exact prompts.
3. `ask` on a two-name question (8 samples, no retries), formatter on, into the same file, if time is left.

Usage (in the model queue): python scripts/record_ask_format.py [--model M] [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from record_ask import DATA, QUESTION, Recording

from codesift.ask import AskConfig, ask, load_table, make_question
from codesift.ask.formatter import format_attempt
from codesift.ask.pipeline import task_problem
from codesift.ask.program import run_candidates, tool_executor
from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, resolve_model
from codesift.records import Candidate, Completion, Policy, Prompt
from codesift.store import Store

ASK = Path("tests/data/ask_completions.json")
FORMAT = Path("tests/data/ask_format_completions.json")
READ = "import pandas as pd\n\ndf = pd.read_csv('ask_sales.csv')\n"
Y23 = "df[df['year'] == 2023]['order_value']"
MEAN_MEDIAN = ("What are the mean and the median order value in 2023?", "Round both to 2 decimal places.",
               "@mean_value[mean] @median_value[median]")  # fmt: skip
# (question, constraints, format, program): programs that run but print their result in another shape.
CASES = [
    ("What is the mean order value in 2023?", "Round to 2 decimal places.", "@mean_value[mean]",
     f"{READ}print({Y23}.mean())\n"),
    ("How many orders were placed in 2023?", "", "@order_count[count]",
     f"{READ}print('Number of orders in 2023:', len({Y23}))\n"),
    ("Which region had the highest mean order value in 2023?", "", "@region[name]",
     f"{READ}print(df[df['year'] == 2023].groupby('region')['order_value'].mean())\n"),
    (*MEAN_MEDIAN, f"{READ}print('mean', {Y23}.mean())\nprint('median', {Y23}.median())\n"),
    (*MEAN_MEDIAN,
     f"{READ}mean = {Y23}.mean()\nprint(f'@mean_value[{{mean:.2f}}]')\nprint('median:', {Y23}.median())\n"),
    ("What is the total order value in 2023?", "Round to 2 decimal places.", "@total[value]",
     f"{READ}print(df.columns.tolist())\n"),
]  # fmt: skip


class ReplayFirst(Recording):
    """Answers prompts recorded earlier from the recording, calls the model only for the others; logs both."""

    def __init__(self, model: str, recorded: dict[Prompt, dict[int, Completion]]) -> None:
        self.model = model
        self.recorded = recorded
        self.calls: dict[Prompt, dict[int, Completion]] = {}
        self.live = 0

    @property
    def backend(self) -> EmbeddedBackend:  # type: ignore[override]
        if not hasattr(self, "_backend"):
            self._backend = EmbeddedBackend(resolve_model(self.model))
        return self._backend

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        known = self.recorded.get(prompt, {})
        if all(s in known for s in seeds):
            out = [known[s] for s in seeds]
            self.calls.setdefault(prompt, {}).update({c.seed: c for c in out})
            return out
        self.live += 1
        return super().complete(prompt, seeds, policy)


def load(path: Path) -> dict[Prompt, dict[int, Completion]]:
    if not path.is_file():
        return {}
    return {
        Prompt.model_validate(r["prompt"]): {c["seed"]: Completion.model_validate(c) for c in r["completions"]}
        for r in json.loads(path.read_text())["records"]
    }


def save(path: Path, model: str, calls: dict[Prompt, dict[int, Completion]], **extra: object) -> None:
    records = [
        {"prompt": p.model_dump(mode="json"), "completions": [c.model_dump(mode="json") for c in cs.values()]}
        for p, cs in calls.items()
    ]
    path.write_text(json.dumps({"model": model, **extra, "records": records}, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=FAST_MODEL)
    parser.add_argument("--budget", type=float, default=420.0, help="skip part 3 once this many seconds are gone")
    args = parser.parse_args()
    started = time.perf_counter()
    policy = Policy(name="recorded", model=args.model, max_tokens=384)
    table = load_table(DATA)
    with tool_executor([table.path]) as ex:
        # 1. the recorded ask run, now with the formatter
        recording = ReplayFirst(args.model, load(ASK))
        answer, attempts = ask(table, make_question(QUESTION), AskConfig(policies=(policy,), samples=8),
                               executor=ex, store=Store(), backend_for=lambda p: recording)  # fmt: skip
        save(ASK, args.model, recording.calls)
        print(f"part 1: {recording.live} model calls, {time.perf_counter() - started:.0f} s")
        print(answer.model_dump_json(indent=1, exclude={"figures"}))
        for a in attempts:
            if a.format_call is not None:
                print("formatted:", repr(a.output[:200]), "->", repr(a.format_call.text), a.values, a.status)

        # 2. the formatter alone on hand-written programs' real output
        fmt = ReplayFirst(args.model, load(FORMAT))
        cases = []
        for i, (text, constraints, answer_format, program) in enumerate(CASES):
            question = make_question(text, constraints, answer_format, id=f"format-case-{i}")
            candidate = Candidate(problem_id=question.id, policy=policy.name, seed=0, completion=program, code=program,
                                  prompt_tokens=0, completion_tokens=0, mean_logprob=None, seconds=0.0)  # fmt: skip
            [attempt] = run_candidates([candidate], question, table, ex, None)
            done = format_attempt(attempt, question, question.id, policy, 0, Store(), lambda p: fmt)
            print(f"case {i}: {attempt.status} {attempt.output!r} -> {done.format_call and done.format_call.text!r}"
                  f" -> {done.values} ({done.status})")  # fmt: skip
            cases.append({"question": question.model_dump(mode="json"), "program": program, "output": attempt.output})
        save(FORMAT, args.model, fmt.calls, cases=cases)
        print(f"part 2: {fmt.live} model calls, {time.perf_counter() - started:.0f} s")

        # 3. a two-name question through ask, if the budget allows
        if time.perf_counter() - started > args.budget:
            print("part 3 skipped: over budget")
            return
        question = make_question(*MEAN_MEDIAN)
        answer, attempts = ask(table, question, AskConfig(policies=(policy,), samples=8, retries=0), executor=ex,
                               store=Store(), backend_for=lambda p: fmt)  # fmt: skip
        save(FORMAT, args.model, fmt.calls, cases=cases)
        print(f"part 3: {time.perf_counter() - started:.0f} s; problem {task_problem(table, question).id}")
        print(answer.model_dump_json(indent=1, exclude={"figures"}))
        for a in attempts:
            print(a.status, repr(a.output[:120]), a.values, a.formatted, a.format_call and a.format_call.text)


if __name__ == "__main__":
    main()
