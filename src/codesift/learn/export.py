"""Bench run stores → training data in JSON Lines that `datasets` and TRL's trainers load as they are.

A bench run dir (`codesift bench ... --run-dir DIR`) holds `store.sqlite`: every sampled candidate and,
because the grader ran every distinct program on the hidden tests, those verdicts too. From them:

- ``sft.jsonl``: conversational prompt-completion records (TRL trains on the completion only): the exact
  chat messages the policy saw (`codesift.prompt.build_prompt` with the policy's prompt variant) →
  the program that passed every hidden test, written the way the model answers (a ```python block).
- ``dpo.jsonl``: preference pairs for the same prompt, ``chosen`` passing every hidden test and
  ``rejected`` failing, with how it failed (first failing test's status and error).
- ``rewards.jsonl``: one row per sample: fraction of hidden tests passed, every verdict, tokens.

Programs are deduplicated after `extract.normalise` (duplicates are one example, not several), at most
``per_task`` distinct programs (pairs) are kept per task so easy tasks don't dominate, and every record
carries its provenance (run, policy, seed, model and its sha256). Tasks outside the training split are
refused (`codesift.learn.splits`). Repaired candidates are left out: their prompt was the repair prompt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from codesift.backends.models import MODELS, _file_sha256
from codesift.bench.run import STORE
from codesift.bench.tasks import Task, load_tasks
from codesift.errors import CodesiftError
from codesift.extract import group, normalise
from codesift.learn.splits import MBPP_TRAIN, Split, guard, split_of
from codesift.prompt import FENCE, build_prompt
from codesift.records import Candidate, Policy, Status
from codesift.store import Store

Format = Literal["sft", "dpo", "rewards"]
FORMATS: tuple[Format, ...] = ("sft", "dpo", "rewards")
Message = dict[str, str]


class ExportError(CodesiftError):
    """A run dir that cannot be exported (missing, not a bench run, ungraded)."""


class Provenance(BaseModel):
    model_config = ConfigDict(frozen=True)

    run: str
    benchmark: str
    task_id: str
    split: Split
    policy: str
    seed: int
    model: str
    model_sha256: str | None
    # the LoRA adapter the policy sampled with (expert iteration: samples of a tuned model)
    lora: str | None = None
    temperature: float


class Graded(BaseModel):
    """One sampled program with its hidden-test verdicts, as the grader stored them."""

    model_config = ConfigDict(frozen=True)

    prompt: list[Message]
    answer: Message
    verdicts: list[Status]
    failure: str | None
    candidate: Candidate
    provenance: Provenance

    @property
    def passed(self) -> bool:
        return all(v == "passed" for v in self.verdicts)

    @property
    def reward(self) -> float:
        return sum(v == "passed" for v in self.verdicts) / len(self.verdicts)


class ExportSummary(BaseModel):
    runs: list[str]
    samples: int
    ungraded: int
    tasks: int
    tasks_solved: int
    written: dict[Format, int]
    per_task: int
    split_rule: str = f"train = MBPP task ids {MBPP_TRAIN.start}-{MBPP_TRAIN.stop - 1}; everything else is evaluation"


@cache
def model_sha256(model: str) -> str | None:
    """The pinned hash of an embedded model, a GGUF file's own hash, or None (a served model's name)."""
    if model in MODELS:
        return MODELS[model].sha256
    path = Path(model)
    return _file_sha256(path) if path.is_file() else None


def answer_message(code: str) -> Message:
    """The assistant turn as the model writes it: the pre-filled fence, the program, the closing fence."""
    return {"role": "assistant", "content": f"{FENCE}{code.rstrip()}\n```"}


def _prompt_messages(task: Task, policy: Policy) -> list[Message]:
    return [{"role": role, "content": text} for role, text in build_prompt(task.problem, policy.prompt).messages]


def _run_spec(store: Store, run_dir: Path) -> tuple[str, dict[str, Policy]]:
    spec = store.settings("bench")
    if spec is None:
        raise ExportError(f"{run_dir} is not a `codesift bench` run dir (its store has no benchmark settings).")
    policies = [Policy.model_validate(p) for p in spec["config"]["policies"]]
    return str(spec["benchmark"]), {p.name: p for p in policies}


def _verdicts(store: Store, task: Task, program: str) -> tuple[list[Status], str | None] | None:
    """The grader's verdicts of one program on the hidden tests, and its first failure; None if ungraded."""
    executions = [store.execution(program, t.key) for t in task.hidden]
    graded = [e for e in executions if e is not None]
    if len(graded) < len(executions):
        return None
    failed = next((e for e in graded if e.status != "passed"), None)
    if failed is None:
        return [e.status for e in graded], None
    detail = failed.error or (failed.output.strip().splitlines() or [""])[-1]
    return [e.status for e in graded], f"{failed.status}: {detail}"[:300]


def read_run(run_dir: Path, data: Path | None = None) -> tuple[list[Graded], int]:
    """Every sampled candidate of a run with its hidden-test verdicts, and how many had none (ungraded).

    The grader runs one program per group of equal normalised programs (`extract.group`), so a candidate's
    verdicts are those of its group's program.
    """
    if not (run_dir / STORE).is_file():
        raise ExportError(f"{run_dir} has no {STORE}; pass a run dir written by `codesift bench ... --run-dir`.")
    out: list[Graded] = []
    ungraded = 0
    with Store(run_dir / STORE) as store:
        benchmark, policies = _run_spec(store, run_dir)
        tasks = {t.id: t for t in load_tasks(benchmark, data)}
        sampled = [c for c in store.candidates() if c.origin == "sample" and c.policy in policies]
        for task_id in dict.fromkeys(c.problem_id for c in sampled):
            task = tasks.get(task_id)
            if task is None or not task.hidden:
                continue
            for g in group(c for c in sampled if c.problem_id == task_id):
                verdicts = _verdicts(store, task, g.program)
                if verdicts is None:
                    ungraded += len(g.candidates)
                    continue
                for candidate in g.candidates:
                    policy = policies[candidate.policy]
                    provenance = Provenance(
                        run=str(run_dir), benchmark=benchmark, task_id=task.id, split=split_of(benchmark, task.id),
                        policy=policy.name, seed=candidate.seed, model=policy.model,
                        model_sha256=model_sha256(policy.model), lora=policy.lora, temperature=policy.temperature,
                    )  # fmt: skip
                    graded = Graded(
                        prompt=_prompt_messages(task, policy), answer=answer_message(candidate.code),
                        verdicts=verdicts[0], failure=verdicts[1], candidate=candidate, provenance=provenance,
                    )  # fmt: skip
                    out.append(graded)
    order = {id(c): i for i, c in enumerate(sampled)}
    return sorted(out, key=lambda s: order[id(s.candidate)]), ungraded


def distinct(samples: Iterable[Graded]) -> list[Graded]:
    """First sample of each (prompt, normalised program): a program sampled twice is one example."""
    seen: set[tuple[str, str]] = set()
    out = []
    for s in samples:
        key = (json.dumps(s.prompt), normalise(s.candidate.code))
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _by_task(samples: Iterable[Graded]) -> dict[str, list[Graded]]:
    out: dict[str, list[Graded]] = {}
    for s in samples:
        out.setdefault(s.provenance.task_id, []).append(s)
    return out


def sft_records(samples: Sequence[Graded], per_task: int) -> list[dict[str, Any]]:
    records = []
    for of_task in _by_task(distinct(s for s in samples if s.passed)).values():
        for s in of_task[:per_task]:
            records.append(
                {"prompt": s.prompt, "completion": [s.answer], "provenance": s.provenance.model_dump(mode="json")}
            )
    return records


def dpo_records(samples: Sequence[Graded], per_task: int) -> list[dict[str, Any]]:
    """Pairs for one prompt: the i-th distinct passing program against the i-th distinct failing one."""
    records = []
    for of_task in _by_task(distinct(samples)).values():
        by_prompt: dict[str, list[Graded]] = {}
        for s in of_task:
            by_prompt.setdefault(json.dumps(s.prompt), []).append(s)
        pairs = [
            (good, bad)
            for same in by_prompt.values()
            for good, bad in zip([s for s in same if s.passed], [s for s in same if not s.passed], strict=False)
        ]
        for good, bad in pairs[:per_task]:
            records.append({
                "prompt": good.prompt, "chosen": [good.answer], "rejected": [bad.answer],
                "rejected_failure": bad.failure, "rejected_reward": bad.reward,
                "provenance": good.provenance.model_dump(mode="json"),
                "rejected_provenance": bad.provenance.model_dump(mode="json"),
            })  # fmt: skip
    return records


def reward_records(samples: Sequence[Graded]) -> list[dict[str, Any]]:
    """Every sample, duplicates included (a reward log, not training data)."""
    return [
        {
            "prompt": s.prompt,
            "completion": [s.answer],
            "reward": s.reward,
            "passed": s.passed,
            "verdicts": s.verdicts,
            "failure": s.failure,
            "program": s.candidate.program,
            "prompt_tokens": s.candidate.prompt_tokens,
            "completion_tokens": s.candidate.completion_tokens,
            "mean_logprob": s.candidate.mean_logprob,
            "provenance": s.provenance.model_dump(mode="json"),
        }
        for s in samples
    ]


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    tmp = path.with_name(f".{path.name}.tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


def export(
    run_dirs: Sequence[Path],
    out_dir: Path,
    formats: Sequence[Format] = FORMATS,
    *,
    per_task: int = 4,
    allow_eval: bool = False,
    data: Path | None = None,
) -> ExportSummary:
    """Write `<format>.jsonl` for each format and `manifest.json` into `out_dir`; nothing is written if refused."""
    samples: list[Graded] = []
    ungraded = 0
    for run_dir in run_dirs:
        graded, missing = read_run(run_dir, data)
        samples += graded
        ungraded += missing
    guard({s.provenance.task_id: s.provenance.benchmark for s in samples}, allow_eval)
    out_dir.mkdir(parents=True, exist_ok=True)
    builders = {
        "sft": lambda: sft_records(samples, per_task),
        "dpo": lambda: dpo_records(samples, per_task),
        "rewards": lambda: reward_records(samples),
    }
    written = {f: _write_jsonl(out_dir / f"{f}.jsonl", builders[f]()) for f in dict.fromkeys(formats)}
    tasks = _by_task(samples)
    summary = ExportSummary(
        runs=[str(r) for r in run_dirs], samples=len(samples), ungraded=ungraded, tasks=len(tasks),
        tasks_solved=sum(any(s.passed for s in of_task) for of_task in tasks.values()), written=written,
        per_task=per_task,
    )  # fmt: skip
    (out_dir / "manifest.json").write_text(summary.model_dump_json(indent=1))
    return summary
