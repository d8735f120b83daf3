"""What every command shares: the one place user errors become one line and exit code 2, the progress
display fed by the event stream, and the settings built from flags."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from codesift.errors import CodesiftError, UsageError
from codesift.events import PROBLEMS, Event, ProblemDone, StageAdvanced, StageFinished, StageStarted
from codesift.records import Answer, Policy
from codesift.select.types import SelectConfig

if TYPE_CHECKING:
    from codesift.pipeline import SolveConfig

err = Console(stderr=True)
GRAMMAR_HELP = (
    "Constrained decoding: off, structured (model-written tests and ask's answer lines; default) or python (also the "
    "code)"
)
TEST_WRITER_HELP = "Another model writes the tests that rank clusters (e.g. qwen2.5-coder-1.5b for 0.5B samples)"
TEST_WRITERS_HELP = "Seeds of model-written tests per problem; 0: none (faster, e.g. sampling training data)"
ADAPTIVE_HELP = (
    "Draw samples 4 at a time; stop once a cluster passing the examples leads with ≥ 2 and ≥ 2× the runner-up's samples"
)
JUDGE_HELP = "This model judges the two best clusters on an input where they differ (S*-style; off by default)"
SELECT_HELP = (
    "Selection knob KEY=VALUE, repeatable (SelectConfig: w_logprob=0, agreement_power=1, votes=programs, "
    "test_weights=consensus, ...)"
)
M = TypeVar("M", bound=BaseModel)


def fail(message: str) -> NoReturn:
    # escaped: a message naming a TOML table (`[[package]]`) or an interval is text, not rich markup
    err.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@contextmanager
def user_errors() -> Iterator[None]:
    """The CLI boundary: a `CodesiftError` is one line and exit code 2; anything else is a bug and keeps its trace."""
    logging.basicConfig(level=logging.WARNING, handlers=[RichHandler(console=err, show_path=False)], force=True)
    logging.getLogger("openai._base_client").setLevel(logging.INFO)  # its "Retrying request ... in 0.8 seconds"
    try:
        yield
    except CodesiftError as e:
        fail(str(e))


def settings(record: type[M], flag: str, /, **fields: Any) -> M:
    """Build a settings record from flags; a value it refuses is a `UsageError` naming the flag."""
    try:
        return record(**fields)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{flag} {where}: {first['msg']} (got {first.get('input')!r})") from None


class RichEvents:
    """The event stream drawn as one rich bar per stage, on stderr.

    Under a benchmark's "problems" stage, a finished inner stage (sample, run examples, ...) hides its bar
    until the next problem starts it again, and the problems bar counts solved problems.
    """

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._stages: dict[str, TaskID] = {}
        self._solved = 0

    def __call__(self, event: Event) -> None:
        p = self._progress
        if isinstance(event, StageStarted):
            if event.stage in self._stages:
                p.reset(self._stages[event.stage], total=max(event.total, 1), visible=True)
            else:
                self._stages[event.stage] = p.add_task(event.stage, total=max(event.total, 1), ok="")
        elif isinstance(event, StageAdvanced) and event.stage in self._stages:
            p.update(self._stages[event.stage], completed=event.done, total=max(event.total, 1))
        elif isinstance(event, StageFinished) and event.stage in self._stages:
            task = self._stages[event.stage]
            inner = event.stage != PROBLEMS and PROBLEMS in self._stages
            p.update(task, completed=p.tasks[task].total, visible=not inner)
        elif isinstance(event, ProblemDone) and PROBLEMS in self._stages:
            self._solved += bool(event.solved)
            p.update(self._stages[PROBLEMS], ok=f"solved {self._solved}")


@contextmanager
def progress_events(enabled: bool) -> Iterator[Callable[[Event], None]]:
    bar = Progress(
        TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[ok]}"),
        TimeElapsedColumn(), console=err, disable=not enabled, transient=False,
    )  # fmt: skip
    with bar:
        yield RichEvents(bar)


def check_models(policies: Sequence[Policy]) -> None:
    """Fail before any work on a wrong model name or a missing weight part (a one-line `BackendError`)."""
    from codesift.backends.models import resolve_model

    for policy in policies:
        if policy.backend == "embedded":
            resolve_model(policy.model)


def answer_counts(answer: Answer) -> dict[str, int]:
    """What every `--json` answer of the pipeline reports of its work: samples, programs, clusters, tokens."""
    return {
        "samples": answer.samples,
        "distinct": answer.distinct,
        "passing": answer.passing,
        "clusters": answer.clusters,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
    }


def check_backend(backend: str) -> None:
    if backend not in ("embedded", "openai"):
        raise UsageError(f"unknown backend {backend!r}; use embedded or openai")


def select_from_flags(pairs: Sequence[str], base: SelectConfig | None = None) -> SelectConfig:
    """`--select KEY=VALUE` (repeatable) over ``base`` (default: the default `SelectConfig`); values are JSON
    (``none`` for null) or a bare word for the knobs that take one (``votes=programs``)."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or key not in SelectConfig.model_fields:
            allowed = ", ".join(SelectConfig.model_fields)
            raise UsageError(f"--select {pair!r}: expected KEY=VALUE with KEY one of: {allowed}")
        raw = raw.strip()
        try:
            fields[key] = None if raw.lower() in ("none", "null") else json.loads(raw.lower())
        except json.JSONDecodeError:
            fields[key] = raw  # a word (votes=programs): the knob's type says whether it takes one
    try:
        return SelectConfig(**{**(base.model_dump() if base else {}), **fields})
    except ValidationError as e:
        first = e.errors()[0]
        raise UsageError(f"--select {first['loc'][0]}: {first['msg']} (got {first.get('input')!r})") from None


def policies_from_flags(
    policies_file: Path | None, model: str, temperature: float, prompt: str, backend: str,
    base_url: str | None, max_tokens: int, api: str = "completion", lora: Path | None = None,
) -> tuple[Policy, ...]:  # fmt: skip
    if policies_file is not None:
        from codesift.policies import load_policies

        if lora is not None:
            raise UsageError("--lora with --policies: set `lora = PATH` on the policy in the TOML file instead")
        return load_policies(policies_file)
    kind: Literal["embedded", "openai"] = "openai" if backend == "openai" else "embedded"
    if lora is not None and kind != "embedded":
        raise UsageError("--lora needs the embedded backend (an HTTP server loads its own adapters)")
    if lora is not None and not lora.is_file():
        raise UsageError(f"--lora {lora}: no such file; pass the adapter.gguf that `codesift train` wrote")
    adapter = f"+{lora.stem}" if lora else ""
    name = f"{Path(model).name}{adapter}/{prompt}/t{temperature:g}"
    policy = settings(
        Policy, "policy", name=name, backend=kind, model=model, prompt=prompt, temperature=temperature,
        base_url=base_url, max_tokens=max_tokens, api=api, lora=str(lora.resolve()) if lora else None,
    )  # fmt: skip
    return (policy,)


def solve_config(
    command: str, policies_file: Path | None, model: str, temperature: float, prompt: str, backend: str,
    base_url: str | None, max_tokens: int, api: str, lora: Path | None, grammar: str, samples: int, seed: int,
    submissions: int, repair_tokens: int, knobs: Sequence[str] | None, test_writer: str | None = None,
    judge: str | None = None, test_writers: int = 1, adaptive: bool = False,
) -> SolveConfig:  # fmt: skip
    """The `SolveConfig` that `solve` and `bench` build from the same flags.

    ``test_writer`` and ``judge`` name other models for those roles (`role_policy`); ``adaptive`` turns on the
    default stopping rule (`codesift.adaptive.StopRule`).
    """
    from codesift.adaptive import StopRule
    from codesift.pipeline import SolveConfig

    policies = policies_from_flags(policies_file, model, temperature, prompt, backend, base_url, max_tokens, api, lora)
    return settings(
        SolveConfig, command, policies=policies, samples=samples, seed=seed, submissions=submissions,
        repair_tokens=repair_tokens, grammar=grammar, select=select_from_flags(knobs or ()), test_writers=test_writers,
        test_writer=role_policy(policies[0], "tests", test_writer), judge=role_policy(policies[0], "judge", judge),
        adaptive=StopRule() if adaptive else None,
    )  # fmt: skip


def role_policy(first: Policy, role: str, model: str | None) -> Policy | None:
    """The first policy's settings with another model for one role (writing tests, judging), checked now; no LoRA
    adapter, since an adapter fits only the model it was trained on. None when no model is named."""
    if model is None:
        return None
    policy = first.model_copy(update={"model": model, "lora": None, "name": f"{first.name}/{role}-{model}"})
    check_models([policy])
    return policy


@contextmanager
def open_backends(executor: str, ray_address: str | None) -> Iterator[Any]:
    """Backends opened once per command; with the Ray executor, sampling runs on Ray actors too."""
    from codesift.backends import BackendPool

    pool: Any = BackendPool()
    if executor == "ray":
        from codesift.scale import RaySampling

        pool = RaySampling(pool, address=ray_address)
    try:
        yield pool
    finally:
        pool.close()


@contextmanager
def open_executor(kind: str, sandbox: str, ray_address: str | None) -> Iterator[Any]:
    if kind == "ray":
        from codesift.scale import make_ray_executor

        with make_ray_executor(address=ray_address, sandbox=sandbox) as ex:
            yield ex
    elif kind == "local":
        from codesift.execute import make_executor

        with make_executor(sandbox=sandbox) as ex:
            yield ex
    else:
        raise UsageError(f"unknown executor {kind!r}; use local or ray")
