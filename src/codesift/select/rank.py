"""Scoring clusters and turning the ranking into submissions (AlphaCode's wrap-around)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from codesift.extract import ProgramGroup
from codesift.records import Scores, Submission
from codesift.select.types import Cluster, SelectConfig


def score(
    groups: Sequence[ProgramGroup], tests_passed: int, config: SelectConfig, support: float | None = None
) -> Scores:
    """Per-signal scores and their weighted sum (log-linear: size times tests passed is CodeT).

    ``support`` (soft agreement with the other clusters, counted in samples) stands in for the
    cluster's own sample count when given.
    """
    samples = sum(g.votes for g in groups)
    votes = samples if support is None else support
    lps = [c.mean_logprob for g in groups for c in g.candidates if c.mean_logprob is not None]
    size, logprob, codet = math.log(max(votes, 1)), sum(lps) / len(lps) if lps else 0.0, math.log1p(tests_passed)
    return Scores(
        size=size, logprob=logprob, codet=codet, samples=samples, tests_passed=tests_passed, support=support,
        total=config.w_size * size + config.w_logprob * logprob + config.w_codet * codet,
    )  # fmt: skip


def supports(outputs: Sequence[tuple[str, ...]], samples: Sequence[int], power: float) -> list[float]:
    """Each cluster's samples plus every other cluster's, weighted by (share of probes agreed on)^power."""

    def agreement(a: tuple[str, ...], b: tuple[str, ...]) -> float:
        return sum(x == y for x, y in zip(a, b, strict=True)) / len(a) if a else 1.0

    return [
        sum(n * agreement(mine, theirs) ** power for theirs, n in zip(outputs, samples, strict=True))
        for mine in outputs
    ]


def order(clusters: Sequence[Cluster]) -> list[Cluster]:
    """Best first; ties go to more samples, then the shorter best program (deterministic)."""
    return sorted(clusters, key=lambda c: (-c.score, -c.samples, len(c.groups[0].code), c.groups[0].program))


def submissions(clusters: Sequence[Cluster], k: int, passed: int = 0, examples: int = 0) -> list[Submission]:
    """One program per cluster, best cluster first; with fewer clusters than ``k``, wrap around to
    each cluster's next-best program. Every program passed ``passed`` of the ``examples`` visible examples."""
    out: list[Submission] = []
    depth = 0
    while len(out) < k and any(depth < len(c.groups) for c in clusters):
        for c in clusters:
            if depth < len(c.groups) and len(out) < k:
                g = c.groups[depth]
                out.append(
                    Submission(
                        code=g.code,
                        program=g.program,
                        samples=g.votes,
                        cluster_size=c.samples,
                        examples_passed=passed,
                        examples_total=examples,
                        scores=c.scores,
                    )
                )
        depth += 1
    return out
