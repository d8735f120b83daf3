"""The speed check: scaled-up inputs keep the example's layout, and a cluster's slow program steps aside."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_select import group

from codesift.execute import Executor, Limits, make_executor
from codesift.records import Problem, Test
from codesift.select import SelectConfig, select
from codesift.select.stress import stress_tests

PAIRS = Problem(
    id="stdio/pairs",
    style="stdio",
    prompt="Count the pairs i < j with |a_i - a_j| <= d. Input: 'n d', then n integers.",
    examples=(
        Test(kind="stdio", input="3 0\n7 7 7\n", output="3\n"),
        Test(kind="stdio", input="4 2\n1 5 3 4\n", output="4\n"),
    ),
)
# Both right; the first is quadratic, the second sorts and slides a window.
SLOW_PAIRS = """_, d = map(int, input().split())
a = list(map(int, input().split()))
print(sum(1 for i in range(len(a)) for j in range(i + 1, len(a)) if abs(a[i] - a[j]) <= d))
"""
FAST_PAIRS = """_, d = map(int, input().split())
a = sorted(map(int, input().split()))
count = left = 0
for right in range(len(a)):
    while left < right and a[right] - a[left] > d:
        left += 1
    count += right - left
print(count)
"""


def test_a_counted_line_grows_with_its_header() -> None:
    (test,) = stress_tests(PAIRS, 50)
    header, line = test.input.rstrip("\n").split("\n")
    values = [int(v) for v in line.split()]
    assert header == "50 2" and len(values) == 50 and all(1 <= v <= 5 for v in values)


def test_counted_lines_and_read_to_the_end_inputs_grow_by_whole_lines() -> None:
    counted = Problem(id="s/1", style="stdio", prompt="", examples=(Test(kind="stdio", input="2\nab 1\ncd 2\n"),))
    (test,) = stress_tests(counted, 30)
    header, *body = test.input.rstrip("\n").split("\n")
    assert header == "30" and len(body) == 30 and set(body) <= {"ab 1", "cd 2"}
    votes = Problem(id="s/2", style="stdio", prompt="", examples=(Test(kind="stdio", input="Ana\nbo\nANA\n"),))
    (test,) = stress_tests(votes, 40)
    lines = test.input.rstrip("\n").split("\n")
    assert len(lines) == 40 and set(lines) <= {"Ana", "bo", "ANA"}


def test_function_arguments_grow_lists_and_strings_and_keep_scalars() -> None:
    problem = Problem(
        id="f/1",
        style="function",
        entry_point="f",
        prompt="def f(xs, k, s):\n    pass\n",
        examples=(Test(kind="call", input="[3, 1, 2], 2, 'ab'", output="0"),),
    )
    (test,) = stress_tests(problem, 25)
    xs, k, s = eval(f"({test.input})")
    assert len(xs) == 25 and set(xs) <= {1, 2, 3} and k == 2 and len(s) == 25 and set(s) <= {"a", "b"}
    scalars = problem.model_copy(update={"examples": (Test(kind="call", input="[], 2, 'a'", output="0"),)})
    assert stress_tests(scalars, 25) == ()


@pytest.fixture(scope="module")
def quick() -> Iterator[Executor]:
    with make_executor(workers=2, limits=Limits(timeout=1.0)) as e:
        yield e


def test_the_speed_check_puts_a_fast_program_first_without_changing_the_cluster(quick: Executor) -> None:
    groups = [group(SLOW_PAIRS, 3), group(FAST_PAIRS, 1)]
    plain = select(PAIRS, groups, executor=quick, config=SelectConfig(w_codet=0, stress=None))
    assert len(plain.clusters) == 1 and plain.submissions[0].code == SLOW_PAIRS
    checked = select(PAIRS, groups, executor=quick, config=SelectConfig(w_codet=0, stress=20_000))
    assert len(checked.clusters) == 1 and checked.submissions[0].code == FAST_PAIRS
    assert checked.submissions[0].cluster_size == 4
