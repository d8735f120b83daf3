"""The human-in-the-loop session: the user's answers drop the clusters they contradict."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from test_select import FIND, INDEX, LOOPS, REMOVE_OCC, REPLACE, group

from codesift.execute import Executor
from codesift.interactive import Session, run_interactive, show
from codesift.records import Test


def session(ex: Executor) -> Session:
    return Session(REMOVE_OCC, [group(REPLACE, 4), group(FIND, 2), group(LOOPS, 1), group(INDEX, 1)], executor=ex)


def right_choice(s: Session) -> int | None:
    """What a user who knows FIND is right answers: the index of FIND's behaviour, or None when settled."""
    d = s.disagreement()
    if d is None:
        return None
    return next(
        i for i, c in enumerate(s.selection.clusters[: len(d.behaviours)]) if FIND in [g.code for g in c.groups]
    )


def test_choosing_outputs_keeps_only_the_agreeing_cluster(ex: Executor) -> None:
    s = session(ex)
    assert s.selection.submissions[0].code == REPLACE
    rounds = 0
    while (i := right_choice(s)) is not None and rounds < 5:
        d = s.disagreement()
        assert d is not None and len(set(d.behaviours)) >= 2
        s.choose(d.probe, d.behaviours[i])
        rounds += 1
    assert 1 <= rounds <= 2
    assert s.selection.submissions[0].code == FIND
    assert {g.code for c in s.selection.clusters for g in c.groups} == {FIND, LOOPS}


def test_a_user_test_drops_failing_programs_and_a_hint_extends_the_prompt(ex: Executor) -> None:
    s = session(ex)
    s.add_test(Test(kind="call", input="'xyz', 'a'", output="'xyz'"))
    codes = {g.code for c in s.selection.clusters for g in c.groups}
    assert codes == {REPLACE, FIND, LOOPS}
    s.add_test(Test(kind="call", input="'aaa', 'a'", output="'a'"))
    assert {g.code for c in s.selection.clusters for g in c.groups} == {FIND, LOOPS}
    problem = s.hint("only the first and the last occurrence are removed")
    assert problem.prompt.endswith("Note: only the first and the last occurrence are removed\n")
    s.extend([group(INDEX, 3)])
    assert INDEX not in {g.code for c in s.selection.clusters for g in c.groups}


class User(io.StringIO):
    """stdin of a user who answers each question the loop asks, from what the session shows now."""

    def __init__(self, s: Session) -> None:
        super().__init__()
        self.s = s

    def readline(self, size: int | None = -1) -> str:
        i = right_choice(self.s)
        return "a\n" if i is None else f"{i + 1}\n"


def test_terminal_loop_asks_until_the_user_accepts(ex: Executor, monkeypatch: pytest.MonkeyPatch) -> None:
    s = session(ex)
    d = s.disagreement()
    assert d is not None
    monkeypatch.setattr("sys.stdin", User(s))
    out = io.StringIO()
    chosen = run_interactive(s, console=Console(file=out, width=120))
    assert chosen.submissions[0].code == FIND
    assert d.probe.input.strip() in out.getvalue() and show(d.behaviours[0]) in out.getvalue()
