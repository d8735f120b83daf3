"""`codesift repo-map` and the bad inputs of `codesift solve --repo --target` (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_fixture import write_repo
from typer.testing import CliRunner

from codesift.cli import app

runner = CliRunner()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "shop-repo")


def test_repo_map_of_a_target_is_the_prompt_context(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "index.sqlite"
    args = ["repo-map", str(repo), "--focus", "shop/cart.py::bulk_discount", "--tokens", "400", "--store", str(store)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "def to_cents(amount: float) -> int:" in result.output
    assert "def bulk_discount(qty: int) -> float:" in result.output
    assert store.exists()


def test_repo_map_whole_repo_and_file_focus(repo: Path, tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "i.sqlite")]
    whole = runner.invoke(app, ["repo-map", str(repo), "--tokens", "60", *store])
    assert whole.exit_code == 0 and whole.output.startswith("# shop/")
    focused = runner.invoke(app, ["repo-map", str(repo), "--focus", "shop/money.py", *store])
    assert focused.exit_code == 0 and "def checkout" in focused.output
    assert "test_total" not in focused.output  # tests are never part of the map


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--focus", "shop/nope.py"], "not an indexed Python file"),
        (["--focus", "shop/cart.py::Nope.f"], "no such function"),
        (["--mode", "everything"], "--mode"),
    ],
)
def test_repo_map_bad_inputs(repo: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["repo-map", str(repo), "--store", str(tmp_path / "i.sqlite"), *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "shop/cart.py::Cart.add"], "already implemented"),
        (["--target", "shop/cart.py::missing"], "no such function"),
        (["--target", "shop/cart.py"], "write it as"),
        ([], "--repo DIR with --target"),
    ],
)
def test_solve_in_repo_bad_inputs_change_nothing(repo: Path, tmp_path: Path, args: list[str], message: str) -> None:
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    cmd = ["solve", "--repo", str(repo), "--model", "qwen2.5-coder-0.5b", "--store", str(tmp_path / "s.sqlite"), *args]
    result = runner.invoke(app, cmd)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before
