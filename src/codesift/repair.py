"""Feedback repair: a candidate that fails a visible example is shown its error and rewritten.

Repaired programs are ordinary candidates (``origin="repair"``) that re-enter filtering.
Everything spent is counted in tokens, so repair can be compared with sampling more at equal cost.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from codesift.backends import Backend
from codesift.extract import extract_code
from codesift.records import Candidate, Execution, Policy, Problem, Prompt, Test

_SYSTEM = "You are an expert Python programmer. You fix bugs and reply with the complete corrected program."
_CAP = 1200


class Failure(BaseModel):
    """A candidate and the first visible example it failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    candidate: Candidate
    test: Test
    execution: Execution


def _clip(text: str) -> str:
    return text if len(text) <= _CAP else text[: _CAP // 2] + "\n...\n" + text[-_CAP // 2 :]


def feedback(problem: Problem, test: Test, e: Execution) -> str:
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
        f"{feedback(problem, failure.test, failure.execution)}\n\n"
        "Explain nothing; write the complete corrected program."
    )
    return Prompt(
        messages=(("system", _SYSTEM), ("user", user)), prefill="```python\n", stop=("```", "<|im_end|>")
    )


def repair(
    problem: Problem,
    failures: Sequence[Failure],
    backend: Backend,
    policy: Policy,
    *,
    budget_tokens: int,
    seed: int = 0,
) -> list[Candidate]:
    """One fix attempt per failure (distinct programs first, likeliest first) until the budget is spent.

    ``budget_tokens`` counts prompt and completion tokens: the feedback prompt is part of repair's cost.
    """
    seen: set[str] = set()
    queue = []
    for f in sorted(failures, key=lambda f: -(f.candidate.mean_logprob or -1e9)):
        if f.candidate.program not in seen:
            seen.add(f.candidate.program)
            queue.append(f)
    out: list[Candidate] = []
    spent = 0
    for i, f in enumerate(queue):
        if spent >= budget_tokens:
            break
        prompt = repair_prompt(problem, f)
        for c in backend.complete(prompt, [seed + i], policy):
            spent += c.prompt_tokens + c.completion_tokens
            code = extract_code(c.text, prompt.prefill, problem.entry_point)
            out.append(
                Candidate(
                    problem_id=problem.id,
                    policy=policy.name,
                    seed=seed + i,
                    completion=c.text,
                    code=code,
                    prompt_tokens=c.prompt_tokens,
                    completion_tokens=c.completion_tokens,
                    mean_logprob=c.mean_logprob,
                    seconds=c.seconds,
                    origin="repair",
                )
            )
    return out
