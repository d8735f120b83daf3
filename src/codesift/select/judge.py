"""The distinguishing test (after S*, Li et al. 2025): when the two best clusters disagree, the model settles it.

Clusters split exactly where programs behave differently, so a probe input on which the leading cluster and its
runner-up return different values is a *distinguishing input*. S* shows a judge model both outputs and asks which
is right; codesift's small models, asked that way about running_max (both outputs shown, both orders, a few lines
of working allowed), answered "A" whatever the order, both the 0.5B and the 1.5B model, the 1.5B after working that
never reached the case. So the judge here is asked for the expected result itself, in the form the test writer uses
(``assert f(<input>) == `` completed with one literal, greedy and grammar-constrained; for stdin/stdout problems the
expected stdout), without seeing either program's output: no position to favour, nothing to anchor on. The
prediction becomes a test; the runner-up is promoted only when it passes that test and the leader fails it. A
prediction matching neither leaves the ranking as it was.

The shortest distinguishing input is used (a small case is one the model can work out); inputs on which either
cluster raised or timed out are skipped: a crash is often the probe's fault (an input outside the domain).
"""

from __future__ import annotations

from collections.abc import Callable

from codesift.backends import Backend
from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.grammars.structured import literal_grammar
from codesift.records import Completion, Policy, Problem, Prompt, Test, call_key
from codesift.select.rank import submissions as make_submissions
from codesift.select.types import Cluster, Selection
from codesift.store import Store

_SYSTEM = "You are an expert software tester. You work out exactly what a correct program returns."


def distinguishing(first: Cluster, second: Cluster, probes: tuple[Test, ...]) -> int | None:
    """The index of the shortest probe on which both clusters returned a value and the values differ."""
    differing = [
        i
        for i, (a, b) in enumerate(zip(first.outputs, second.outputs, strict=True))
        if a != b and a.startswith("=") and b.startswith("=")
    ]
    return min(differing, key=lambda i: (len(probes[i].input), i)) if differing else None


def judge_prompt(problem: Problem, case: Test) -> Prompt:
    """The statement and one input; the completion is the expected result (pre-filled up to it)."""
    if problem.style == "stdio":
        user = f"{problem.prompt.strip()}\n\nWrite the exact expected output for this input."
        prefill = f"Input:\n```\n{case.input.rstrip()}\n```\nOutput:\n```\n"
        return Prompt(messages=(("system", _SYSTEM), ("user", user)), prefill=prefill, stop=("```", "<|im_end|>"))
    call = f"{problem.entry_point}({case.input})"
    user = f"```python\n{problem.prompt.strip()}\n```\n\nWhat exactly does `{call}` return? Complete the assert."
    return Prompt(
        messages=(("system", _SYSTEM), ("user", user)),
        prefill=f"```python\nassert {call} == ",
        stop=("\n", "```", "<|im_end|>"),
    )


def judge_policy(policy: Policy, problem: Problem) -> Policy:
    """Greedy (a judgement is a reading, not a search); a function's result constrained to one literal."""
    grammar = None if problem.style == "stdio" else literal_grammar()
    return policy.model_copy(update={"temperature": 0.0, "max_tokens": 256, "grammar": grammar, "lora": None})


def predicted_test(problem: Problem, case: Test, completion: Completion) -> Test | None:
    """The judge's prediction as a test of the distinguishing input (None when it wrote nothing)."""
    expected = completion.text.strip()
    if not expected:
        return None
    return Test(kind=case.kind, input=case.input, output=expected if problem.style != "stdio" else expected + "\n")


def judge(
    problem: Problem,
    selection: Selection,
    policy: Policy,
    backend_for: Callable[[Policy], Backend],
    store: Store,
    executor: Mapper,
    cache: ExecutionCache | None = None,
) -> tuple[Selection, tuple[Completion, ...]]:
    """The selection with the runner-up first if only it passes the judge's test; and the judge's calls."""
    clusters = selection.clusters
    if len(clusters) < 2:
        return selection, ()
    first, second = clusters[0], clusters[1]
    at = distinguishing(first, second, selection.probes)
    if at is None:
        return selection, ()
    case = selection.probes[at]
    judge_with = judge_policy(policy, problem)
    prompt = judge_prompt(problem, case)
    key = call_key(prompt, judge_with)
    completion = store.judged(problem.id, key)
    if completion is None:
        completion = backend_for(judge_with).complete(prompt, [0], judge_with)[0]
        store.add_judged(problem.id, key, completion)
    test = predicted_test(problem, case, completion)
    if test is None:
        return selection, (completion,)
    leaders = [first.groups[0], second.groups[0]]
    results = run_all(leaders, [test], executor, cache, problem.entry_point)
    passed = [results[g.program][test.key].status == "passed" for g in leaders]
    if passed != [False, True]:
        return selection, (completion,)
    ranked = [second, first, *clusters[2:]]
    shown = selection.submissions[0] if selection.submissions else None
    examples = (shown.examples_passed, shown.examples_total) if shown else (0, 0)
    promoted = make_submissions(ranked, len(selection.submissions), *examples)
    return selection.model_copy(update={"clusters": tuple(ranked), "submissions": tuple(promoted)}), (completion,)
