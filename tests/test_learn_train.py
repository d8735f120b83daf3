"""The training recipe end to end on a tiny randomly initialised Qwen2 (needs the [train] extra).

One Qwen2 block shaped exactly like a block of the embedded 0.5B model (its config is read from the
GGUF, then cut to one layer) with random weights and the real tokenizer: export → LoRA SFT with TRL
(stopped by its time budget, then resumed from the checkpoint) → adapter as GGUF, whose tensors fit
layer 0 of the real base, so llama.cpp loads it on the real 0.5B (`-m model` test below).
About a minute on one core, most of it reading the tokenizer out of the GGUF.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")

from learn_runs import TRAIN_RECORDING, bench_run_dir

from codesift.backends import BackendError
from codesift.backends.models import FAST_MODEL, MODELS, installed, resolve_model
from codesift.execute import make_executor
from codesift.learn.export import export
from codesift.learn.train import ADAPTER_DIR, ADAPTER_GGUF, TrainConfig, adapter_to_gguf, train_sft
from codesift.records import Policy, Prompt

pytestmark = [
    pytest.mark.train,
    pytest.mark.skipif(not installed(MODELS[FAST_MODEL]), reason="the 0.5B model (tokenizer, shapes) is not installed"),
]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    gguf = resolve_model(FAST_MODEL)
    config = AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config.num_hidden_layers = 1
    config.layer_types = config.layer_types[:1] if getattr(config, "layer_types", None) else None
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    base = tmp_path_factory.mktemp("tiny-qwen2")
    model.save_pretrained(str(base))
    AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(str(base))
    return base


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("recipe")
    with make_executor(workers=2) as ex:
        run = bench_run_dir(root / "run", TRAIN_RECORDING, ex)
    export([run], root / "data", ["sft"])
    out = root / "lora"
    config = TrainConfig(max_steps=2, grad_accum=1, max_length=192, save_steps=5)
    stopped = train_sft(
        root / "data" / "sft.jsonl", out, tiny_base, None, config.model_copy(update={"budget_minutes": 1e-6})
    )
    assert not stopped.finished and stopped.steps == 1 and stopped.adapter_gguf is None
    assert (out / "checkpoint-1").is_dir()  # the budget wrote a checkpoint before stopping
    done = train_sft(root / "data" / "sft.jsonl", out, tiny_base, None, config)
    assert done.finished and done.steps == 2 and done.train_loss is not None
    assert done.adapter_gguf == str(out / ADAPTER_GGUF) and done.adapter_bytes
    yield out


def test_adapter_gguf_fits_the_embedded_base(trained: Path) -> None:
    import gguf

    adapter = gguf.GGUFReader(str(trained / ADAPTER_GGUF))
    fields = {k: f.contents() for k, f in adapter.fields.items() if not k.startswith("GGUF.")}
    assert fields["general.type"] == "adapter" and fields["adapter.type"] == "lora"
    assert fields["general.architecture"] == "qwen2" and fields["adapter.lora.alpha"] == 16.0
    base = {t.name: t for t in gguf.GGUFReader(str(resolve_model(FAST_MODEL))).tensors}
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
    for name, value in tensors.items():
        if ".lora_B." in name:
            tensors[name] = value * 0 + 0.05
    save_file(tensors, str(out / "adapter_model.safetensors"))
    return adapter_to_gguf(out, out / ADAPTER_GGUF)


@pytest.mark.model
def test_llama_cpp_loads_the_adapter(trained: Path, tmp_path: Path) -> None:
    from codesift.backends.embedded import EmbeddedBackend

    prompt = Prompt(messages=(("user", "Write a Python function add(a, b)."),), prefill="```python\n", stop=("\n```",))
    policy = Policy(model=FAST_MODEL, temperature=0, max_tokens=24)
    threads = int(os.environ.get("CODESIFT_THREADS", 1))
    outputs: dict[str, Any] = {}
    for label, lora in [
        ("base", None), ("trained", trained / ADAPTER_GGUF), ("scaled", _scaled_adapter(trained, tmp_path / "s"))
    ]:  # fmt: skip
        backend = EmbeddedBackend(resolve_model(FAST_MODEL), threads=threads, batch=1, lora=lora)
        try:
            outputs[label] = backend.complete(prompt, [0], policy)[0].text
        finally:
            backend.close()
    assert outputs["base"].startswith("def add")
    assert outputs["scaled"] != outputs["base"]  # the adapter is applied
    with pytest.raises(BackendError, match="LoRA"):
        EmbeddedBackend(resolve_model(FAST_MODEL), threads=threads, lora=tmp_path / "missing.gguf")
