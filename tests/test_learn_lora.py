"""`--lora` at the command line: a wrong adapter is one line and exit code 2 before any model is loaded."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from codesift.cli import app

EXAMPLE = Path(__file__).parents[1] / "examples" / "running_max.py"


def test_missing_adapter_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "--lora", str(tmp_path / "nope.gguf")])
    assert result.exit_code == 2 and "--lora" in result.output and "Traceback" not in result.output


def test_lora_needs_the_embedded_backend(tmp_path: Path) -> None:
    adapter = tmp_path / "adapter.gguf"
    adapter.write_bytes(b"GGUF")
    args = ["solve", str(EXAMPLE), "--lora", str(adapter), "--backend", "openai", "--base-url", "http://127.0.0.1:9"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "embedded backend" in result.output
