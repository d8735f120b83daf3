"""A tiny randomly initialised Qwen2 written as a GGUF file, for the training smoke test.

One transformer block of width 64 with random weights, and everything else (tokenizer, chat template,
rope base, norms' epsilon) copied from the embedded 0.5B's GGUF, so the recipe takes exactly the path
it takes on the real model: transformers reads (and "dequantises") the GGUF, TRL trains, the adapter
goes back to GGUF, and llama.cpp loads the tiny model with the adapter. Float32 tensors, ~40 MB.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

HIDDEN, FFN, HEADS, KV_HEADS = 64, 128, 4, 2


def write_tiny_qwen2(reference: Path, out: Path, seed: int = 0) -> Path:
    ref = gguf.GGUFReader(str(reference))
    vocab = len(ref.fields["tokenizer.ggml.tokens"].contents())
    shape = {
        "qwen2.block_count": 1, "qwen2.embedding_length": HIDDEN, "qwen2.feed_forward_length": FFN,
        "qwen2.attention.head_count": HEADS, "qwen2.attention.head_count_kv": KV_HEADS,
        "general.file_type": int(gguf.LlamaFileType.ALL_F32), "general.name": "tiny random qwen2",
    }  # fmt: skip
    writer = gguf.GGUFWriter(str(out), "qwen2")
    for key, field in ref.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.quantization_version"):
            continue
        sub = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, shape.get(key, field.contents()), field.types[0], sub_type=sub)
    rng = np.random.default_rng(seed)
    kv = KV_HEADS * HIDDEN // HEADS

    def normal(*dims: int) -> np.ndarray:
        return (rng.standard_normal(dims) * 0.02).astype(np.float32)

    tensors = {
        "token_embd.weight": normal(vocab, HIDDEN),
        "blk.0.attn_norm.weight": np.ones(HIDDEN, np.float32),
        "blk.0.attn_q.weight": normal(HIDDEN, HIDDEN), "blk.0.attn_q.bias": normal(HIDDEN),
        "blk.0.attn_k.weight": normal(kv, HIDDEN), "blk.0.attn_k.bias": normal(kv),
        "blk.0.attn_v.weight": normal(kv, HIDDEN), "blk.0.attn_v.bias": normal(kv),
        "blk.0.attn_output.weight": normal(HIDDEN, HIDDEN),
        "blk.0.ffn_norm.weight": np.ones(HIDDEN, np.float32),
        "blk.0.ffn_gate.weight": normal(FFN, HIDDEN), "blk.0.ffn_up.weight": normal(FFN, HIDDEN),
        "blk.0.ffn_down.weight": normal(HIDDEN, FFN),
        "output_norm.weight": np.ones(HIDDEN, np.float32),
    }  # fmt: skip
    for name, value in tensors.items():
        writer.add_tensor(name, value)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
