"""Speed: programs in one behaviour cluster agree on every probe, yet a judge's large hidden input times the
slow ones out (an O(n²) pair count beside an O(n log n) one). Probes are small on purpose, so speed is
checked apart from behaviour: before a cluster is submitted, its programs run on a scaled-up copy of the
largest visible example, and the first that finishes within the time limit is put first. The behaviour that
is chosen never changes, only which of its programs stands for it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.extract import ProgramGroup
from codesift.records import Problem, Test
from codesift.select.probe import INT, args_source, example_args, has_header
from codesift.select.types import Cluster

SLOW = frozenset({"timeout", "memory"})
# Each slow program costs a whole time limit, so the check is bounded: the programs of a cluster are tried
# two at a time (the default executor's workers), at most `MEMBERS` of them, in the first `CLUSTERS` clusters.
# A large cluster can hold many quadratic programs before its first fast one (8 of 10 on one fresh problem).
MEMBERS, BATCH, CLUSTERS = 10, 2, 2


def _grown(value: Any, size: int, rng: random.Random) -> Any:
    """A list or string of ``size`` elements drawn from ``value``'s own, else ``value`` itself."""
    if isinstance(value, list) and value:
        return [rng.choice(value) for _ in range(size)]
    if isinstance(value, str) and len(value) > 1:
        return "".join(rng.choice(value) for _ in range(size))
    return value


def _like(tokens: Sequence[str], rng: random.Random) -> str:
    """A token drawn like the line's own: integers within their range, else one of its words."""
    ints = [int(t) for t in tokens if INT.match(t)]
    if len(ints) == len(tokens):
        return str(rng.randint(min(ints), max(ints)))
    return rng.choice(tokens)


def _grown_line(tokens: Sequence[str], size: int, rng: random.Random) -> str:
    """A line of ``size`` tokens drawn like ``tokens`` (`_like`)."""
    return " ".join(_like(tokens, rng) for _ in range(size))


def _stdio_stress(text: str, size: int, rng: random.Random) -> str | None:
    """The example with its counted part grown to ``size``: a header's count of body lines or of a line's
    tokens is raised to match; without a header, lines are drawn again to ``size`` lines, and a one-line
    input grows its tokens (or its one word)."""
    lines = text.rstrip("\n").split("\n")
    if not has_header(lines):
        if len(lines) > 1:  # read to the end of the input: more of the same lines
            return "\n".join(rng.choice(lines) for _ in range(size)) + "\n"
        if not lines[0].split():
            return None
        toks = lines[0].split()
        if len(toks) == 1:
            grown = _grown(toks[0], size, rng)
            return f"{grown}\n" if grown != toks[0] else None
        return _grown_line(toks, size, rng) + "\n"
    header, body = lines[0].split(), lines[1:]
    counts = [i for i, t in enumerate(header) if int(t) == len(body)]
    if counts and len(body) > 1:
        header[counts[0]] = str(size)  # whole lines drawn again: a line's own constraints still hold
        return "\n".join([" ".join(header), *(rng.choice(body) for _ in range(size))]) + "\n"
    rows = {r for r, line in enumerate(body) if any(len(line.split()) == int(t) > 1 for t in header)}
    if not rows:
        return None
    for i, t in enumerate(header):
        if any(len(body[r].split()) == int(t) for r in rows):
            header[i] = str(size)
    body = [_grown_line(line.split(), size, rng) if r in rows else line for r, line in enumerate(body)]
    return "\n".join([" ".join(header), *body]) + "\n"


def stress_tests(problem: Problem, size: int, seed: int = 0) -> tuple[Test, ...]:
    """One scaled-up input made from the largest visible example whose shape can grow, or none."""
    rng = random.Random(seed)
    for example in sorted(problem.examples, key=lambda t: -len(t.input)):
        if problem.style == "stdio":
            grown = _stdio_stress(example.input, size, rng)
            if grown is not None:
                return (Test(kind="stdio", input=grown),)
            continue
        args = example_args(problem, example)
        if args is None:
            continue
        scaled = tuple(_grown(a, size, rng) for a in args)
        if scaled != args:
            return (Test(kind="call", input=args_source(scaled)),)
    return ()


def fast_first(
    clusters: Sequence[Cluster],
    problem: Problem,
    size: int,
    executor: Mapper,
    cache: ExecutionCache | None,
    count: int,
) -> list[Cluster]:
    """The first ``count`` clusters (at most `CLUSTERS`) with a program that finishes the stress input put
    first in each; clusters whose tried programs are all slow are left as they were."""
    tests = stress_tests(problem, size)
    if not tests:
        return list(clusters)
    out = list(clusters)
    for i, c in enumerate(out[: min(count, CLUSTERS)]):
        fast = _first_fast(c.groups[:MEMBERS], tests, executor, cache, problem.entry_point)
        if fast is not None and fast is not c.groups[0]:
            out[i] = c.model_copy(update={"groups": (fast, *(g for g in c.groups if g is not fast))})
    return out


def _first_fast(
    groups: Sequence[ProgramGroup],
    tests: Sequence[Test],
    executor: Mapper,
    cache: ExecutionCache | None,
    entry_point: str | None,
) -> ProgramGroup | None:
    """Tried `BATCH` at a time (the executor runs them side by side), best first, until one is fast."""
    for start in range(0, len(groups), BATCH):
        batch = groups[start : start + BATCH]
        runs = run_all(batch, tests, executor, cache, entry_point)
        for g in batch:
            if all(e.status not in SLOW for e in runs[g.program].values()):
                return g
    return None
