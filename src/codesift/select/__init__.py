"""AlphaCode-style selection: probe inputs → behavioural clusters → ranked submissions.

The pipeline calls, after filtering on the visible examples::

    selection = select(problem, groups, executor=ex, config=SelectConfig(...),
                       model_tests=written.tests, submissions=k, cache=store)

``groups`` are the distinct passing programs (`extract.ProgramGroup`), duplicates counted as votes.
Model tests come from `write_tests` (a separate prompt); their inputs double as probe inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from codesift.execute.cached import ExecutionCache, Mapper, run_all
from codesift.extract import ProgramGroup
from codesift.records import Problem, Test, WrittenTests
from codesift.select.cluster import cluster, separating, signatures
from codesift.select.probe import probe_tests
from codesift.select.rank import rank
from codesift.select.rank import submissions as make_submissions
from codesift.select.stress import fast_first
from codesift.select.types import Cluster, SelectConfig, Selection
from codesift.select.written import write_tests

__all__ = ["Cluster", "ProgramGroup", "SelectConfig", "Selection", "WrittenTests", "select", "write_tests"]


def select(
    problem: Problem,
    groups: Sequence[ProgramGroup],
    *,
    executor: Mapper,
    config: SelectConfig | None = None,
    model_tests: Sequence[Test] = (),
    submissions: int = 1,
    cache: ExecutionCache | None = None,
    probes: Sequence[Test] | None = None,
    examples_passed: int | None = None,
) -> Selection:
    """Rank ``groups`` and pick ``submissions`` programs, one per behaviour cluster, best first.

    ``probes`` overrides probe generation (the interactive loop passes the user's tests);
    ``cache`` (a `Store`) makes a re-run on a stored run cost no executions; ``examples_passed``
    (default: all) is how many visible examples every one of ``groups`` passes.
    """
    config = config or SelectConfig()
    on_examples = len(problem.examples) if examples_passed is None else examples_passed
    if not groups:
        return Selection(submissions=(), clusters=(), probes=())
    codet = tuple(model_tests) if config.w_codet else ()
    if probes is None:
        inputs = [t.input for t in model_tests] if config.model_inputs else []
        probes = probe_tests(
            problem,
            model_inputs=inputs,
            mutations=config.mutations,
            typed=config.typed,
            limit=config.max_probes,
            seed=config.seed,
        )
    probes = tuple(probes) if config.cluster and len(groups) > 1 else ()
    results = run_all(groups, (*probes, *codet), executor, cache, problem.entry_point)
    sigs = signatures(groups, probes, results, config.float_digits)
    if not config.cluster:
        sigs = {g.program: (g.program,) for g in groups}
    buckets = cluster(groups, sigs)
    outputs = [sigs[members[0].program] for members in buckets]
    passes = [[results[members[0].program][t.key].status == "passed" for t in codet] for members in buckets]
    ranked = rank(buckets, outputs, passes, config)
    if config.stress is not None:
        ranked = fast_first(ranked, problem, config.stress, executor, cache, count=submissions)
    split = separating([c.outputs for c in ranked[:10]]) if probes else []
    return Selection(
        submissions=tuple(make_submissions(ranked, submissions, on_examples, len(problem.examples))),
        clusters=tuple(ranked),
        probes=probes,
        separating=tuple(split),
        executions=sum(1 for g in groups for t in (*probes, *codet) if results[g.program].get(t.key)),
    )
