"""`codesift train`: LoRA SFT on `codesift export`'s sft.jsonl, adapter written as GGUF for `--lora`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from codesift.backends.models import FAST_MODEL
from codesift.cli.common import settings, user_errors


def train(
    data: Annotated[Path, typer.Argument(help="sft.jsonl written by `codesift export`")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Run folder: checkpoints, adapter/, adapter.gguf")],
    model: Annotated[str, typer.Option(help="Embedded model (its GGUF is the base) or a .gguf path")] = (FAST_MODEL),
    base: Annotated[
        Path | None, typer.Option(help="A transformers model folder instead of --model (e.g. on a GPU node)")
    ] = None,
    rank: Annotated[int, typer.Option(help="LoRA rank")] = 8,
    alpha: Annotated[int, typer.Option(help="LoRA alpha (scale = alpha / rank)")] = 16,
    epochs: Annotated[float, typer.Option()] = 1.0,
    learning_rate: Annotated[float, typer.Option("--lr")] = 2e-4,
    batch_size: Annotated[int, typer.Option()] = 1,
    grad_accum: Annotated[int, typer.Option(help="Examples per optimizer step = batch size x this")] = 8,
    max_length: Annotated[int, typer.Option(help="Tokens per example (prompt + program)")] = 384,
    max_steps: Annotated[int, typer.Option(help="Stop after this many optimizer steps (-1: the epochs)")] = -1,
    save_steps: Annotated[int, typer.Option(help="Checkpoint every this many steps")] = 5,
    threads: Annotated[int, typer.Option(help="torch threads")] = 1,
    budget_minutes: Annotated[
        float | None, typer.Option(help="Checkpoint and stop after this long; run again to resume")
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Fine-tune the embedded model with LoRA on verified programs (needs the [train] extra); resumable."""
    from codesift.learn.train import TrainConfig, train_sft

    with user_errors():
        config = settings(
            TrainConfig, "train", rank=rank, alpha=alpha, epochs=epochs, learning_rate=learning_rate,
            batch_size=batch_size, grad_accum=grad_accum, max_length=max_length, max_steps=max_steps,
            save_steps=save_steps, threads=threads, budget_minutes=budget_minutes, seed=seed,
        )  # fmt: skip
        if base is None:
            from codesift.backends.models import resolve_model

            gguf = resolve_model(model)
            result = train_sft(data, output, gguf.parent, gguf.name, config)
        else:
            result = train_sft(data, output, base, None, config)
    Console().print_json(json.dumps(result.model_dump(mode="json")))
    if not result.finished:
        Console().print(f"stopped at step {result.steps}/{result.max_steps}: run the same command to resume")
