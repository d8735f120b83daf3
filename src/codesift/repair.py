"""Feedback repair: a candidate that fails a visible example is shown its error and rewritten.

Repaired programs are ordinary candidates (``origin="repair"``) that re-enter filtering.
Everything spent is counted in tokens, so repair can be compared with sampling more at equal cost.
With a store, each attempt is cached like a sample (by its prompt, policy and seed): a rerun with a
smaller budget calls the model for nothing, a larger one only for the attempts it adds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict

from codesift.backends import Backend
from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.extract import ProgramGroup
from codesift.records import Candidate, Execution, Policy, Problem, Prompt, Test
from codesift.sample import drawn, to_candidate
from codesift.select.probe import args_source, example_args
from codesift.store import Store

_SYSTEM = "You are an expert Python programmer. You fix bugs and reply with the complete corrected program."
_CAP = 1200


class Failure(BaseModel):
    """A candidate and the first visible example it failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    candidate: Candidate
    test: Test
    execution: Execution
    # What the entry point returned on the call inside a failing assert example (see `explain`).
    got: str | None = None


def _clip(text: str) -> str:
    return text if len(text) <= _CAP else text[: _CAP // 2] + "\n...\n" + text[-_CAP // 2 :]


def feedback(problem: Problem, test: Test, e: Execution, got: str | None = None) -> str:
    """What went wrong, as a programmer would want to read it: expected vs got, or the error."""
    if test.kind == "call":
        where = f"`{problem.entry_point}({test.input})`"
    elif test.kind == "stdio":
        where = f"the input\n```\n{_clip(test.input)}```"
    else:
        where = f"the test\n```python\n{_clip(test.input)}\n```"
    if e.status == "syntax":
        return f"The program does not compile:\n```\n{_clip(e.output)}\n```"
    if e.status in ("timeout", "memory", "output-limit"):
        return f"On {where} the program hit the {e.status} limit (too slow or unbounded)."
    if e.status == "killed":
        return f"On {where} the program was killed by {e.error or 'a signal'}."
    if test.kind == "assert" and got is not None:
        args = example_args(problem, test)
        call = f"{problem.entry_point}({args_source(args or ())})"
        return f"The program fails {where}\nbecause `{call}` returned\n```\n{_clip(got)}\n```"
    if e.status == "error":
        said = f":\n```\n{_clip(e.output)}\n```" if e.output.strip() else "."
        return f"On {where} the program raised {e.error or 'an exception'}{said}"
    if test.kind == "assert":
        return f"The program fails {where}" + (f"\n```\n{_clip(e.output)}\n```" if e.output else "")
    expected, got = _clip(test.output or ""), _clip(e.output)
    return f"On {where} the expected output is\n```\n{expected}\n```\nbut the program gave\n```\n{got}\n```"


def repair_prompt(problem: Problem, failure: Failure) -> Prompt:
    user = (
        f"{problem.prompt.strip()}\n\nHere is an attempt:\n"
        f"```python\n{failure.candidate.code.strip()}\n```\n\n"
        f"{feedback(problem, failure.test, failure.execution, failure.got)}\n\n"
        "Explain nothing; write the complete corrected program."
    )
    return Prompt(messages=(("system", _SYSTEM), ("user", user)), prefill="```python\n", stop=("```", "<|im_end|>"))


def explain(
    problem: Problem, failures: Sequence[Failure], executor: Mapper, cache: ExecutionCache | None = None
) -> list[Failure]:
    """Fill in `Failure.got` for failed assert examples: an assert only says "AssertionError", so the
    call inside it is run as a probe to show the model what its program actually returned."""
    probes: dict[str, Test] = {}
    for f in failures:
        args = example_args(problem, f.test) if f.test.kind == "assert" else None
        if args is not None and f.execution.error in (None, "AssertionError"):
            probes[f.candidate.program] = Test(kind="call", input=args_source(args))
    groups = {
        f.candidate.program: ProgramGroup(code=f.candidate.code, candidates=(f.candidate,))
        for f in failures
        if f.candidate.program in probes
    }
    results: dict[str, dict[str, Execution]] = {}
    for call in set(probes.values()):  # each program on its own failure's call only
        mine = [g for program, g in groups.items() if probes[program] == call]
        results.update(run_all(mine, [call], executor, cache, problem.entry_point))
    out = []
    for f in failures:
        probe = probes.get(f.candidate.program)
        e = results[f.candidate.program][probe.key] if probe else None
        if e is None or e.status != "passed":
            out.append(f)
        else:
            out.append(f.model_copy(update={"got": e.output}))
    return out


def repair(
    problem: Problem,
    failures: Sequence[Failure],
    backend_for: Callable[[Policy], Backend],
    policy: Policy,
    *,
    budget_tokens: int,
    seed: int = 0,
    executor: Mapper | None = None,
    store: Store | None = None,
) -> list[Candidate]:
    """One fix attempt per failure (distinct programs first, likeliest first) until the budget is spent.

    ``budget_tokens`` counts prompt and completion tokens: the feedback prompt is part of repair's cost.
    With an ``executor``, failed assert examples are explained first (`explain`); with a ``store``, its
    executions and attempts are reused and new attempts written to it as they arrive; the policy's backend is
    opened only for an attempt the store lacks.
    """
    if executor is not None:
        failures = explain(problem, failures, executor, store)
    seen: set[str] = set()
    queue = []
    for f in sorted(failures, key=lambda f: -(lp if (lp := f.candidate.mean_logprob) is not None else -1e9)):
        if f.candidate.program not in seen:
            seen.add(f.candidate.program)
            queue.append(f)
    out: list[Candidate] = []
    spent = 0
    for i, f in enumerate(queue):
        if spent >= budget_tokens:
            break
        prompt = repair_prompt(problem, f)
        found, missing = drawn(problem, prompt, policy, [seed + i], "repair", store)
        completions = backend_for(policy).complete(prompt, missing, policy) if missing else []
        fresh = [to_candidate(problem, policy, prompt, c, "repair") for c in completions]
        if store is not None and fresh:
            store.add_candidates(fresh)
        for c in [*found.values(), *fresh]:
            spent += c.prompt_tokens + c.completion_tokens
            out.append(c)
    return out
