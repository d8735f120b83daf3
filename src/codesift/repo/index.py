"""Index a repository's Python files: definitions (signature, docstring, decorators) and the names each one
references, one typed record per file, cached in the run store by the file's sha256.

The index is the raw material of the repo map: `rank` turns the references into a graph and the docstrings
into a full-text index. A second run on an unchanged repository parses nothing: every file whose hash is in
the store is read back from it.

Test files (``test_*.py``, ``*_test.py``, ``conftest.py``, anything under a ``tests``/``test`` folder) are not
indexed: in repository mode the repo's tests are the filter, and a benchmark's hidden tests must never reach
the prompt through a "usage site".
"""

from __future__ import annotations

import ast
import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, Protocol

from pydantic import Field

from codesift import syntax
from codesift.errors import CodesiftError
from codesift.records import Record

Kind = Literal["function", "method", "class", "module"]
SKIP_DIRS = {
    "venv",
    "env",
    "build",
    "dist",
    "node_modules",
    "__pycache__",
    "site-packages",
}  # fmt: skip  (and every hidden folder: .git, .venv, .tox, .codesift, ...)
TEST_DIRS = {"tests", "test", "testing"}
MAX_FILE_BYTES = 1 << 20
INDEX_VERSION = 2  # bump when the parse changes: cached files of another version are re-parsed


class RepoError(CodesiftError, ValueError):
    """A repository or target codesift cannot use; the message names it and the fix."""


class Qualified(Record):
    """A definition named by its file and qualified name; its spec (``pkg/mod.py::Class.method``) is the form
    `target.parse_spec` reads, so a target and the index's definition of it have the same spec."""

    path: str
    qualname: str

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def spec(self) -> str:
        return f"{self.path}::{self.qualname}"


class Definition(Qualified):
    """One function, method or class (or a file's top-level code, kind ``module``, qualname ``""``)."""

    kind: Kind
    lineno: int  # first line, decorators included
    def_lineno: int
    end_lineno: int
    signature: str  # decorators and the ``def``/``class`` line(s), as written
    docstring: str = ""
    refs: dict[str, int] = Field(default_factory=dict)  # identifiers used in the body (names and attributes) → count

    @property
    def id(self) -> str:
        return self.spec


class FileIndex(Record):
    path: str
    sha256: str
    definitions: tuple[Definition, ...]


class IndexCache(Protocol):
    """The part of `codesift.store.Store` the index uses."""

    def file_index(self, version: int, sha256: str, path: str, record: type[FileIndex]) -> FileIndex | None: ...

    def add_file_index(self, version: int, sha256: str, path: str, index: FileIndex) -> None: ...


def is_test_file(rel: str) -> bool:
    parts = Path(rel).parts
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name in ("conftest.py", "test.py", "tests.py")
        or bool(TEST_DIRS & set(parts))
    )


def python_files(root: Path) -> Iterator[str]:
    """Repo-relative posix paths of the indexable Python files, sorted (the map is deterministic)."""
    found = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if any(p in SKIP_DIRS or p.startswith(".") for p in rel.parts[:-1]) or is_test_file(rel.as_posix()):
            continue
        if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
            found.append(rel.as_posix())
    yield from sorted(found)


def _refs(nodes: list[ast.stmt] | list[ast.expr]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Name):
                counts[node.id] += 1
            elif isinstance(node, ast.Attribute):
                counts[node.attr] += 1
    return dict(counts)


def header(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    """Decorators and the ``def`` line(s) up to the colon that opens the body."""
    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    body_start = node.body[0].lineno
    last = body_start - 1 if body_start > node.lineno else node.lineno  # `def f(): return 1`: the whole line
    kept = lines[first - 1 : last]
    while len(kept) > 1 and (not kept[-1].strip() or kept[-1].lstrip().startswith("#")):
        kept.pop()  # comments and blank lines between the header and the body are not part of it
    return "".join(kept).rstrip() + "\n"


def parse_file(rel: str, source: str) -> tuple[Definition, ...]:
    """Definitions of one file; a file that does not parse has none (the map skips it, as a linter would)."""
    try:
        tree = syntax.parse(source)
    except syntax.PARSE_ERRORS:
        return ()
    lines = source.splitlines(keepends=True)
    found: list[Definition] = []

    def visit(body: list[ast.stmt], prefix: str, in_class: bool) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qualname = f"{prefix}{node.name}"
                is_class = isinstance(node, ast.ClassDef)
                kind: Kind = "class" if is_class else ("method" if in_class else "function")
                own: list[ast.expr] | list[ast.stmt] = (
                    [*node.bases, *(k.value for k in node.keywords)] if isinstance(node, ast.ClassDef) else node.body
                )
                found.append(
                    Definition(
                        path=rel,
                        qualname=qualname,
                        kind=kind,
                        lineno=node.decorator_list[0].lineno if node.decorator_list else node.lineno,
                        def_lineno=node.lineno,
                        end_lineno=node.end_lineno or node.lineno,
                        signature=header(lines, node),
                        docstring=ast.get_docstring(node) or "",
                        refs=_refs([*node.decorator_list, *own]),
                    )
                )
                visit(node.body, f"{qualname}.", is_class)

    visit(tree.body, "", False)
    top = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    module = Definition(
        path=rel, qualname="", kind="module", lineno=1, def_lineno=1, end_lineno=max(len(lines), 1),
        signature="", docstring=ast.get_docstring(tree) or "", refs=_refs(top),
    )  # fmt: skip
    return (module, *found)


def index_file(root: Path, rel: str, cache: IndexCache | None = None) -> FileIndex:
    data = (root / rel).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    cached = cache.file_index(INDEX_VERSION, sha, rel, FileIndex) if cache is not None else None
    if cached is not None:
        return cached
    indexed = FileIndex(path=rel, sha256=sha, definitions=parse_file(rel, data.decode("utf-8", "replace")))
    if cache is not None:
        cache.add_file_index(INDEX_VERSION, sha, rel, indexed)
    return indexed


def index_repo(root: Path, cache: IndexCache | None = None) -> tuple[FileIndex, ...]:
    """Every indexable file of the repository; files whose hash is cached are not parsed again."""
    if not root.is_dir():
        raise RepoError(f"{root}: not a directory; pass the repository's root folder")
    files = tuple(index_file(root, rel, cache) for rel in python_files(root))
    if not files:
        raise RepoError(f"{root}: no Python files found (tests and virtualenvs are skipped); pass a Python repository")
    return files


def with_source(files: tuple[FileIndex, ...], rel: str, source: str) -> tuple[FileIndex, ...]:
    """The index with one file's text replaced (a benchmark's blanked module, without writing it anywhere)."""
    sha = hashlib.sha256(source.encode()).hexdigest()
    fresh = FileIndex(path=rel, sha256=sha, definitions=parse_file(rel, source))
    return tuple(fresh if f.path == rel else f for f in files)
