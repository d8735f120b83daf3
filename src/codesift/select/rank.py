"""Scoring clusters and turning the ranking into submissions (AlphaCode's wrap-around)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from codesift.extract import ProgramGroup
from codesift.records import Scores, Submission
from codesift.select.forms import forms
from codesift.select.types import Cluster, SelectConfig


def votes(groups: Sequence[ProgramGroup], config: SelectConfig) -> int:
    """What a cluster's size counts (`SelectConfig.votes`): its samples, or its distinct programs."""
    return forms(groups) if config.votes == "programs" else sum(g.votes for g in groups)


def score(
    groups: Sequence[ProgramGroup],
    tests_passed: int,
    config: SelectConfig,
    support: float | None = None,
    weighted: float | None = None,
) -> Scores:
    """Per-signal scores and their weighted sum (log-linear: size times tests passed is CodeT).

    ``support`` (soft agreement with the other clusters, counted in votes) stands in for the
    cluster's own votes when given; ``weighted`` (the weights of the model tests it passes) for
    ``tests_passed``.
    """
    samples = sum(g.votes for g in groups)
    own = votes(groups, config)
    count = own if support is None else support
    passed = tests_passed if weighted is None else weighted
    size, logprob, codet = math.log(max(count, 1)), mean_logprob(groups) or 0.0, math.log1p(passed)
    return Scores(
        size=size, logprob=logprob, codet=codet, samples=samples, tests_passed=tests_passed, support=support,
        programs=own if config.votes == "programs" else None, tests_weighted=weighted,
        total=config.w_size * size + config.w_logprob * logprob + config.w_codet * codet,
    )  # fmt: skip


def mean_logprob(groups: Sequence[ProgramGroup]) -> float | None:
    """The mean token logprob of a cluster's samples; None when the backend gave none (some HTTP servers)."""
    lps = [c.mean_logprob for g in groups for c in g.candidates if c.mean_logprob is not None]
    return sum(lps) / len(lps) if lps else None


def consensus_weights(
    passes: Sequence[Sequence[bool]], counts: Sequence[float], config: SelectConfig, rounds: int = 100
) -> list[float]:
    """Each model-written test's weight: the share of the pool's CodeT score held by the clusters that pass it.

    ``passes[c][t]``: cluster c passes test t; ``counts[c]``: its votes (or soft support). A cluster's CodeT
    score is ``max(count, 1)^w_size · (1 + weights of the tests it passes)^w_codet`` (the ranking's score
    without logprob), and a test's weight is the sum of the scores of the clusters passing it over the sum
    of all scores. Weights and scores depend on each other: starting from every weight 1 (plain CodeT), the
    two are recomputed in turn until no weight moves by more than 1e-9 (at most ``rounds`` times). A test
    every cluster passes keeps weight 1; one that only a small, low-scoring cluster passes gets little.
    """
    tests = len(passes[0]) if passes else 0
    weights = [1.0] * tests
    for _ in range(rounds):
        scores = [
            max(n, 1) ** config.w_size * (1 + weight_of(weights, row)) ** config.w_codet
            for n, row in zip(counts, passes, strict=True)
        ]
        total = sum(scores)
        new = [sum(s for s, row in zip(scores, passes, strict=True) if row[t]) / total for t in range(tests)]
        moved = max((abs(a - b) for a, b in zip(new, weights, strict=True)), default=0.0)
        weights = new
        if moved <= 1e-9:
            break
    return weights


def supports(outputs: Sequence[tuple[str, ...]], votes: Sequence[int], power: float) -> list[float]:
    """Each cluster's votes plus every other cluster's, weighted by (share of probes agreed on)^power."""

    def agreement(a: tuple[str, ...], b: tuple[str, ...]) -> float:
        return sum(x == y for x, y in zip(a, b, strict=True)) / len(a) if a else 1.0

    return [
        sum(n * agreement(mine, theirs) ** power for theirs, n in zip(outputs, votes, strict=True)) for mine in outputs
    ]


def rank(
    buckets: Sequence[Sequence[ProgramGroup]],
    outputs: Sequence[tuple[str, ...]],
    passes: Sequence[Sequence[bool]],
    config: SelectConfig,
) -> list[Cluster]:
    """Clusters scored and ordered, best first: ``buckets[c]`` are cluster c's programs (best first),
    ``outputs[c]`` its behaviour on the probes, ``passes[c][t]`` whether it passes model-written test t."""
    sizes = [votes(members, config) for members in buckets]
    support: list[float | None] = [None] * len(buckets)
    if config.agreement_power is not None:
        support = list(supports(outputs, sizes, config.agreement_power))
    weighted: list[float | None] = [None] * len(buckets)
    if config.test_weights == "consensus" and passes and passes[0]:  # some model-written test to weigh
        counts = [n if s is None else s for n, s in zip(sizes, support, strict=True)]
        weights = consensus_weights(passes, counts, config)
        weighted = [weight_of(weights, row) for row in passes]
    return order(
        [
            Cluster(groups=tuple(g), outputs=outs, tests_passed=sum(row), scores=score(g, sum(row), config, s, w))
            for g, outs, row, s, w in zip(buckets, outputs, passes, support, weighted, strict=True)
        ],
        config.ties,
    )


def weight_of(weights: Sequence[float], row: Sequence[bool]) -> float:
    """The weights of the tests a cluster passes, summed."""
    return sum(w for w, ok in zip(weights, row, strict=True) if ok)


def order(clusters: Sequence[Cluster], ties: Literal["logprob"] | None = None) -> list[Cluster]:
    """Best first; ties go to more samples, then (``ties="logprob"``) to the samples the model was surer of
    (clusters without logprobs after those with), then to the shorter best program (deterministic)."""

    def doubt(c: Cluster) -> float:
        if ties != "logprob":
            return 0.0
        lp = mean_logprob(c.groups)
        return math.inf if lp is None else -lp

    return sorted(clusters, key=lambda c: (-c.score, -c.samples, doubt(c), len(c.groups[0].code), c.groups[0].program))


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
