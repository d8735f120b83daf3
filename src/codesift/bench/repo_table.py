"""The repository benchmark's tables, from graded rows and prepared contexts (no model, no sandbox).

- `run_table`: one row per graded run (context mode × samples), per model and context budget, on the tasks
  graded in every run of that group: pass@1 of the chosen program with its 95% bootstrap interval, raw pass@1,
  oracle, retrieval recall, medians of tokens and model seconds per task; then the paired differences the
  issue's goals are about: repo map minus in-file (same sampling), and n samples minus greedy (same context).
- `recall_table`: retrieval recall of both packings on every task.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

from codesift.bench.metrics import Interval, bootstrap, paired_difference
from codesift.bench.repo import Materialised
from codesift.bench.repo_run import RepoRow
from codesift.bench.run import RESULTS
from codesift.bench.tasks import BenchDataError
from codesift.records import Record
from codesift.repo.context import MODES, Mode


class RepoRun(Record):
    """A graded run: its settings (from its spec) and rows."""

    run_dir: str
    model: str
    context: str
    tokens: int
    samples: int
    temperature: float
    rows: tuple[RepoRow, ...]

    @property
    def name(self) -> str:
        kind = "greedy" if self.samples == 1 and self.temperature == 0 else f"n{self.samples}-t{self.temperature:g}"
        return f"{self.context}-{self.tokens}-{kind}"


class RunStats(Record):
    name: str
    run_dir: str
    tasks: int
    passed: int
    pass_at_1: Interval
    raw: float
    oracle: float
    recall: Interval | None
    recall_tasks: int
    context_tokens: float  # medians per task
    prompt_tokens: float
    completion_tokens: float
    seconds: float


class Paired(Record):
    a: str
    b: str
    difference: Interval  # a minus b, per task, in pass@1


class RunGroup(Record):
    model: str
    tokens: int
    tasks: int  # graded in every run of the group
    runs: tuple[RunStats, ...]
    paired: tuple[Paired, ...]


def read_run(run_dir: Path) -> RepoRun:
    """A graded run of `codesift bench repo`: its spec and rows, from its results file (`RepoResults`)."""
    try:
        results = json.loads((run_dir / RESULTS).read_text())
        spec, rows = results["config"], tuple(RepoRow.model_validate(r) for r in results["rows"])
        policy = spec["config"]["policies"][0]
        return RepoRun(
            run_dir=str(run_dir), model=policy["model"], context=spec["context"], tokens=spec["tokens"],
            samples=spec["config"]["samples"], temperature=policy["temperature"], rows=rows,
        )  # fmt: skip
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        raise BenchDataError(f"{run_dir / RESULTS}: not the results of a graded `codesift bench repo` run") from None


def is_repo_run(run_dir: Path) -> bool:
    try:
        return bool(json.loads((run_dir / RESULTS).read_text())["config"]["benchmark"] == "repo")
    except (OSError, ValueError, KeyError, TypeError):
        return False


def find_runs(paths: Sequence[Path]) -> list[RepoRun]:
    """Each path is a run dir or a folder of run dirs (one level down; other benchmarks' runs are passed over)."""
    runs = []
    for path in paths:
        if not path.is_dir():
            raise BenchDataError(f"--table {path}: not a directory; pass run dirs of `codesift bench repo`")
        dirs = [path] if is_repo_run(path) else [d for d in sorted(path.iterdir()) if d.is_dir() and is_repo_run(d)]
        if not dirs:
            raise BenchDataError(f"--table {path}: no graded run of `codesift bench repo` in it or one level down")
        runs += [read_run(d) for d in dirs]
    return runs


def _median(rows: Sequence[RepoRow], field: str) -> float:
    return float(statistics.median(getattr(r, field) for r in rows))


def run_stats(run: RepoRun, ids: Sequence[str]) -> RunStats:
    by_id = {r.id: r for r in run.rows}
    rows = [by_id[i] for i in ids]
    recalls = [r.recall for r in rows if r.recall is not None]
    return RunStats(
        name=run.name, run_dir=run.run_dir, tasks=len(rows), passed=sum(r.passed for r in rows),
        pass_at_1=bootstrap([float(r.passed) for r in rows]), raw=statistics.fmean(r.raw for r in rows),
        oracle=statistics.fmean(float(r.oracle) for r in rows), recall=bootstrap(recalls) if recalls else None,
        recall_tasks=len(recalls), context_tokens=_median(rows, "context_tokens"),
        prompt_tokens=_median(rows, "prompt_tokens"), completion_tokens=_median(rows, "completion_tokens"),
        seconds=_median(rows, "seconds"),
    )  # fmt: skip


def _pairs(runs: Sequence[RepoRun]) -> list[tuple[RepoRun, RepoRun]]:
    """(a, b) for a minus b: repo map minus in-file at the same sampling; n samples minus greedy in one context."""
    out = []
    for a in runs:
        for b in runs:
            same_sampling = (a.samples, a.temperature) == (b.samples, b.temperature)
            context = same_sampling and a.context == "repo-map" and b.context == "in-file"
            selection = a.context == b.context and a.samples > 1 and b.samples == 1 and b.temperature == 0
            if context or selection:
                out.append((a, b))
    return out


def run_table(runs: Sequence[RepoRun]) -> list[RunGroup]:
    """Runs grouped by model and context budget, each compared on the tasks graded in all of its runs."""
    groups: dict[tuple[str, int], list[RepoRun]] = {}
    for run in runs:
        groups.setdefault((run.model, run.tokens), []).append(run)
    out = []
    for (model, tokens), members in groups.items():
        names = [r.name for r in members]
        if len(set(names)) < len(names):
            dupes = sorted({r.run_dir for r in members if names.count(r.name) > 1})
            raise BenchDataError(f"runs with the same settings: {', '.join(dupes)}; pass one of them to --table")
        ids = sorted(set.intersection(*({r.id for r in m.rows} for m in members)))
        if not ids:
            raise BenchDataError(f"{model}, {tokens} tokens: no task is graded in every run ({', '.join(names)})")
        paired = []
        for a, b in _pairs(members):
            pa, pb = ({r.id: float(r.passed) for r in run.rows} for run in (a, b))
            paired.append(Paired(a=a.name, b=b.name, difference=paired_difference([pa[i] for i in ids],
                                                                                  [pb[i] for i in ids])))  # fmt: skip
        stats = tuple(run_stats(m, ids) for m in sorted(members, key=lambda r: (r.samples, r.context != "in-file")))
        out.append(RunGroup(model=model, tokens=tokens, tasks=len(ids), runs=stats, paired=tuple(paired)))
    return out


def _signed(i: Interval, scale: float = 100.0, digits: int = 1) -> str:
    return f"{scale * i.mean:+.{digits}f} [{scale * i.low:+.{digits}f}, {scale * i.high:+.{digits}f}]"


def render_runs(groups: Sequence[RunGroup]) -> str:
    """Markdown, as docs/RESULTS.md shows it."""
    out = []
    for g in groups:
        out.append(f"{g.model}, context budget {g.tokens} tokens, {g.tasks} tasks graded in every run\n")
        out.append(
            "| run | pass@1 % (chosen) [95% CI] | passed | raw pass@1 % | oracle % | retrieval recall [95% CI] (tasks) "
            "| context tokens | prompt tokens | completion tokens | model s/task |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for s in g.runs:
            rc = f"{s.recall.mean:.2f} [{s.recall.low:.2f}, {s.recall.high:.2f}]" if s.recall else "-"
            out.append(
                f"| {s.name} | {s.pass_at_1} | {s.passed}/{s.tasks} | {100 * s.raw:.1f} | {100 * s.oracle:.1f} "
                f"| {rc} ({s.recall_tasks}) | {s.context_tokens:.0f} | {s.prompt_tokens:.0f} "
                f"| {s.completion_tokens:.0f} | {s.seconds:.1f} |"
            )
        out += [f"\n{p.a} minus {p.b}, paired over tasks: {_signed(p.difference)} points" for p in g.paired]
        out.append("")
    return "\n".join(out)


class RecallStats(Record):
    context: str
    recall: Interval
    full: int  # tasks with recall 1
    median_context_tokens: float


class RecallTable(Record):
    tasks: int
    calling: int  # tasks whose reference calls a function of its package
    tokens: int
    modes: tuple[RecallStats, ...]
    difference: Interval  # repo map minus in-file, paired


def recall_table(per_mode: Mapping[Mode, Sequence[Materialised]], tokens: int) -> RecallTable:
    """Recall of each packing over the tasks whose reference calls a package function (the same tasks in every
    mode: which functions the reference calls does not depend on the context)."""
    first = per_mode[MODES[0]]
    calling = [i for i, m in enumerate(first) if m.recall is not None]
    if not calling:
        raise BenchDataError("no task's reference calls a function of its package: recall is undefined")
    values = {mode: [float(ms[i].recall or 0.0) for i in calling] for mode, ms in per_mode.items()}
    modes = tuple(
        RecallStats(
            context=mode,
            recall=bootstrap(values[mode]),
            full=sum(v == 1.0 for v in values[mode]),
            median_context_tokens=float(statistics.median(m.task.context.tokens for m in per_mode[mode])),
        )
        for mode in MODES
    )
    diff = paired_difference(values["repo-map"], values["in-file"])
    return RecallTable(tasks=len(first), calling=len(calling), tokens=tokens, modes=modes, difference=diff)


def render_recall(t: RecallTable) -> str:
    out = [
        f"{t.tasks} tasks, {t.calling} whose reference calls a function of its package; "
        f"context budget {t.tokens} tokens\n",
        "| context | retrieval recall [95% CI] | recall = 1 | median context tokens |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {m.context} | {m.recall.mean:.2f} [{m.recall.low:.2f}, {m.recall.high:.2f}] | {m.full}/{t.calling} "
        f"| {m.median_context_tokens:.0f} |"
        for m in t.modes
    ]
    out.append(f"\nrepo-map minus in-file, paired: {_signed(t.difference, 1.0, 2)}")
    return "\n".join(out) + "\n"
