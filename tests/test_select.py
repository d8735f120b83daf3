"""Selection end to end through the real sandbox, on small programs of the kinds models write."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from codesift.execute import Executor, Job
from codesift.extract import ProgramGroup
from codesift.records import Candidate, Execution, Problem, Test
from codesift.select import SelectConfig, select
from codesift.store import Store

REMOVE_OCC = Problem(
    id="Mbpp/11",
    style="function",
    entry_point="remove_Occ",
    prompt='"""\nWrite a python function to remove first and last occurrence of a given character.\n"""\n',
    examples=(Test(kind="call", input='"hello","l"', output='"heo"'),),
)
# Right: find / rfind.
FIND = """def remove_Occ(s, ch):
    i = s.find(ch)
    if i != -1:
        s = s[:i] + s[i + 1:]
    j = s.rfind(ch)
    if j != -1:
        s = s[:j] + s[j + 1:]
    return s
"""
# Right, written differently, and equal to FIND even on odd inputs ("" or "ll" as the character):
# must land in FIND's cluster.
LOOPS = """def remove_Occ(s, ch):
    try:
        i = s.index(ch)
        s = s[:i] + s[i + 1:]
        j = s.rindex(ch)
        s = s[:j] + s[j + 1:]
    except ValueError:
        pass
    return s
"""
# Right on single characters, but not FIND's twin on "" or "ll": the probes must split it off.
SCAN = """def remove_Occ(s, ch):
    for i in range(len(s)):
        if s[i] == ch:
            s = s[0:i] + s[i + 1:]
            break
    for i in range(len(s) - 1, -1, -1):
        if s[i] == ch:
            s = s[0:i] + s[i + 1:]
            break
    return s
"""
# Wrong: removes every occurrence (passes the example).
REPLACE = """def remove_Occ(s, ch):
    return s.replace(ch, "")
"""
# Wrong only when the character is absent (ValueError).
INDEX = """def remove_Occ(s, ch):
    first = s.index(ch)
    last = s.rindex(ch)
    if first == last:
        return s[:first] + s[first + 1:]
    return s[:first] + s[first + 1:last] + s[last + 1:]
"""

MAX = Problem(
    id="stdio/max",
    style="stdio",
    prompt="Print the largest of n integers.",
    examples=(Test(kind="stdio", input="3\n1 5 3\n", output="5\n"),),
)
MAX_INT = "n = int(input())\nprint(max(map(int, input().split())))\n"
MAX_STR = "n = input()\nprint(sorted(input().split())[-1])\n"


def group(code: str, votes: int, logprob: float = -0.2) -> ProgramGroup:
    return ProgramGroup(
        code=code,
        candidates=tuple(
            Candidate(
                problem_id="p",
                policy="t",
                seed=s,
                completion=code,
                code=code,
                prompt_tokens=90,
                completion_tokens=60,
                mean_logprob=logprob,
                seconds=1.0,
            )
            for s in range(votes)
        ),
    )


class Counting:
    """The real executor, counting the programs it is asked to run (to check cache reuse)."""

    def __init__(self, ex: Executor) -> None:
        self.ex, self.jobs = ex, 0

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, list[Execution]]]:
        jobs = list(jobs)
        self.jobs += len(jobs)
        return self.ex.map(jobs)


def test_equivalent_programs_cluster_and_the_larger_cluster_wins(ex: Executor) -> None:
    groups = [group(REPLACE, 3), group(FIND, 3), group(LOOPS, 1), group(INDEX, 1), group(SCAN, 1)]
    sel = select(REMOVE_OCC, groups, executor=ex, config=SelectConfig(w_logprob=0, w_codet=0), submissions=5)
    assert [len(c.groups) for c in sel.clusters] == [2, 1, 1, 1]
    assert {g.code for g in sel.clusters[0].groups} == {FIND, LOOPS}
    assert sel.submissions[0].code == FIND and sel.submissions[0].cluster_size == 4
    assert sel.submissions[1].code == REPLACE and {s.code for s in sel.submissions[2:4]} == {INDEX, SCAN}
    assert sel.submissions[4].code == LOOPS  # wrap-around: the best cluster's second program
    # The separating inputs tell all four behaviours apart, and show why.
    outs = {tuple(c.outputs[i] for i in sel.separating) for c in sel.clusters}
    assert len(outs) == 4 and sel.separating_inputs


def test_without_clustering_the_most_common_program_wins(ex: Executor) -> None:
    groups = [group(REPLACE, 3), group(FIND, 2), group(LOOPS, 2)]
    plain = select(REMOVE_OCC, groups, executor=ex, config=SelectConfig(cluster=False, w_logprob=0, w_codet=0))
    assert plain.submissions[0].code == REPLACE and plain.executions == 0
    clustered = select(REMOVE_OCC, groups, executor=ex, config=SelectConfig(w_logprob=0, w_codet=0))
    assert clustered.submissions[0].code == FIND


def test_model_tests_outvote_a_bigger_wrong_cluster(ex: Executor) -> None:
    groups = [group(REPLACE, 4), group(FIND, 3)]
    written = [
        Test(kind="call", input="'aaa', 'a'", output="'a'"),
        Test(kind="call", input="'abcda', 'a'", output="'bcd'"),
        Test(kind="call", input="'banana', 'a'", output="'bnan'"),
    ]
    sel = select(REMOVE_OCC, groups, executor=ex, config=SelectConfig(w_logprob=0), model_tests=written)
    best = sel.clusters[0]
    assert best.groups[0].code == FIND and best.tests_passed == 3
    assert sel.clusters[1].tests_passed == 1
    size_only = select(REMOVE_OCC, groups, executor=ex, config=SelectConfig(w_logprob=0, w_codet=0))
    assert size_only.submissions[0].code == REPLACE


def test_stdio_probes_separate_string_and_integer_comparison(ex: Executor) -> None:
    sel = select(
        MAX,
        [group(MAX_STR, 2), group(MAX_INT, 1)],
        executor=ex,
        config=SelectConfig(w_logprob=0, w_codet=0),
        submissions=2,
    )
    assert len(sel.clusters) == 2
    assert all(p.kind == "stdio" and p.output is None for p in sel.probes)


def test_rerun_on_a_store_costs_no_executions(ex: Executor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    groups = [group(REPLACE, 2), group(FIND, 1), group(INDEX, 1)]
    counting = Counting(ex)
    with Store(tmp_path / "run.db") as store:
        first = select(REMOVE_OCC, groups, executor=counting, cache=store)
        assert counting.jobs == 4  # each program on the probes, then the speed check's scaled-up input
        again = select(REMOVE_OCC, groups, executor=counting, cache=store)
    assert counting.jobs == 4
    assert again.model_dump() == first.model_dump()
