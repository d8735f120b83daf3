"""The repository benchmark (issue 14): real functions of real packages, blanked, graded by the packages' own tests.

Built reproducibly from a manifest (``bench/repo_manifest.toml``: name, version, sdist file and its sha256):
pip downloads each sdist into a cache outside the repository, the sha256 is checked, the package's tests run
once on the untouched source (only passing tests can grade), and a target is kept when

- it is a module-level function or a method (not nested, not a dunder), unique by name in its package,
  whose body (docstring aside) has 2 to 40 lines;
- passing tests name it (their node ids are the hidden tests, grader only; at most 40 of them);
- with its body blanked (``raise NotImplementedError``), at least one of those tests fails, within 20 s.

The package's own tests on its own (unmodified or blanked) source are trusted code: they run here without
the sandbox. Model-written code is only ever run through the sandbox's repo profile.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import tomllib
from pathlib import Path

from codesift.backends.models import cache_dir
from codesift.records import Record
from codesift.repo.context import Mode
from codesift.repo.index import IndexCache, RepoError, index_repo, with_source
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
    return cache_dir() / "repo-bench"


def load_manifest(path: Path) -> list[Package]:
    return [Package(**p) for p in tomllib.loads(path.read_text())["package"]]


def fetch(pkg: Package) -> Path:
    """The package's unpacked sdist (downloaded with pip and checked against the manifest's sha256 once)."""
    sdists = bench_dir() / "sdists"
    archive = sdists / pkg.sdist
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "-d", str(sdists), f"{pkg.name}=={pkg.version}"],
            check=True,
        )  # fmt: skip
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != pkg.sha256:
        raise RepoError(f"{archive}: sha256 {digest} is not the manifest's {pkg.sha256}; delete it and build again")
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


class Materialised(Record):
    """A benchmark task ready for prompting: the repo task built on the blanked module, and the reference
    function's source (for retrieval recall only; it never reaches the prompt)."""

    task: RepoTask
    reference: str
    package_root: str
    pythonpath: str


def materialise(bench_task: BenchTask, pkg: Package, mode: Mode, budget: int, cache: IndexCache | None) -> Materialised:
    root = fetch(pkg)
    original = locate((root / bench_task.path).read_text(encoding="utf-8"), bench_task.path, bench_task.qualname)
    lines = original.source.splitlines(keepends=True)
    reference = textwrap.dedent("".join(lines[original.lineno - 1 : original.end_lineno]))
    stub = locate(blanked(original), bench_task.path, bench_task.qualname)
    files = with_source(index_repo(root, cache), stub.path, stub.source)
    task = build_task(root, stub, budget=budget, mode=mode, repo_tests=False, files=files)
    return Materialised(task=task, reference=reference, package_root=str(root), pythonpath=pkg.pythonpath)
