"""The training recipe end to end on a tiny randomly initialised Qwen2 (needs the [train] extra).

The tiny model is a GGUF file (`tiny_qwen2`: one block of width 64, random weights, the 0.5B's tokenizer
and chat template), so every step takes the path it takes on the real model: export of graded real
samples → transformers reads the GGUF → TRL LoRA SFT, stopped by its time budget and resumed from the
checkpoint → adapter as GGUF → llama.cpp runs the tiny model with the adapter through `EmbeddedBackend`.
About two minutes on one loaded core, most of it building the tokenizer out of the GGUF.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")

from learn_runs import TRAIN_RECORDING, bench_run_dir
from tiny_qwen2 import write_tiny_qwen2

from codesift.backends import BackendError
from codesift.backends.embedded import EmbeddedBackend
from codesift.backends.models import FAST_MODEL, MODELS, installed, resolve_model
from codesift.execute import make_executor
from codesift.learn.export import export
from codesift.learn.train import ADAPTER_DIR, ADAPTER_GGUF, TrainConfig, adapter_to_gguf, train_sft
from codesift.records import Policy, Prompt

pytestmark = [
    pytest.mark.train,
    pytest.mark.skipif(not installed(MODELS[FAST_MODEL]), reason="the 0.5B model (tokenizer source) is not installed"),
]


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_qwen2(resolve_model(FAST_MODEL), tmp_path_factory.mktemp("tiny") / "tiny-qwen2.gguf")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_gguf: Path) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("recipe")
    with make_executor(workers=2) as ex:
        run = bench_run_dir(root / "run", TRAIN_RECORDING, ex)
    export([run], root / "data", ["sft"])
    out = root / "lora"
    config = TrainConfig(max_steps=2, grad_accum=1, max_length=192, save_steps=5)
    stopped = train_sft(
        root / "data" / "sft.jsonl",
        out,
        tiny_gguf.parent,
        tiny_gguf.name,
        config.model_copy(update={"budget_minutes": 1e-6}),
    )
    assert not stopped.finished and stopped.steps == 1 and stopped.adapter_gguf is None
    assert (out / "checkpoint-1").is_dir()  # the budget wrote a checkpoint before stopping
    done = train_sft(root / "data" / "sft.jsonl", out, tiny_gguf.parent, tiny_gguf.name, config)
    assert done.finished and done.steps == 2 and done.train_loss is not None
    assert done.adapter_gguf == str(out / ADAPTER_GGUF) and done.adapter_bytes
    yield out


def test_adapter_gguf_fits_the_base(trained: Path, tiny_gguf: Path) -> None:
    import gguf

    adapter = gguf.GGUFReader(str(trained / ADAPTER_GGUF))
    fields = {k: f.contents() for k, f in adapter.fields.items() if not k.startswith("GGUF.")}
    assert fields["general.type"] == "adapter" and fields["adapter.type"] == "lora"
    assert fields["general.architecture"] == "qwen2" and fields["adapter.lora.alpha"] == 16.0
    base = {t.name: t for t in gguf.GGUFReader(str(tiny_gguf)).tensors}
    tensors = {t.name: t for t in adapter.tensors}
    assert len(tensors) == 2 * 7  # q, k, v, o, gate, up, down of the one block
    for name in {n.rsplit(".", 1)[0] for n in tensors}:
        a, b, w = tensors[f"{name}.lora_a"], tensors[f"{name}.lora_b"], base[name]
        assert (a.shape[0], b.shape[1]) == (w.shape[0], w.shape[1]) and a.shape[1] == b.shape[0] == 8


def _scaled_adapter(trained: Path, out: Path) -> Path:
    """The trained adapter with lora_B made large, so applying it must change what the model writes."""
    import shutil

    from safetensors.numpy import load_file, save_file

    shutil.copytree(trained / ADAPTER_DIR, out)
    tensors = load_file(str(out / "adapter_model.safetensors"))
    save_file(
        {name: value * 0 + 1.0 if ".lora_B." in name else value for name, value in tensors.items()},
        str(out / "adapter_model.safetensors"),
    )
    return adapter_to_gguf(out, out / ADAPTER_GGUF)


def test_llama_cpp_runs_the_model_with_the_adapter(trained: Path, tiny_gguf: Path, tmp_path: Path) -> None:
    prompt = Prompt(messages=(("user", "Write a Python function add(a, b)."),), prefill="```python\n")
    policy = Policy(model=str(tiny_gguf), temperature=0, max_tokens=12)
    outputs = {}
    for label, lora in [
        ("base", None), ("trained", trained / ADAPTER_GGUF), ("scaled", _scaled_adapter(trained, tmp_path / "s"))
    ]:  # fmt: skip
        backend = EmbeddedBackend(tiny_gguf, threads=1, batch=1, lora=lora)
        try:
            outputs[label] = backend.complete(prompt, [0], policy)[0]
        finally:
            backend.close()
    assert all(c.completion_tokens > 0 for c in outputs.values())
    assert outputs["scaled"].text != outputs["base"].text  # the adapter is applied to every token
    with pytest.raises(BackendError, match="LoRA adapter"):
        EmbeddedBackend(tiny_gguf, threads=1, lora=tmp_path / "missing.gguf")
    with pytest.raises(BackendError, match="refused the LoRA adapter"):
        EmbeddedBackend(tiny_gguf, threads=1, lora=tiny_gguf)  # a model is not an adapter


def test_train_cli_one_line_errors(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from codesift.cli import app

    missing = CliRunner().invoke(app, ["train", str(tmp_path / "sft.jsonl"), "-o", str(tmp_path / "out")])
    assert missing.exit_code == 2 and "codesift export" in missing.output and "Traceback" not in missing.output
    (tmp_path / "empty.jsonl").write_text("")
    empty = CliRunner().invoke(app, ["train", str(tmp_path / "empty.jsonl"), "-o", str(tmp_path / "out")])
    assert empty.exit_code == 2, empty.output
    (tmp_path / "bad.jsonl").write_text('{"messages": []}\n')
    bad = CliRunner().invoke(app, ["train", str(tmp_path / "bad.jsonl"), "-o", str(tmp_path / "out")])
    assert bad.exit_code == 2 and "sft.jsonl" in bad.output, bad.output
