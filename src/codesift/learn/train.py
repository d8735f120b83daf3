"""Rejection-sampling fine-tuning: LoRA on verified programs (TRL + peft), adapter out as GGUF for llama.cpp.

Needs the ``[train]`` extra. The base weights are the embedded GGUF itself: transformers reads a GGUF
file (`from_pretrained(dir, gguf_file=...)`) and dequantises it to float32, tokenizer and chat template
included, so nothing is downloaded from a model hub. Training the adapter against the dequantised Q4_K_M
weights means it is trained on exactly the base llama.cpp will apply it to.

Sized for a CPU: one process, `threads` torch threads, LoRA on every attention and MLP projection,
short sequences, and a wall-clock `budget_minutes` after which a checkpoint is written and the run stops;
the same command resumes from the newest checkpoint (so a long run fits in slices under the model lock).
When the last step is done the adapter is saved (peft's safetensors) and converted to ``adapter.gguf``
(`adapter_to_gguf`, with the `gguf` package: same tensor names and layout as llama.cpp's
convert_lora_to_gguf.py), which `codesift solve/bench --lora` loads.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from codesift.errors import CodesiftError

ADAPTER_DIR = "adapter"
ADAPTER_GGUF = "adapter.gguf"
# LoRA targets: every linear layer of a Qwen2 block (all of them have a llama.cpp tensor to attach to).
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainError(CodesiftError):
    """Training cannot start: the [train] extra is missing, the data is empty, the base cannot be read."""


class TrainConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rank: int = Field(default=8, ge=1)
    alpha: int = 16
    dropout: float = 0.05
    epochs: float = Field(default=1.0, gt=0)
    learning_rate: float = 2e-4
    batch_size: int = Field(default=1, ge=1)
    grad_accum: int = Field(default=8, ge=1)
    max_length: int = Field(default=384, ge=16)
    max_steps: int = -1
    save_steps: int = Field(default=5, ge=1)
    threads: int = Field(default=1, ge=1)
    seed: int = 0
    budget_minutes: float | None = Field(default=None, gt=0)


class TrainResult(BaseModel):
    out_dir: str
    finished: bool
    steps: int
    max_steps: int
    examples: int
    seconds: float
    train_loss: float | None = None
    adapter_gguf: str | None = None
    adapter_bytes: int | None = None


def _imports() -> Any:
    try:
        import torch
    except ImportError:
        raise TrainError("training needs the [train] extra: pip install -e '.[train]' (see docs/learning.md)") from None
    return torch


def load_base(base: Path, gguf_file: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file (dequantised to float32) or from a transformers folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch = _imports()
    kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(str(base), **kwargs)
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32, **kwargs)
    if gguf_file:
        # The weights are dequantised to float32 tensors; the GGUF "quantization" left on the model is only a
        # label, but transformers' Trainer refuses to train a model that carries it.
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def load_sft(path: Path) -> Any:
    """The `sft.jsonl` of `codesift export` as a `datasets.Dataset` with only TRL's columns."""
    from datasets import load_dataset

    if not path.is_file():
        raise TrainError(f"{path} not found; write it with `codesift export RUN_DIR --format sft -o DIR`")
    with path.open(encoding="utf-8") as fh:
        if not any(line.strip() for line in fh):
            raise TrainError(f"{path} holds no examples (no program passed every hidden test of a training task)")
    try:
        data = load_dataset("json", data_files=str(path), split="train")
        return data.select_columns(["prompt", "completion"])
    except Exception as err:  # datasets' own error zoo (bad JSON, missing columns, mixed types)
        raise TrainError(f"{path}: not an sft.jsonl of `codesift export` ({type(err).__name__})") from None


def _budget_callback(seconds: float | None) -> Any:
    from transformers import TrainerCallback

    class Budget(TrainerCallback):  # type: ignore[misc]
        """Stop (with a checkpoint) once the wall-clock budget is spent; the next run resumes from it."""

        def __init__(self) -> None:
            self.started = time.monotonic()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if seconds is not None and time.monotonic() - self.started > seconds:
                control.should_save = True
                control.should_training_stop = True
            return control

    return Budget()


def _latest_checkpoint(out_dir: Path) -> str | None:
    checkpoints = sorted(out_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return str(checkpoints[-1]) if checkpoints else None


def train_sft(data: Path, out_dir: Path, base: Path, gguf_file: str | None, config: TrainConfig) -> TrainResult:
    """One (resumable) LoRA SFT run; the adapter (peft + GGUF) is written once the last step is done."""
    torch = _imports()
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    torch.set_num_threads(config.threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    dataset = load_sft(data)
    model, tokenizer = load_base(base, gguf_file)
    out_dir.mkdir(parents=True, exist_ok=True)
    gpu = bool(torch.cuda.is_available())  # the same recipe on a GPU node: bf16 there, float32 on a CPU
    args = SFTConfig(
        output_dir=str(out_dir), num_train_epochs=config.epochs, max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size, gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate, lr_scheduler_type="cosine", warmup_steps=0,
        max_length=config.max_length, logging_steps=1, save_steps=config.save_steps, save_total_limit=2,
        report_to="none", use_cpu=not gpu, seed=config.seed, dataloader_num_workers=0,
        bf16=gpu and torch.cuda.is_bf16_supported(), fp16=False,
        completion_only_loss=True,
        activation_checkpointing=False,  # TRL turns it on; on a CPU the recomputation costs more than memory
    )  # fmt: skip
    lora = LoraConfig(
        r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout, target_modules=list(TARGETS),
        task_type="CAUSAL_LM",
    )  # fmt: skip
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=dataset, processing_class=tokenizer, peft_config=lora,
        callbacks=[_budget_callback(60 * config.budget_minutes if config.budget_minutes else None)],
    )  # fmt: skip
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=_latest_checkpoint(out_dir))
    seconds = time.perf_counter() - started
    state = trainer.state
    finished = state.global_step >= state.max_steps
    result = TrainResult(
        out_dir=str(out_dir), finished=finished, steps=state.global_step, max_steps=state.max_steps,
        examples=len(dataset), seconds=seconds, train_loss=output.training_loss if finished else None,
    )  # fmt: skip
    if finished:
        trainer.save_model(str(out_dir / ADAPTER_DIR))  # peft model: the adapter only
        gguf_path = adapter_to_gguf(out_dir / ADAPTER_DIR, out_dir / ADAPTER_GGUF)
        result = result.model_copy(update={"adapter_gguf": str(gguf_path), "adapter_bytes": gguf_path.stat().st_size})
    _log_time(out_dir, result)
    return result


def _log_time(out_dir: Path, result: TrainResult) -> None:
    """Every slice appends its seconds, so the total training time of a resumed run is known."""
    with (out_dir / "train-log.jsonl").open("a") as fh:
        fh.write(result.model_dump_json() + "\n")


def adapter_to_gguf(adapter_dir: Path, out: Path, arch: str = "qwen2") -> Path:
    """peft's LoRA safetensors → a llama.cpp LoRA adapter (general.type=adapter, adapter.type=lora).

    Tensor `blk.N.<name>.weight.lora_a` is peft's lora_A (rank × in) and `.lora_b` its lora_B (out × rank),
    as llama.cpp's convert_lora_to_gguf.py writes them; the scale alpha/rank is applied by llama.cpp.
    """
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    layers = 1 + max(int(n.split(".layers.")[1].split(".")[0]) for n in tensors if ".layers." in n)
    names = gguf.TensorNameMap(gguf.MODEL_ARCH[arch.upper()], layers)
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for name in sorted(tensors):
        for part in ("A", "B"):
            if f".lora_{part}.weight" not in name:
                continue
            hf = name.removeprefix("base_model.model.").replace(f".lora_{part}.weight", ".weight")
            target = names.get_name(hf, try_suffixes=(".weight",))
            if target is None:
                raise TrainError(f"LoRA tensor {name} has no llama.cpp counterpart in {arch}")
            writer.add_tensor(f"{target}.lora_{part.lower()}", tensors[name].astype("float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
