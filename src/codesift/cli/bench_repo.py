"""`codesift bench repo`: the repository benchmark (issue 14), built and run from its manifest.

    codesift bench repo --build                                   # tasks from bench/repo_manifest.toml (pip)
    codesift bench repo --recall --tokens 1500                    # retrieval recall of both packings, no model
    codesift bench repo --context in-file --samples 1 --temperature 0 --run-dir runs/repo-in-file
    codesift bench repo --context repo-map --samples 10 --run-dir runs/repo-map-n10 --stage sample
    codesift bench repo --table runs/repo-in-file --table runs/repo-map-n10   # or --table runs

Paths default to a codesift checkout's (run from its root); sdists and their sources live in
``$CODESIFT_CACHE/repo-bench`` (default ``~/.cache/codesift/repo-bench``), never in the checkout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from codesift.cli.common import (
    check_backend,
    check_models,
    err,
    open_backends,
    progress_events,
    solve_config,
    user_errors,
)
from codesift.errors import UsageError

if TYPE_CHECKING:
    from codesift.bench.repo import BenchTask, Package
    from codesift.pipeline import SolveConfig
    from codesift.repo.context import Mode


def bench_repo(
    *, model: str, samples: int, temperature: float, seed: int, max_tokens: int, prompt: str,
    policies: Path | None, backend: str, base_url: str | None, api: str, lora: Path | None, grammar: str,
    repair_tokens: int, knobs: list[str] | None, submissions: int, limit: int | None, problems: str | None,
    run_dir: Path | None, sandbox: str, as_json: bool, reference: bool, context: str, tokens: int, stage: str,
    manifest: Path, tasks_file: Path, build: bool, per_package: int, package: str | None, recall: bool,
    table: list[Path], other: dict[str, bool],
) -> None:  # fmt: skip
    """Every `codesift bench repo` action; each mistake a user can fix is one line and exit code 2."""
    from codesift.bench.repo_run import STAGES
    from codesift.repo.context import MODES

    with user_errors():
        misplaced = [flag for flag, given in other.items() if given]
        if misplaced:
            raise UsageError(f"{', '.join(misplaced)}: not for `codesift bench repo` (it reads --manifest and --tasks)")
        actions = [flag for flag, on in (("--build", build), ("--recall", recall), ("--table", bool(table)),
                                         ("--reference", reference)) if on]  # fmt: skip
        if len(actions) > 1:
            raise UsageError(f"{' and '.join(actions)}: one at a time")
        if context not in MODES:
            raise UsageError(f"--context {context!r}: use one of {', '.join(MODES)}")
        mode = cast("Mode", context)
        if stage not in STAGES:
            raise UsageError(f"--stage {stage!r}: use one of {', '.join(STAGES)}")
        if table:
            return _table(table, as_json)
        if build:
            return _build(manifest, tasks_file, per_package, package, as_json)
        if package is not None:
            raise UsageError("--package picks the package to rebuild: use it with --build")
        from codesift.bench.repo import interleaved, load_tasks, packages_of
        from codesift.bench.tasks import select

        tasks = select(interleaved(load_tasks(tasks_file)), problems, limit)
        packages = packages_of(manifest, tasks)
        if recall:
            return _recall(tasks, packages, tokens, as_json)
        if reference:
            return _reference(tasks, packages, mode, tokens, run_dir, sandbox, as_json)
        check_backend(backend)
        config = solve_config(
            "bench", policies, model, temperature, prompt, backend, base_url, max_tokens, api, lora, grammar,
            samples, seed, submissions, repair_tokens, knobs,
        )  # fmt: skip
        _run(tasks, packages, config, mode, tokens, stage, run_dir, sandbox, as_json)


def _build(manifest: Path, tasks_file: Path, per_package: int, package: str | None, as_json: bool) -> None:
    from codesift.bench.repo import build

    tasks = build(manifest, tasks_file, per_package, package, log=lambda line: err.print(line, highlight=False))
    with_examples = sum(t.has_examples for t in tasks)
    if as_json:
        print(json.dumps({"tasks": len(tasks), "with_examples": with_examples, "path": str(tasks_file)}))
    else:
        print(f"{len(tasks)} tasks ({with_examples} with docstring examples) -> {tasks_file}")


def _table(paths: list[Path], as_json: bool) -> None:
    from codesift.bench.repo_table import find_runs, render_runs, run_table

    groups = run_table(find_runs(paths))
    if as_json:
        print(json.dumps({"groups": [g.model_dump(mode="json") for g in groups]}))
    else:
        print(render_runs(groups), end="")


def _recall(tasks: list[BenchTask], packages: dict[str, Package], tokens: int, as_json: bool) -> None:
    from codesift.bench.repo import prepare
    from codesift.bench.repo_table import recall_table, render_recall
    from codesift.repo.context import MODES

    per_mode = {mode: [m for _, m in prepare(tasks, packages, mode, tokens)] for mode in MODES}
    result = recall_table(per_mode, tokens)
    print(result.model_dump_json() if as_json else render_recall(result), end="\n" if as_json else "")


def _reference(
    tasks: list[BenchTask], packages: dict[str, Package], context: Mode, tokens: int, run_dir: Path | None,
    sandbox: str, as_json: bool,
) -> None:  # fmt: skip
    from codesift.bench.repo import prepare
    from codesift.bench.repo_run import grade_references
    from codesift.cli.bench import print_references
    from codesift.store import Store

    prepared = prepare(tasks, packages, context, tokens)
    with Store(run_dir / "reference.sqlite" if run_dir else ":memory:") as store, _events(as_json) as events:
        results = grade_references(prepared, store, sandbox=sandbox, events=events)
    print_references(results, [m.task.problem for _, m in prepared], as_json)


def _events(as_json: bool) -> Any:
    return progress_events(not as_json and sys.stderr.isatty())


def _run(
    tasks: list[BenchTask], packages: dict[str, Package], config: SolveConfig, context: Mode, tokens: int, stage: str,
    run_dir: Path | None, sandbox: str, as_json: bool,
) -> None:  # fmt: skip
    from codesift.bench.repo import prepare
    from codesift.bench.repo_run import PREPARED, grade_tasks, open_repo_run, run_spec, sample_tasks
    from codesift.bench.repo_table import read_run, render_runs, run_table
    from codesift.cli.bench import default_run_dir

    policy = config.policies[0]
    run_dir = run_dir or default_run_dir(
        f"repo-{context}-{tokens}", policy.model, config.samples, policy.temperature, "run"
    )
    spec = run_spec(config, context, tokens)
    out: dict[str, Any] = {"run_dir": str(run_dir), "stage": stage, "tasks": len(tasks)}
    table = ""
    with open_repo_run(run_dir, spec) as store:
        prepared = prepare(tasks, packages, context, tokens, saved=run_dir / PREPARED)
        if stage == "sample":
            check_models(config.policies)
            with open_backends("local", None) as pool, _events(as_json) as events:
                out["sampled"] = sample_tasks(prepared, config, store, pool, events)
        elif stage in ("all", "grade"):
            if stage == "all":
                check_models(config.policies)
            with open_backends("local", None) as pool, _events(as_json) as events:
                results, skipped = grade_tasks(prepared, config, store, run_dir, spec, sandbox=sandbox,
                                               backend_for=pool if stage == "all" else None, events=events)  # fmt: skip
            out |= {"graded": len(results.rows), "skipped": skipped, "isolation": results.isolation}
            if results.rows:
                out["summary"] = results.summary.model_dump(mode="json")
                [group] = run_table([read_run(run_dir)])  # the results file the run just wrote
                out["table"] = group.runs[0].model_dump(mode="json")
                table = render_runs([group])
    if as_json:
        print(json.dumps(out))
        return
    done = {"prepare": f"{len(prepared)} tasks prepared", "sample": f"{out.get('sampled', 0)} tasks sampled"}
    if stage in done:
        print(f"{done[stage]} -> {run_dir}")
        return
    if out["skipped"]:
        err.print(f"{out['skipped']} task(s) without all their samples were skipped (--stage sample first)")
    print(table, end="")
    print(f"run dir: {run_dir} (codesift bench repo --table {run_dir})")
