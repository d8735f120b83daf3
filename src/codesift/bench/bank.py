"""The sample bank: a benchmark run's completions, compressed and committed with the code.

Sampling is the expensive part on a CPU and machines do not last, so every sampled completion of a
benchmark run is kept under ``bank/`` with what produced it (the full policy, seed, tokens, mean
logprob, seconds) plus the model-written tests of each problem. Executions are cheap to recompute
and are not kept. Selection research replays a bank instead of re-sampling: `bank_store` turns bank
files back into a run store whose programs are re-extracted with today's extractor.

One file per benchmark x model x settings: ``<benchmark>-<model>-n<samples>-t<temperature>-<digest>.jsonl.gz``,
rewritten whole on every export (sorted, gzip without a timestamp), so re-exporting a growing run
changes only what is new and the same run always gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from codesift.bench.tasks import BenchDataError, Task
from codesift.extract import extract_code
from codesift.pipeline import SolveConfig, code_policies, written_tests_key
from codesift.policies import plan
from codesift.prompt import build_prompt
from codesift.records import Candidate, Policy, Problem, Record, WrittenTests, call_key, digest
from codesift.store import Store

FORMAT = 1


class BankHeader(Record):
    kind: Literal["header"] = "header"
    format: int = FORMAT
    benchmark: str
    settings: dict[str, Any]


class BankSample(Record):
    kind: Literal["sample"] = "sample"
    problem_id: str
    policy: Policy
    seed: int
    completion: str
    prompt_tokens: int
    completion_tokens: int
    mean_logprob: float | None
    seconds: float


class BankTests(Record):
    kind: Literal["written-tests"] = "written-tests"
    problem_id: str
    written: WrittenTests


def bank_name(benchmark: str, settings: dict[str, Any]) -> str:
    policies = settings.get("policies") or [{}]
    model = Path(str(policies[0].get("model", "model"))).name.removesuffix(".gguf")
    temperature = policies[0].get("temperature", 0)
    stem = Path(benchmark).stem
    return (
        f"{stem}-{model}-n{settings.get('samples')}-t{temperature:g}-{digest(json.dumps(settings, sort_keys=True))[:8]}"
    )


def bank_path(out_dir: Path, benchmark: str, settings: dict[str, Any]) -> Path:
    """The bank file of a run with these settings: the name carries their digest, so it matches only that run."""
    return out_dir / f"{bank_name(benchmark, settings)}.jsonl.gz"


def banks_for(out_dir: Path, benchmark: str, settings: dict[str, Any]) -> list[Path]:
    """Every bank file of this benchmark and model, whatever its other settings: a run reuses only the samples
    its own calls would draw (same `call_key` and seed), so a bank made with another sample count, ranking or
    codesift version gives what it can and nothing else."""
    stem = bank_name(benchmark, settings).rsplit("-n", 1)[0]
    return sorted(out_dir.glob(f"{stem}-n*.jsonl.gz"))


def export_bank(store: Store, benchmark: str, tasks: Sequence[Task], out_dir: Path) -> Path:
    """Write the run's samples (in task order, then policy, then seed) and written tests; returns the file."""
    spec = store.settings("bench")
    if spec is None or "config" not in spec:
        raise BenchDataError(f"{store.path} is not a `codesift bench` run store (no settings recorded)")
    settings = spec["config"]
    config = run_config(Path(store.path), settings)
    policies = {p.name: p for p in code_policies(config)}
    lines: list[Record] = [BankHeader(benchmark=benchmark, settings=settings)]
    for task in tasks:
        samples = sorted(
            (c for c in store.candidates(task.id) if c.origin == "sample"), key=lambda c: (c.policy, c.seed)
        )
        lines += [_banked(c, policies[c.policy]) for c in samples]
        written = replayed_tests(store, task.problem, config)
        if written is not None:
            lines.append(BankTests(problem_id=task.id, written=written))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = bank_path(out_dir, benchmark, settings)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        for line in lines:
            fh.write(line.model_dump_json().encode() + b"\n")
    tmp.replace(path)
    return path


def _banked(c: Candidate, policy: Policy) -> BankSample:
    return BankSample(
        problem_id=c.problem_id, policy=policy, seed=c.seed, completion=c.completion, prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens, mean_logprob=c.mean_logprob, seconds=c.seconds,
    )  # fmt: skip


def read_bank(path: Path) -> tuple[BankHeader, list[BankSample], dict[str, WrittenTests]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        raise BenchDataError(f"{path}: not a readable sample bank ({e})") from None
    if not rows or not isinstance(rows[0], dict) or rows[0].get("kind") != "header" or rows[0].get("format") != FORMAT:
        raise BenchDataError(f"{path}: not a sample bank of format {FORMAT} (no header line)")
    try:
        header = BankHeader.model_validate(rows[0])
        samples = [BankSample.model_validate(r) for r in rows[1:] if r.get("kind") == "sample"]
        written = {
            r["problem_id"]: WrittenTests.model_validate(r["written"])
            for r in rows[1:]
            if r.get("kind") == "written-tests"
        }
    except (ValidationError, KeyError, TypeError, AttributeError) as e:
        raise BenchDataError(f"{path}: a damaged sample bank ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    return header, samples, written


def bank_store(
    paths: Iterable[Path], tasks: Sequence[Task], store: Store | None = None, *, only: SolveConfig | None = None
) -> Store:
    """A run store holding the banks' samples (code re-extracted now) and written tests, as `bench` would leave it.

    With `only`, just what a run with those settings draws itself (its planned calls and seeds, its own written
    tests): a run grades and re-exports the samples it drew, never a bigger or foreign bank's extras."""
    store = store or Store()
    by_id = {t.id: t for t in tasks}
    planned = {t.id: planned_calls(t.problem, only) for t in tasks} if only else None
    for path in paths:
        header, samples, written = read_bank(path)
        settings = header.settings
        store.set_settings("bench", {"benchmark": header.benchmark, "config": settings})
        candidates = [_candidate(s, by_id[s.problem_id]) for s in samples if s.problem_id in by_id]
        if planned is not None:  # the run's own calls, under the name of the run's policy that makes each
            named = ((c, planned[c.problem_id].get((c.key, c.seed))) for c in candidates)
            candidates = [c.model_copy(update={"policy": name}) for c, name in named if name is not None]
        store.add_candidates(candidates)
        config = run_config(path, settings)
        for problem_id, tests in written.items():
            if problem_id not in by_id:
                continue
            key = written_tests_key(by_id[problem_id].problem, config)
            if only is None or key == written_tests_key(by_id[problem_id].problem, only):
                store.add_written_tests(problem_id, key, tests)
    return store


def replayed_tests(store: Store, problem: Problem, config: SolveConfig | None = None) -> WrittenTests | None:
    """The model-written tests a replay ranks with: those of the run (or last bank) the store holds, under the
    key of its settings (`config`, else read from the store), so one cache shared by replays of two test writers
    serves each its own; else whatever tests the store has for the problem (run stores from before the keys)."""
    if config is None and (spec := store.settings("bench")) is not None and "config" in spec:
        config = run_config(Path(store.path), spec["config"])
    own = store.written_tests(problem.id, written_tests_key(problem, config)) if config is not None else None
    return own or store.any_written_tests(problem.id)


def planned_calls(problem: Problem, config: SolveConfig) -> dict[tuple[str, int], str]:
    """The (`call_key`, seed) of every sample solve draws for `problem` under `config`, with its policy's name (the
    key leaves names out, so a bank made under another name serves a renamed policy)."""
    return {
        (call_key(build_prompt(problem, policy.prompt), policy), seed): policy.name
        for policy, seeds in plan(code_policies(config), config.samples, config.seed)
        for seed in seeds
    }


def run_config(path: Path, settings: dict[str, Any]) -> SolveConfig:
    """The banked run's settings, so its tests are stored where solve looks for them (`written_tests_key`); a run
    from before the grammar knob wrote its tests unconstrained, as ``grammar="off"`` does."""
    try:
        return SolveConfig.model_validate({"grammar": "off", **settings})
    except ValidationError as e:
        raise BenchDataError(f"{path}: settings this codesift cannot read ({e})") from None


def _candidate(s: BankSample, task: Task) -> Candidate:
    """As `sample` stores it (same `call_key`), so a bench run on this store reuses it instead of re-sampling."""
    prompt = build_prompt(task.problem, s.policy.prompt)
    return Candidate(
        problem_id=s.problem_id, policy=s.policy.name, seed=s.seed, completion=s.completion,
        code=extract_code(s.completion, prompt.prefill, task.problem.entry_point), prompt_tokens=s.prompt_tokens,
        completion_tokens=s.completion_tokens, mean_logprob=s.mean_logprob, seconds=s.seconds,
        key=call_key(prompt, s.policy),
    )  # fmt: skip
