"""Sample candidates from a family of policies, resumably: a (prompt, sampling settings, seed) is drawn once.

Stored candidates are looked up by `records.call_key` (the prompt and every sampling setting of the
policy), never by the policy's name, and re-extracted from their completions on reuse: extraction
costs microseconds, so a changed extractor never leaves stale code behind a stored sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codesift.backends import Backend, BackendError
from codesift.events import CandidateSampled, Stage
from codesift.extract import extract_code
from codesift.policies import plan
from codesift.prompt import build_prompt
from codesift.records import Candidate, Completion, Policy, Problem, Prompt, call_key
from codesift.store import Store

CHUNK = 20  # samples per backend call; each call is stored before the next, so a killed run loses one chunk


def to_candidate(problem: Problem, policy: Policy, prompt: Prompt, c: Completion, origin: str) -> Candidate:
    return Candidate(
        problem_id=problem.id,
        policy=policy.name,
        seed=c.seed,
        completion=c.text,
        code=extract_code(c.text, prompt.prefill, problem.entry_point),
        prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens,
        mean_logprob=c.mean_logprob,
        seconds=c.seconds,
        origin=origin,
        key=call_key(prompt, policy),
    )


def drawn(
    problem: Problem, prompt: Prompt, policy: Policy, seeds: Sequence[int], origin: str, store: Store | None
) -> tuple[dict[int, Candidate], list[int]]:
    """Candidates already stored for this call (by seed, re-extracted and under this policy's name), and
    the seeds still missing."""
    if store is None:
        return {}, list(seeds)
    stored = store.drawn(problem.id, call_key(prompt, policy), origin)
    found = {}
    for s in seeds:
        if s in stored:
            c = stored[s]
            code = extract_code(c.completion, prompt.prefill, problem.entry_point)
            if code != c.code:
                store.add_candidate(c.model_copy(update={"code": code}))
            found[s] = c.model_copy(update={"code": code, "policy": policy.name})
    return found, [s for s in seeds if s not in found]


def _sampled(c: Candidate) -> CandidateSampled:
    return CandidateSampled(
        problem_id=c.problem_id, policy=c.policy, seed=c.seed, program=c.program, completion_tokens=c.completion_tokens
    )


def sample(
    problem: Problem,
    policies: Sequence[Policy],
    n: int,
    *,
    seed: int,
    store: Store,
    backend_for: Callable[[Policy], Backend],
    stage: Stage | None = None,
    prompt_for: Callable[[Problem, str], Prompt] = build_prompt,
) -> list[Candidate]:
    """The problem's `n` samples, spread over `policies` by weight; stored ones are reused, not redrawn.

    `prompt_for(problem, variant)` builds each policy's prompt (`ask` passes its own; solve the default).

    Every chunk is written to the store before the next is drawn, so a killed run loses at most one chunk.
    """
    wanted: list[Candidate] = []
    for policy, seeds in plan(policies, n, seed):
        prompt = prompt_for(problem, policy.prompt)
        stored, missing = drawn(problem, prompt, policy, seeds, "sample", store)
        if stage:
            stage.advance(len(seeds) - len(missing))
        if missing:
            backend = backend_for(policy)
            for start in range(0, len(missing), CHUNK):
                try:
                    completions = backend.complete(prompt, missing[start : start + CHUNK], policy)
                except BackendError as e:
                    # Samples that arrived before the backend failed for good are kept, not redrawn.
                    arrived = getattr(e, "completions", ())
                    store.add_candidates(to_candidate(problem, policy, prompt, c, "sample") for c in arrived)
                    raise
                fresh = [to_candidate(problem, policy, prompt, c, "sample") for c in completions]
                store.add_candidates(fresh)
                stored.update({c.seed: c for c in fresh})
                if stage:
                    for c in fresh:
                        stage.sink(_sampled(c))
                    stage.advance(len(fresh))
        wanted += [stored[s] for s in seeds]
    return wanted


def unsampled(problem: Problem, policies: Sequence[Policy], n: int, *, seed: int, store: Store) -> list[Policy]:
    """The policies that still have samples to draw: only their backends need loading."""
    return [
        p
        for p, seeds in plan(policies, n, seed)
        if drawn(problem, build_prompt(problem, p.prompt), p, seeds, "sample", store)[1]
    ]
