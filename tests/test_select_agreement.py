"""Soft agreement between clusters (`SelectConfig.agreement_power`), on recorded real 0.5B samples.

tests/data/select_mbpp_594.json holds the 20 stored samples (T=0.8) of MBPP task 594 ("difference of the first
even and first odd number") from a `codesift bench` run, via scripts/record_select_data.py --store. Right programs
there split into clusters that differ on one edge case (``[]`` raises in one, returns 0 in another) and tie on size
with a wrong cluster.
"""

from __future__ import annotations

import pytest
from recorded import load, pool

from codesift.bench.grade import grade_programs
from codesift.execute import Executor
from codesift.extract import ProgramGroup
from codesift.select import SelectConfig, select
from codesift.select.rank import supports

_, TASK, CANDIDATES = load("select_mbpp_594.json")


def test_support_weights_other_clusters_by_the_share_of_probes_they_agree_on() -> None:
    outputs = [("=1", "=2"), ("=1", "!ValueError"), ("=9", "=9")]
    assert supports(outputs, [2, 1, 4], power=1.0) == [2.5, 2.0, 4.0]
    assert supports(outputs, [2, 1, 4], power=2.0) == [2.25, 1.5, 4.0]
    assert supports([(), ()], [3, 1], power=1.0) == [4.0, 4.0]  # no probes: nothing tells them apart


@pytest.fixture(scope="module")
def passing(ex: Executor) -> list[ProgramGroup]:
    return pool(TASK, CANDIDATES, ex)


def test_right_programs_that_differ_on_an_edge_case_back_each_other(ex: Executor, passing: list[ProgramGroup]) -> None:
    right = {p: v.passed for p, v in grade_programs(TASK, [g.code for g in passing], ex, None).items()}
    assert 0 < sum(right.values()) < len(passing)
    # Size ties at 2 samples between a wrong cluster and two right ones; logprob breaks the tie the wrong way.
    by_size = select(TASK.problem, passing, executor=ex, config=SelectConfig(w_codet=0, w_logprob=0.5))
    soft = select(TASK.problem, passing, executor=ex, config=SelectConfig(w_codet=0, w_logprob=0.5, agreement_power=1))
    assert by_size.clusters[0].samples == max(c.samples for c in by_size.clusters)
    assert not right[by_size.submissions[0].program]
    assert right[soft.submissions[0].program]
    top = soft.clusters[0]
    assert top.scores.support is not None and top.samples < top.scores.support <= len(CANDIDATES)
    assert by_size.clusters[0].scores.support is None
