"""Targets: finding functions, methods, nested and decorated ones; splicing bodies; the diff; bad inputs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from repo_fixture import write_repo

from codesift.repo.index import RepoError
from codesift.repo.target import find_target, locate, parse_spec, splice, unified_diff


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "shop-repo")


def test_method_body_spliced_at_its_indentation(repo: Path) -> None:
    target = find_target(repo, "shop/cart.py::Cart.total_cents")
    assert target.stub.startswith("def total_cents(self) -> int:\n") and ">>> c.total_cents()" in target.stub
    new = splice(
        target,
        target.stub + "    total = 0\n    for _, p, q in self.items:\n        total += p * q\n    return total\n",
    )
    ast.parse(new)
    assert "        for _, p, q in self.items:\n            total += p * q\n" in new
    assert "raise NotImplementedError" not in new
    diff = unified_diff(target, new)
    assert diff.startswith("--- a/shop/cart.py\n+++ b/shop/cart.py\n")
    assert "-        raise NotImplementedError" in diff and "+        return total" in diff
    assert sum(line.startswith("-") for line in diff.splitlines()) == 2  # the header line and the stub body only


def test_decorated_function_keeps_its_decorator(repo: Path) -> None:
    target = find_target(repo, "shop/cart.py::bulk_discount")
    assert target.stub.startswith("@functools.lru_cache(maxsize=None)\ndef bulk_discount")
    new = splice(target, target.stub + "    return 0.1 if qty >= 10 else 0.0\n")
    assert "@functools.lru_cache(maxsize=None)\ndef bulk_discount(qty: int) -> float:" in new
    assert "    return 0.1 if qty >= 10 else 0.0\n\n\ndef receipt" in new


def test_nested_function(repo: Path) -> None:
    target = find_target(repo, "shop/cart.py::receipt.line")
    new = splice(target, "def line(item):\n    '''doc the model wrote'''\n    return f'{item[0]} x {item[2]}'\n")
    assert '        """One receipt line: ``name x qty``."""\n        return f\'{item[0]} x {item[2]}\'\n' in new
    assert "doc the model wrote" not in new  # the original docstring stays, the model's is dropped


def test_one_line_candidate_and_missing_function(repo: Path) -> None:
    target = find_target(repo, "shop/cart.py::bulk_discount")
    assert "    return 0.0\n" in splice(target, "def bulk_discount(qty): return 0.0\n")
    assert splice(target, "def something_else():\n    return 1\n") == target.source
    assert splice(target, "def bulk_discount(:\n") == target.source


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("shop/cart.py", "write it as"),
        ("shop/cart.py::", "write it as"),
        ("shop/nope.py::f", "no such file"),
        ("../outside.py::f", "no such file"),
        ("shop/cart.py::Cart.missing", "no such function"),
        ("shop/cart.py::Cart", "no such function"),
        ("shop/cart.py::Cart.add", "already implemented"),
        ("tests/test_cart.py::test_total", "a test file"),
    ],
)
def test_bad_targets(repo: Path, spec: str, message: str) -> None:
    with pytest.raises(RepoError, match=message):
        find_target(repo, spec)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="not a directory"):
        find_target(tmp_path / "none", "a.py::f")


def test_parse_spec_and_syntax_error() -> None:
    assert parse_spec("pkg/mod.py::A.b") == ("pkg/mod.py", "A.b")
    with pytest.raises(RepoError, match="not valid Python"):
        locate("def f(:\n", "m.py", "f")


def test_a_fence_inside_the_stubs_docstring_does_not_end_the_program() -> None:
    """humanize's docstrings hold ```python examples; the prefilled stub carries them into the answer."""
    from codesift.extract import extract_code

    stub = 'def metric(value):\n    """Examples:\n        ```pycon\n        >>> metric(1)\n        \'1\'\n'
    stub += '        ```\n    """\n'
    code = extract_code("    return str(value)\n```\nprint(metric(1))", "```python\n" + stub, "metric")
    assert code == stub + "    return str(value)\n"
