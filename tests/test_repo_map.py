"""Repo map on a fixture repository: index and its cache, ranking, retrieval, token budget, recall."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_fixture import write_repo

from codesift.repo.context import called_names, pack, recall, tokens
from codesift.repo.index import RepoError, index_repo
from codesift.repo.rank import Focus, bm25, ranked, words
from codesift.repo.target import find_target
from codesift.store import Store


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "shop-repo")


def sources(root: Path, files) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f.path: (root / f.path).read_text() for f in files}


def test_index_finds_definitions_and_skips_tests(repo: Path) -> None:
    ids = {d.id for f in index_repo(repo) for d in f.definitions}
    assert {"shop/cart.py::Cart.total_cents", "shop/cart.py::receipt.line", "shop/money.py::to_cents"} <= ids
    assert not any(i.startswith("tests/") for i in ids)
    add = next(d for f in index_repo(repo) for d in f.definitions if d.id == "shop/cart.py::Cart.add")
    assert add.kind == "method" and "to_cents" in add.refs and add.docstring.startswith("Add")


def test_index_cache_reparses_only_changed_files(repo: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "index.sqlite") as store:
        index_repo(repo, store)
        keys = {k for (k,) in store._db.execute("SELECT key FROM meta")}
        (repo / "shop/money.py").write_text(
            (repo / "shop/money.py").read_text() + "\n\ndef cents_sum(a, b):\n    return a + b\n"
        )
        files = index_repo(repo, store)
        new = {k for (k,) in store._db.execute("SELECT key FROM meta")} - keys
    assert len(new) == 1 and "shop/money.py" in next(iter(new))
    assert any(d.name == "cents_sum" for f in files for d in f.definitions)


def test_not_a_repo(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="no Python files"):
        index_repo(tmp_path)
    with pytest.raises(RepoError, match="not a directory"):
        index_repo(tmp_path / "missing")


def test_words_split_identifiers() -> None:
    assert words("parseHTTPDate_v2") == ["parse", "http", "date", "v", "2"]


def test_pagerank_puts_what_the_target_file_uses_first(repo: Path) -> None:
    files = index_repo(repo)
    target = find_target(repo, "shop/cart.py::Cart.total_cents")
    best = [d.id for d, _ in ranked(files, Focus(path=target.path, qualname=target.qualname, text=target.stub))]
    # the helpers the cart module calls rank above the private helper nobody calls
    assert best.index("shop/money.py::to_cents") < best.index("shop/money.py::_rounding_mode")
    assert best.index("shop/money.py::format_cents") < best.index("shop/money.py::_rounding_mode")
    assert "shop/cart.py::Cart.total_cents" not in best


def test_bm25_retrieves_by_docstring_words(repo: Path) -> None:
    scores = bm25(index_repo(repo), "convert amount cents")
    assert max(scores, key=scores.__getitem__) == "shop/money.py::to_cents"


@pytest.mark.parametrize("budget", [120, 300, 2000])
def test_pack_respects_the_budget(repo: Path, budget: int) -> None:
    files = index_repo(repo)
    target = find_target(repo, "shop/cart.py::Cart.total_cents")
    for mode in ("in-file", "repo-map"):
        context = pack(files, target, sources(repo, files), budget, mode)  # type: ignore[arg-type]
        assert context.tokens <= budget * 1.1 + 10, (mode, context.tokens)
        assert "# ... `Cart.total_cents`, the function to write, goes here" in context.text


def test_repo_map_shows_helpers_from_other_files(repo: Path) -> None:
    files = index_repo(repo)
    target = find_target(repo, "shop/cart.py::bulk_discount")
    in_file = pack(files, target, sources(repo, files), 150, "in-file")
    mapped = pack(files, target, sources(repo, files), 400, "repo-map")
    assert "def to_cents" not in in_file.text
    assert "def to_cents(amount: float) -> int:" in mapped.text and "shop/money.py::to_cents" in mapped.shown
    assert "# shop/cart.py: uses bulk_discount" in mapped.text  # a usage site (checkout)


def test_recall_counts_called_repo_functions(repo: Path) -> None:
    files = index_repo(repo)
    target = find_target(repo, "shop/cart.py::bulk_discount")
    reference = "def bulk_discount(qty):\n    return to_cents(qty) / format_cents(1) + len([]) + qty.add(1)\n"
    assert called_names(reference) == {"to_cents", "format_cents"}  # builtins and calls on other objects: not ours
    assert called_names("def f(self):\n    return self.add(1) + cls.g()\n") == {"add", "g"}
    in_file = pack(files, target, sources(repo, files), 150, "in-file")
    mapped = pack(files, target, sources(repo, files), 600, "repo-map")
    assert recall(files, target, reference, in_file) == 0.0
    assert recall(files, target, reference, mapped) == 1.0
    assert recall(files, target, "def bulk_discount(q):\n    return len(q)\n", mapped) is None


def test_map_without_focus_is_deterministic(repo: Path) -> None:
    files = index_repo(repo)
    assert [d.id for d, _ in ranked(files, Focus())] == [d.id for d, _ in ranked(files, Focus())]
    assert tokens("x" * 35) == 10
