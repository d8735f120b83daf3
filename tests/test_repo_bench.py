"""The repository benchmark's builder on the fixture repository: candidate targets, blanking, the package's
tests as the grader, and a manifest that pins every sdist."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_fixture import write_repo

from codesift.bench.repo import Package, base_id, blanked, candidates, load_manifest, run_tests
from codesift.repo.target import locate

MANIFEST = Path(__file__).parent.parent / "bench" / "repo_manifest.toml"
SHOP = Package(name="shop", version="0", sdist="shop-0.tar.gz", sha256="0" * 64, package="shop", tests="tests")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = write_repo(tmp_path / "shop-repo")
    cart = root / "shop/cart.py"
    cart.write_text(
        cart.read_text().replace(
            "        raise NotImplementedError\n", "        return sum(p * q for _, p, q in self.items)\n", 1
        )
    )
    return root


def test_manifest_pins_six_packages_with_hashes() -> None:
    packages = load_manifest(MANIFEST)
    assert len(packages) >= 6
    assert all(len(p.sha256) == 64 and p.sdist.endswith(".tar.gz") and p.version for p in packages)


def test_candidates_skip_stubs_too_short_bodies_nested_and_dunders(repo: Path) -> None:
    specs = {t.spec for t in candidates(repo, SHOP)}
    assert "shop/cart.py::Cart.total_cents" not in specs  # one line of body: too short to be a task
    assert not any("__init__" in s or "receipt.line" in s for s in specs)


def test_blanking_and_the_package_tests_as_grader(repo: Path) -> None:
    target = locate((repo / "shop/cart.py").read_text(), "shop/cart.py", "Cart.total_cents")
    assert run_tests(repo, SHOP, ["tests/test_cart.py::test_total"]) == {"tests/test_cart.py::test_total": True}
    (repo / "shop/cart.py").write_text(blanked(target))
    assert "        raise NotImplementedError\n" in (repo / "shop/cart.py").read_text()
    assert run_tests(repo, SHOP, ["tests/test_cart.py::test_total"]) == {"tests/test_cart.py::test_total": False}


def test_parametrised_ids_count_as_their_function() -> None:
    assert base_id("tests/t.py::TestA::test_x[1-2]") == "tests/t.py::TestA::test_x"
