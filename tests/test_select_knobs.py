"""Distinct-program votes (`SelectConfig.votes`) and consensus test weights (`SelectConfig.test_weights`).

The ranking math is checked on handmade pass matrices; what counts as one program, and how both knobs move a
real ranking, on the recorded real 0.5B samples of MBPP task 594 (tests/data/select_mbpp_594.json: 20 samples
at T = 0.8 and the model's own test-writing answer, replayed verbatim).
"""

from __future__ import annotations

import pytest
from recorded import DATA, load, pool
from replay import ReplayBackend

from codesift.bench.grade import grade_programs
from codesift.execute import Executor
from codesift.extract import ProgramGroup
from codesift.records import Candidate, Policy, Test
from codesift.select import SelectConfig, select, write_tests
from codesift.select.forms import canonical, forms
from codesift.select.rank import consensus_weights, rank, weight_of

RECORD, TASK, CANDIDATES = load("select_mbpp_594.json")


def handmade(code: str, votes: int, logprob: float | None = -0.2) -> ProgramGroup:
    return ProgramGroup(
        code=code,
        candidates=tuple(
            Candidate(problem_id="p", policy="t", seed=s, completion=code, code=code, prompt_tokens=90,
                      completion_tokens=60, mean_logprob=logprob, seconds=1.0)
            for s in range(votes)
        ),
    )  # fmt: skip


def test_ties_by_logprob_put_the_surer_cluster_first_only_among_exact_ties() -> None:
    short_unsure = handmade("def f(x):\n    return 0\n", 1, logprob=-0.9)
    long_sure = handmade("def f(x):\n    y = x\n    return y\n", 1, logprob=-0.1)
    no_logprob = handmade("def f(x):\n    return x + 2\n", 1, logprob=None)
    bigger_unsure = handmade("def f(x):\n    return 3\n", 2, logprob=-2.0)
    buckets = [[short_unsure], [long_sure], [no_logprob]]
    outputs, passes = [("=0",), ("=1",), ("=2",)], [[True], [True], [True]]
    shorter = rank(buckets, outputs, passes, SelectConfig(ties=None))
    assert [c.outputs[0] for c in shorter] == ["=0", "=2", "=1"]
    by_logprob = rank(buckets, outputs, passes, SelectConfig(ties="logprob"))
    assert [c.outputs[0] for c in by_logprob] == ["=1", "=0", "=2"]  # surer first; none known: last
    # A larger cluster still wins: logprob only breaks exact ties of score and samples.
    bigger = rank([*buckets, [bigger_unsure]], [*outputs, ("=3",)], [*passes, [True]], SelectConfig(ties="logprob"))
    assert bigger[0].outputs[0] == "=3"


# Clusters R (right, 5 samples), W (wrong, 3), A (2) and B (1): A and B are right programs that differ from R on
# some edge-case probe. Test 0 is one every program passes, test 1 is right; tests 2-5 are wrong asserts that only
# W (which shares the model's misreading) passes.
PASSES = [
    [True, True, False, False, False, False],  # R
    [True, False, True, True, True, True],  # W
    [True, True, False, False, False, False],  # A
    [True, True, False, False, False, False],  # B
]
SIZES = [5, 3, 2, 1]


def matrix_clusters(config: SelectConfig) -> list[str]:
    buckets = [[handmade(f"def f(x):\n    return {i}\n", n)] for i, n in enumerate(SIZES)]
    outputs = [(f"={i}",) for i in range(len(SIZES))]
    ranked = rank(buckets, outputs, PASSES, config)
    return ["RWAB"[int(c.outputs[0][1:])] for c in ranked]


def test_consensus_weights_are_the_fixed_point_of_score_shares() -> None:
    weights = consensus_weights(PASSES, SIZES, SelectConfig())
    assert weights[0] == 1.0  # every cluster passes it
    assert weights[1] > 0.5 > weights[2] == weights[3] == weights[4] == weights[5] > 0
    # A fixed point: each weight is the share of the CodeT score (votes × (1 + weights passed)) of its passers.
    scores = [n * (1 + weight_of(weights, row)) for n, row in zip(SIZES, PASSES, strict=True)]
    for t, w in enumerate(weights):
        share = sum(s for s, row in zip(scores, PASSES, strict=True) if row[t]) / sum(scores)
        assert w == pytest.approx(share, abs=1e-8)
    assert consensus_weights([], [], SelectConfig()) == []
    assert consensus_weights([[], []], [3, 1], SelectConfig()) == []


def test_consensus_weighting_demotes_the_wrong_tests_and_flips_the_ranking() -> None:
    plain = matrix_clusters(SelectConfig())
    weighted = matrix_clusters(SelectConfig(test_weights="consensus"))
    # Plain CodeT: ln 3 + ln(1 + 5) for W beats ln 5 + ln(1 + 2) for R: the wrong asserts carry W.
    assert plain[0] == "W"
    # Weighted, the four asserts only W passes count about 0.31 each and the right one about 0.69: R is first.
    assert weighted[:2] == ["R", "W"]


def test_weights_leave_a_single_cluster_alone() -> None:
    buckets = [[handmade("def f(x):\n    return 1\n", 4)]]
    [alone] = rank(buckets, [("=1",)], [[True, False, True]], SelectConfig(test_weights="consensus"))
    assert alone.scores.tests_weighted == pytest.approx(2.0) and alone.tests_passed == 2


# --- what counts as one program ----------------------------------------------------------------------------

RENAMED = [  # two real 0.5B samples of MBPP 594: one program, other names, other comments
    "def diff_even_odd(numbers):\n    # Initialize first even and first odd numbers\n"
    "    first_even = next((x for x in numbers if x % 2 == 0), None)\n"
    "    first_odd = next((x for x in numbers if x % 2 != 0), None)\n\n    # Calculate the difference\n"
    "    difference = first_even - first_odd\n    \n    return difference\n",
    "def diff_even_odd(arr):\n    # Initialize two variables to store the first even and odd numbers\n"
    "    even = next((x for x in arr if x % 2 == 0), None)\n    odd = next((x for x in arr if x % 2 != 0), None)\n"
    "    \n    # Calculate the difference between the first even and first odd number\n    result = even - odd\n"
    "    \n    return result\n",
]


def test_programs_equal_up_to_names_docstrings_and_hints_are_one_program() -> None:
    assert canonical(RENAMED[0]) == canonical(RENAMED[1])
    documented = 'def f(xs: list[int]) -> int:\n    """Sum."""\n    total = 0\n    for v in xs:\n        total += v\n'
    plain = "def f(a):\n    s = 0\n    for b in a:\n        s += b\n"
    assert canonical(documented) == canonical(plain)
    # Builtins and imported names are not the program's own: other calls are other programs.
    assert canonical("def f(a):\n    return sorted(a)\n") != canonical("def f(a):\n    return max(a)\n")
    assert canonical("from math import gcd\ndef f(a, b):\n    return gcd(a, b)\n") != canonical(
        "from math import lcm\ndef f(a, b):\n    return lcm(a, b)\n"
    )
    # A renaming must be consistent: swapping which name is used where is a different program.
    assert canonical("def f(a, b):\n    return a - b\n") != canonical("def f(a, b):\n    return b - a\n")
    assert canonical("def f(:\n") == "def f(:"  # unparsable: compared as text
    assert forms([handmade(c, 1) for c in [*RENAMED, plain]]) == 2


@pytest.fixture(scope="module")
def written() -> tuple[Test, ...]:
    policy = Policy.model_validate(RECORD["policy"]).model_copy(update={"max_tokens": 256})
    return write_tests(TASK.problem, ReplayBackend(DATA / "select_mbpp_594.json"), policy).tests


def test_sample_votes_and_program_votes_rank_a_real_pool_differently(ex: Executor) -> None:
    passing = pool(TASK, CANDIDATES, ex)
    plain = SelectConfig(w_codet=0, ties=None)
    by_samples = select(TASK.problem, passing, executor=ex, config=plain)
    by_programs = select(TASK.problem, passing, executor=ex, config=plain.model_copy(update={"votes": "programs"}))
    top = by_samples.clusters[0]
    # Sample votes: three clusters of 2 samples tie, and the shorter-program tie-break puts first the pair that is
    # one program written twice (the two RENAMED samples).
    assert top.samples == 2 and len(top.groups) == 2 and forms(top.groups) == 1
    assert {canonical(g.code) for g in top.groups} == {canonical(RENAMED[0])}
    assert top.scores.programs is None
    # Program votes: it counts once, and a pair of different programs that agree goes first.
    assert by_programs.clusters[0].scores.programs == 2 and by_programs.clusters[0].samples == 2
    demoted = next(c for c in by_programs.clusters if c.outputs == top.outputs)
    assert demoted.scores.programs == 1 and by_programs.clusters.index(demoted) > 0
    assert by_programs.submissions[0].program != by_samples.submissions[0].program


def test_consensus_weights_on_real_model_tests_lean_towards_the_bigger_cluster(
    ex: Executor, written: tuple[Test, ...]
) -> None:
    """The bias the weighting brings, on real data: a test counts by the clusters that agree with it, so a wrong
    pair that passes one model assert climbs over a right single program that passes four."""
    passing = pool(TASK, CANDIDATES, ex)
    assert written
    right = {p: v.passed for p, v in grade_programs(TASK, [g.code for g in passing], ex, None).items()}
    plain = select(TASK.problem, passing, executor=ex, config=SelectConfig(), model_tests=written)
    weighted = select(
        TASK.problem, passing, executor=ex, config=SelectConfig(test_weights="consensus"), model_tests=written
    )
    assert all(c.scores.tests_weighted is None for c in plain.clusters)
    for c in weighted.clusters:
        assert c.scores.tests_weighted is not None and c.scores.tests_weighted <= c.tests_passed
    assert [c.tests_passed for c in plain.clusters] != [c.tests_passed for c in weighted.clusters]

    def position(sel, samples: int, tests: int, is_right: bool) -> int:  # type: ignore[no-untyped-def]
        return next(
            i for i, c in enumerate(sel.clusters)
            if (c.samples, c.tests_passed, right[c.groups[0].program]) == (samples, tests, is_right)
        )  # fmt: skip

    wrong_pair, right_single = (2, 1, False), (1, 4, True)
    assert position(plain, *right_single) < position(plain, *wrong_pair)
    assert position(weighted, *wrong_pair) < position(weighted, *right_single)
