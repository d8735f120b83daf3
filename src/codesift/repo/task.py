"""A target in a repository as a pipeline `Problem`: the stub to complete, the packed context, and the
checks the filter may use (the target's docstring examples, and the repo's tests that exercise it).

Every check is an ``assert`` test: Python source run in the repository with the candidate's module in place
(the sandbox's repo profile overlays it), so functions, methods and nested functions are checked the same way.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from pathlib import Path

from codesift import syntax
from codesift.records import Problem, Record, Test
from codesift.repo.context import Context, Mode, pack
from codesift.repo.index import FileIndex, IndexCache, index_repo, is_test_file
from codesift.repo.target import Target

DOCTEST_FLAGS = "doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE"
MAX_REGRESSION = 50  # regression tests run for every candidate: a cap keeps that affordable


class RepoTask(Record):
    root: str
    target: Target
    context: Context
    problem: Problem


def module_name(path: str) -> str:
    """``src/pkg/mod.py`` → ``pkg.mod`` (a leading ``src/`` layout folder is not part of the name)."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def doctest_check(target: Target) -> Test | None:
    """The target's docstring examples as one check, run with its module's globals (None without examples)."""
    if ">>>" not in target.docstring:
        return None
    source = (
        "# docstring examples\n"
        "import doctest, importlib\n"
        f"_module = importlib.import_module({module_name(target.path)!r})\n"
        f"_test = doctest.DocTestParser().get_doctest({target.docstring!r}, dict(vars(_module)), "
        f"{target.qualname!r}, {target.path!r}, 0)\n"
        f"_runner = doctest.DocTestRunner(verbose=False, optionflags={DOCTEST_FLAGS})\n"
        "_runner.run(_test, out=lambda _text: None)\n"
        "assert _runner.failures == 0, f'{_runner.failures} docstring example(s) failed'\n"
    )
    return Test(kind="assert", input=source)


def pytest_check(node_ids: Iterable[str], label: str = "repo tests") -> Test:
    """The repo's own tests (pytest node ids), run in-process; passes when every one passes."""
    ids = sorted(node_ids)
    source = (
        f"# {label} {' '.join(ids)}\n"
        "import pytest\n"
        f"_code = pytest.main(['-q', '-p', 'no:cacheprovider', '-o', 'addopts=', *{ids!r}])\n"
        "assert _code == 0, f'pytest exit code {_code}'\n"
    )
    return Test(kind="assert", input=source)


def test_functions(root: Path) -> dict[str, frozenset[str]]:
    """Node id of every test function of the repo (plain or in a ``Test*`` class) → the names its body uses."""
    found: dict[str, frozenset[str]] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if not is_test_file(rel) or any(p.startswith(".") or p in {"build", "site-packages"} for p in Path(rel).parts):
            continue
        try:
            tree = syntax.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue
        scopes = [("", n) for n in tree.body] + [
            (f"{c.name}::", n) for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body
        ]
        for prefix, node in scopes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                found[f"{rel}::{prefix}{node.name}"] = frozenset(names)
    return found


def tests_using(root: Path, name: str, tests: dict[str, frozenset[str]] | None = None) -> list[str]:
    """Node ids of the repo's test functions whose body names `name` (`tests`: `test_functions(root)`, when
    the caller asks for many names)."""
    tests = tests if tests is not None else test_functions(root)
    return [node_id for node_id, names in tests.items() if name in names]


def regression_ids(target: Target, files: Sequence[FileIndex], tests: dict[str, frozenset[str]]) -> list[str]:
    """Tests that use other functions of the target's module but not the target (Agentless's regression tests):
    a candidate must not break them. At most `MAX_REGRESSION`."""
    own = {d.name for f in files if f.path == target.path for d in f.definitions if d.kind != "module"}
    own -= {target.name}
    return [i for i, names in tests.items() if target.name not in names and names & own][:MAX_REGRESSION]


def context_note(task_target: Target, context: Context) -> str:
    where = f"`{task_target.qualname}` in `{task_target.path}`"
    if "." in task_target.qualname:
        where += f" (defined inside `{task_target.qualname.rsplit('.', 1)[0]}`)"
    code = context.text.rstrip()
    intro = "Code from the repository that the function can use:"
    return f"{intro}\n```python\n{code}\n```\nThe function to write is {where}."


def build_task(
    root: Path,
    target: Target,
    *,
    budget: int = 2000,
    mode: Mode = "repo-map",
    cache: IndexCache | None = None,
    repo_tests: bool = True,
    files: tuple[FileIndex, ...] | None = None,
) -> RepoTask:
    """The pipeline problem for `target`; `repo_tests` adds the repo's tests that use it to the filter (a
    benchmark passes False: those are its hidden tests)."""
    files = files if files is not None else index_repo(root, cache)
    sources = {f.path: (root / f.path).read_text(encoding="utf-8", errors="replace") for f in files}
    sources[target.path] = target.source
    context = pack(files, target, sources, budget, mode)
    checks = [doctest_check(target)]
    if repo_tests:
        ids = tests_using(root, target.name)
        checks.append(pytest_check(ids) if ids else None)
    problem = Problem(
        id=f"{root.resolve().name}:{target.spec}",
        prompt=target.stub,
        style="function",
        entry_point=target.name,
        examples=tuple(t for t in checks if t is not None),
        metadata={"context": context_note(target, context), "repo": str(root), "target": target.spec},
    )
    return RepoTask(root=str(root), target=target, context=context, problem=problem)
