"""bench/adaptive_rules.py replays a stopping rule on a problem's sample trace: when it stops and what it submits."""

from __future__ import annotations

import pytest
from script_loader import load_script

from codesift.adaptive import StopRule

rules = load_script("bench", "adaptive_rules")

# cluster 0 has two programs (place 0 wrong, place 1 right); cluster 1 one right program
CORRECT = [[False, True], [True]]


def test_a_decisive_lead_stops_at_the_first_chunk_and_submits_the_most_drawn_program() -> None:
    trace = [[0, 1, 1], [0, 1, 1], [0, 0, 1], [0, 1, 1]] + [[1, 0, 1]] * 16
    out = rules.replay(StopRule(chunk=4, lead=4, ratio=2.0), trace, CORRECT, [10] * 20)
    assert (out.samples, out.tokens, out.solved) == (4, 40, 1.0)


def test_without_a_decisive_lead_every_sample_is_drawn_and_ties_go_to_the_better_ranked_cluster() -> None:
    trace = [[0, 0, 1], [1, 0, 1]] * 10
    out = rules.replay(StopRule(chunk=4, lead=4, ratio=2.0), trace, CORRECT, list(range(20)))
    assert (out.samples, out.tokens, out.solved) == (20, sum(range(20)), 0.0)


@pytest.mark.parametrize(("give_up", "drawn", "drawn_late"), [(0, 20, 16), (8, 8, 8), (12, 12, 16)])
def test_giving_up_stops_only_when_no_drawn_sample_passes_the_examples(
    give_up: int, drawn: int, drawn_late: int
) -> None:
    failing = [[0, 0, 0], [1, 0, 0]] * 10  # best-effort clusters, nothing passes the examples
    out = rules.replay(StopRule(chunk=4, lead=4, ratio=2.0, give_up=give_up), failing, CORRECT, [1] * 20)
    assert out.samples == drawn
    passing_late = failing[:10] + [[1, 0, 1]] * 10  # from sample 11 on, cluster 1 passes and pulls ahead
    assert rules.replay(StopRule(give_up=give_up), passing_late, CORRECT, [1] * 20).samples == drawn_late


def test_a_decisive_leader_that_fails_the_examples_does_not_stop_sampling() -> None:
    assert not StopRule().stops(8, [8], passing=0)
    assert StopRule().stops(8, [8], passing=8)
    best_effort = [[0, 0, 0]] * 20  # one behaviour, but no sample passes the visible examples
    assert rules.replay(StopRule(chunk=4, lead=2, ratio=2.0), best_effort, CORRECT, [1] * 20).samples == 20


def test_the_table_reports_tokens_saved_against_drawing_all_n() -> None:
    row = {rules.TRACE: [[0, 1, 1]] * 8, rules.CORRECT: CORRECT, rules.TOKENS: [5] * 8}
    text = rules.table([row], [StopRule(chunk=4, lead=4, ratio=2.0)])
    assert "| 4.0 | 50% |" in text


def test_a_rule_is_parsed_from_its_four_numbers() -> None:
    assert rules.parse("2,3,3,12") == StopRule(chunk=2, lead=3, ratio=3.0, give_up=12)


def test_the_default_rule_is_the_one_the_complete_mbpp_bank_picked() -> None:
    """Registered in session 14, read in session 15: chunks of 4 saved more on MBPP-sanitized (40% vs 29%) with the
    pass@1 difference's lower bound above -1.5 points, so `solve --adaptive` draws 4 at a time."""
    assert StopRule() == rules.parse("4,2,2,0")
    assert StopRule().schedule(20) == [4, 8, 12, 16, 20]
