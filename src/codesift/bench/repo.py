"""The repository benchmark (issue 14): real functions of real packages, blanked, graded by the packages' own tests.

`codesift bench repo --build` makes the task list (``bench/data/repo_tasks.jsonl``) reproducibly from a manifest
(``bench/repo_manifest.toml``: name, version, sdist file and its sha256): pip downloads each sdist into a cache
outside the repository (`bench_dir`), the sha256 is checked, the package's tests run once on the untouched source
(only passing tests can grade), and a target is kept when

- it is a module-level function or a method (not nested, not a dunder), unique by name in its package,
  whose body (docstring aside) has 2 to 40 lines;
- passing tests name it (their node ids are the hidden tests, grader only; at most 40 of them);
- with its body blanked (``raise NotImplementedError``), at least one of those tests fails, within 20 s.

The package's own tests on its own (unmodified or blanked) source are trusted code: they run here without
the sandbox. Model-written code is only ever run through the sandbox's repo profile (`codesift.bench.repo_run`).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from codesift.backends.models import cache_dir
from codesift.bench.tasks import BenchDataError
from codesift.records import Record
from codesift.repo.context import Mode, recall
from codesift.repo.index import IndexCache, index_repo, with_source
from codesift.repo.target import Target, locate, splice
from codesift.repo.task import RepoTask, build_task, test_functions, tests_using

BLANK = "raise NotImplementedError"
# A target whose tests take longer than this with the body blanked is skipped: grading runs them once per sample.
BLANK_TIMEOUT = 20.0
MAX_HIDDEN = 40
_RESULT = re.compile(r"^(PASSED|FAILED|ERROR) (\S+)", re.MULTILINE)


class Package(Record):
    name: str
    version: str
    sdist: str
    sha256: str
    package: str
    pythonpath: str = "."
    tests: str


class BenchTask(Record):
    """One target; `hidden` are pytest node ids, for the grader only."""

    id: str
    package: str
    path: str
    qualname: str
    hidden: tuple[str, ...]
    has_examples: bool


def bench_dir() -> Path:
    """Downloaded sdists, their unpacked sources and the index cache (``$CODESIFT_CACHE/repo-bench``)."""
    return cache_dir() / "repo-bench"


def load_manifest(path: Path) -> list[Package]:
    """The manifest's packages; a missing or malformed manifest is one line naming the file and the fix."""
    if not path.is_file():
        raise BenchDataError(f"{path}: no such manifest; run from a codesift checkout or pass --manifest FILE")
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))["package"]
        packages = [Package(**p) for p in tables]
    except tomllib.TOMLDecodeError as e:
        raise BenchDataError(f"{path}: not valid TOML ({e})") from None
    except (KeyError, TypeError, ValidationError) as e:
        what = e.errors()[0] if isinstance(e, ValidationError) else None
        detail = f"{'.'.join(map(str, what['loc']))}: {what['msg']}" if what else "no [[package]] tables"
        raise BenchDataError(
            f"{path}: {detail}; every [[package]] needs name, version, sdist, sha256, package and tests"
        ) from None
    if not packages:
        raise BenchDataError(f"{path}: no [[package]] tables")
    return packages


def fetch(pkg: Package) -> Path:
    """The package's unpacked sdist (downloaded with pip and checked against the manifest's sha256 once)."""
    sdists = bench_dir() / "sdists"
    archive = sdists / pkg.sdist
    if not archive.exists():
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "-d", str(sdists), f"{pkg.name}=={pkg.version}"],
            capture_output=True, text=True,
        )  # fmt: skip
        if pip.returncode != 0:
            last = (pip.stderr.strip().splitlines() or ["no output"])[-1]
            raise BenchDataError(f"pip could not download {pkg.name}=={pkg.version} into {sdists}: {last}")
        if not archive.exists():
            raise BenchDataError(
                f"pip downloaded {pkg.name}=={pkg.version} into {sdists} but not {pkg.sdist}; fix the manifest's sdist"
            )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != pkg.sha256:
        raise BenchDataError(
            f"{archive}: sha256 {digest} is not the manifest's {pkg.sha256}; delete it and build again"
        )
    root = bench_dir() / "src" / archive.name.removesuffix(".tar.gz")
    if not root.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(root.parent, filter="data")
    return root


def run_tests(root: Path, pkg: Package, node_ids: list[str], timeout: float = 600) -> dict[str, bool]:
    """pytest on the package's tests (trusted code, untouched or blanked source): node id → passed."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-o", "addopts=", "--no-header",
         *node_ids],
        cwd=root, capture_output=True, text=True, timeout=timeout,
        env={"PYTHONPATH": str(root / pkg.pythonpath), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )  # fmt: skip
    return {m[2]: m[1] == "PASSED" for m in _RESULT.finditer(proc.stdout)}


def base_id(node_id: str) -> str:
    """``tests/t.py::test_x[param-1]`` → ``tests/t.py::test_x`` (parametrised runs count as their function)."""
    return node_id.split("[", 1)[0]


def blanked(target: Target) -> str:
    return splice(target, f"{target.stub}    {BLANK}\n")


def candidates(root: Path, pkg: Package) -> list[Target]:
    """Functions and methods of the package that the target rules allow (before checking the tests)."""
    files = [f for f in index_repo(root) if f.path.startswith(pkg.package + "/") or f.path == pkg.package + ".py"]
    defs = [d for f in files for d in f.definitions if d.kind in ("function", "method")]
    names = [d.name for d in defs]
    found = []
    for d in defs:
        nested = (d.kind == "function" and "." in d.qualname) or d.qualname.count(".") > 1
        if nested or d.name.startswith("__") or names.count(d.name) > 1:
            continue
        target = locate((root / d.path).read_text(encoding="utf-8"), d.path, d.qualname)
        body_lines = target.end_lineno - target.body_lineno + 1
        if 2 <= body_lines <= 40:
            found.append(target)
    return found


def build_package(pkg: Package, limit: int, seed: int = 0) -> list[BenchTask]:
    """Up to `limit` verified targets of one package (a fixed random order, so the choice is reproducible).

    Blanked bodies are written into a scratch copy of the package, never into the cached source tree, so an
    interrupted build leaves nothing half-changed behind."""
    pristine = fetch(pkg)
    passed = run_tests(pristine, pkg, [pkg.tests])
    passing = {base_id(i) for i, ok in passed.items() if ok} - {base_id(i) for i, ok in passed.items() if not ok}
    pool = candidates(pristine, pkg)
    random.Random(f"{pkg.name}-{seed}").shuffle(pool)
    tasks: list[BenchTask] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(shutil.copytree(pristine, Path(scratch) / pristine.name))
        test_index = test_functions(root)
        for target in pool:
            if len(tasks) >= limit:
                break
            hidden = sorted(i for i in tests_using(root, target.name, test_index) if i in passing)
            if not hidden or len(hidden) > MAX_HIDDEN:
                continue
            file = root / target.path
            file.write_text(blanked(target), encoding="utf-8")
            try:
                with_blank = run_tests(root, pkg, hidden, timeout=BLANK_TIMEOUT)
            except subprocess.TimeoutExpired:
                with_blank = {}
            file.write_text(target.source, encoding="utf-8")
            if with_blank and not all(with_blank.values()):
                tasks.append(
                    BenchTask(
                        id=f"{pkg.name}/{target.spec}", package=pkg.name, path=target.path, qualname=target.qualname,
                        hidden=tuple(hidden), has_examples=">>>" in target.docstring,
                    )
                )  # fmt: skip
    return tasks


def build(
    manifest: Path, tasks_path: Path, per_package: int, only: str | None = None, log: Callable[[str], None] = print
) -> list[BenchTask]:
    """Tasks of every package of the manifest (or of `only`, replacing that package's tasks and keeping the
    others'), written to `tasks_path` after each package (an interrupted build keeps what it finished)."""
    packages = load_manifest(manifest)
    if only is not None and only not in {p.name for p in packages}:
        raise BenchDataError(f"--package {only}: not in {manifest} ({', '.join(p.name for p in packages)})")
    tasks = load_tasks(tasks_path) if only and tasks_path.exists() else []
    tasks_path.parent.mkdir(parents=True, exist_ok=True)
    for pkg in packages:
        if only and pkg.name != only:
            continue
        found = build_package(pkg, per_package)
        log(f"{pkg.name}=={pkg.version}: {len(found)} targets")
        tasks = [t for t in tasks if t.package != pkg.name] + found
        tasks_path.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    return tasks


def load_tasks(path: Path) -> list[BenchTask]:
    """The task list in file order (the builder's: package by package)."""
    if not path.is_file():
        raise BenchDataError(f"{path}: no such task list; build it with `codesift bench repo --build` or pass --tasks")
    tasks = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            tasks.append(BenchTask.model_validate_json(line))
        except ValidationError as e:
            raise BenchDataError(f"{path}:{n}: not a repo benchmark task ({e.errors()[0]['msg']})") from None
    if not tasks:
        raise BenchDataError(f"{path}: no tasks; build them with `codesift bench repo --build`")
    return tasks


def interleaved(tasks: Sequence[BenchTask]) -> list[BenchTask]:
    """Task i of every package before task i+1 of any (packages in file order), so the first K tasks are
    spread over all packages and stay the same when a package gains tasks."""
    by_package: dict[str, list[BenchTask]] = {}
    for t in tasks:
        by_package.setdefault(t.package, []).append(t)
    rounds = max(len(v) for v in by_package.values())
    return [v[i] for i in range(rounds) for v in by_package.values() if i < len(v)]


def packages_of(manifest: Path, tasks: Sequence[BenchTask]) -> dict[str, Package]:
    """The manifest's packages by name; every task's package must be one of them."""
    packages = {p.name: p for p in load_manifest(manifest)}
    missing = sorted({t.package for t in tasks} - set(packages))
    if missing:
        raise BenchDataError(
            f"tasks of {', '.join(missing)}: not in {manifest}; rebuild the task list or fix --manifest"
        )
    return packages


class Materialised(Record):
    """A benchmark task ready for prompting: the repo task built on the blanked module (its problem's id is the
    benchmark task's), the reference function's source (for recall and `--reference` only; it never reaches
    the prompt), and the retrieval recall of the packed context (None when the reference calls no package
    function)."""

    task: RepoTask
    reference: str
    package_root: str
    pythonpath: str
    recall: float | None = None


def materialise(bench_task: BenchTask, pkg: Package, mode: Mode, budget: int, cache: IndexCache | None) -> Materialised:
    root = fetch(pkg)
    original = locate((root / bench_task.path).read_text(encoding="utf-8"), bench_task.path, bench_task.qualname)
    lines = original.source.splitlines(keepends=True)
    reference = textwrap.dedent("".join(lines[original.lineno - 1 : original.end_lineno]))
    stub = locate(blanked(original), bench_task.path, bench_task.qualname)
    files = with_source(index_repo(root, cache), stub.path, stub.source)
    task = build_task(root, stub, budget=budget, mode=mode, repo_tests=False, files=files)
    task = task.model_copy(update={"problem": task.problem.model_copy(update={"id": bench_task.id})})
    return Materialised(
        task=task, reference=reference, package_root=str(root), pythonpath=pkg.pythonpath,
        recall=recall(files, stub, reference, task.context),
    )  # fmt: skip


def prepare(
    tasks: Sequence[BenchTask], packages: dict[str, Package], mode: Mode, budget: int, saved: Path | None = None
) -> list[tuple[BenchTask, Materialised]]:
    """Every task's prompt and context; with `saved`, kept in that JSON Lines file (a run dir's), so a run reuses
    the contexts it sampled with and a sampling turn does not spend its minutes indexing packages."""
    from codesift.store import Store

    known: dict[str, Materialised] = {}
    if saved is not None and saved.exists():
        for line in saved.read_text().splitlines():
            row = json.loads(line)
            known[row["id"]] = Materialised.model_validate(row["materialised"])
    missing = [t for t in tasks if t.id not in known]
    if missing:
        with Store(bench_dir() / "index.sqlite") as cache:
            for t in missing:
                known[t.id] = materialise(t, packages[t.package], mode, budget, cache)
        if saved is not None:
            saved.write_text(
                "".join(
                    json.dumps({"id": i, "materialised": m.model_dump(mode="json")}) + "\n" for i, m in known.items()
                )
            )
    return [(t, known[t.id]) for t in tasks]
