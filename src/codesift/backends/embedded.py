"""llama.cpp in process, decoding many samples of one prompt together.

The prompt is decoded once into sequence 0 of a unified KV cache; each sample is a sequence that shares
those cells (``llama_memory_seq_cp``) and is extended one token per step in a single batch with all its
siblings, which is what makes many samples cheap on a CPU. Each sequence has its own sampler chain
(top-k, top-p, temperature, seeded draw), so a seed is reproducible; llama.cpp's kernels can differ by
batch shape, so the same seed drawn in a batch of a different size may (rarely) give a slightly different text.
The mean token logprob is taken from the untempered distribution: it measures the model's belief, not
the sampling noise (also under a grammar: the grammar picks among tokens, the logprob stays the model's).
A policy's grammar gives each sequence its own grammar state (`codesift.grammars.engine`), drawn with a
check-first fast path so that constraining costs about one grammar check per token, not one per vocabulary entry.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from codesift.backends import BackendError
from codesift.grammars.engine import ConstrainedDraw, GrammarState, compile_grammar
from codesift.records import Completion, Policy, Prompt

with contextlib.redirect_stderr(None):
    import llama_cpp
    from llama_cpp import llama_chat_format


@dataclass
class _Sequence:
    seed: int
    sampler: ctypes.c_void_p
    tokens: list[int]
    logprob_sum: float = 0.0
    text: bytes = b""
    finish: str = ""
    grammar: GrammarState | None = None


def _put(batch: llama_cpp.llama_batch, row: int, token: int, pos: int, seq: int, logits: bool) -> None:
    batch.token[row] = token
    batch.pos[row] = pos  # type: ignore[call-overload]
    batch.n_seq_id[row] = 1
    batch.seq_id[row][0] = seq  # type: ignore[call-overload]
    batch.logits[row] = logits


def free_cores(window: float = 0.1) -> float:
    """Cores left idle by everything else on the machine, from two /proc/stat readings `window` apart.

    llama.cpp's threads wait for each other at every layer: one thread that shares its core with another
    process stalls them all (16 sequences of the 0.5B model: 28.9 tokens/s on 2 threads beside one busy
    process, 42.9 on 1, 64 on a quiet machine), so threads are chosen from the cores actually free.
    """

    def idle_and_total() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields[:8])

    try:
        idle0, total0 = idle_and_total()
        time.sleep(window)
        idle1, total1 = idle_and_total()
    except (OSError, ValueError, IndexError):
        return float(os.cpu_count() or 1)
    cores = os.cpu_count() or 1
    return cores * (idle1 - idle0) / max(1, total1 - total0)


def auto_threads() -> int:
    """One thread per free core (at least one): a half-busy core counts as taken."""
    cores = os.cpu_count() or 1
    return max(1, min(cores, int(free_cores() + 0.25)))


def _log_softmax_at(logits: np.ndarray, token: int) -> float:
    peak = float(logits.max())
    return float(logits[token]) - peak - float(np.log(np.exp(logits - peak).sum()))


class EmbeddedBackend:
    """One model in memory; `complete` samples `len(seeds)` sequences, `batch` at a time.

    `batch` 20 draws the usual n = 20 of a problem together: 1.18× the tokens/s of 16 + 4 (docs/RESULTS.md).

    `lora`: a LoRA adapter in GGUF (`codesift train` writes one), applied at full scale to every context.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        threads: int | None = None,
        batch: int = 20,
        lora: str | Path | None = None,
        grammar_mode: str = "fast",
    ) -> None:
        self.model_path = Path(model_path)
        self.grammar_mode = grammar_mode  # "naive" masks the whole vocabulary every token (for measuring)
        self.last_draw: ConstrainedDraw | None = None  # the last batch's grammar draw (its rejection count)
        # Fixed by the caller or CODESIFT_THREADS; otherwise re-chosen from the free cores before every batch.
        self.fixed_threads = threads or int(os.environ.get("CODESIFT_THREADS", 0)) or None
        self.threads = self.fixed_threads or auto_threads()
        self.batch = batch
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.model_path), n_ctx=512, n_threads=self.threads, verbose=False
            )
        except ValueError as err:
            raise BackendError(f"cannot load model {self.model_path}: {err}") from None
        self._lora = self._load_lora(Path(lora)) if lora else None
        self.vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self.n_vocab = self.llm.n_vocab()
        self._ctx: llama_cpp.llama_context_p | None = None
        self._ctx_size = 0

    def _load_lora(self, path: Path) -> llama_cpp.llama_adapter_lora_p:
        if not path.is_file():
            raise BackendError(f"LoRA adapter {path} not found; pass the .gguf file `codesift train` wrote")
        adapter = llama_cpp.llama_adapter_lora_init(self.llm.model, str(path).encode())
        if not adapter:
            raise BackendError(f"llama.cpp refused the LoRA adapter {path} (not a GGUF adapter for this base model?)")
        return adapter

    @cached_property
    def _formatter(self) -> llama_chat_format.Jinja2ChatFormatter:
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise BackendError(f"{self.model_path} has no chat template; use an instruct model")
        eos = self.llm.detokenize([self.llm.token_eos()], special=True).decode()
        return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")

    def render(self, prompt: Prompt) -> str:
        messages = [{"role": role, "content": content} for role, content in prompt.messages]
        return self._formatter(messages=messages).prompt + prompt.prefill  # type: ignore[arg-type]

    def _context(self, n_ctx: int) -> llama_cpp.llama_context_p:
        """A context big enough for the prompt plus every live sequence; grown, never shrunk."""
        if self._ctx is None or n_ctx > self._ctx_size:
            if self._ctx is not None:
                llama_cpp.llama_free(self._ctx)
            params = llama_cpp.llama_context_default_params()
            params.n_ctx = n_ctx
            params.n_batch = 512
            params.n_ubatch = 512
            params.n_seq_max = self.batch + 1
            params.kv_unified = True
            params.n_threads = params.n_threads_batch = self.threads
            self._ctx = llama_cpp.llama_init_from_model(self.llm.model, params)
            if not self._ctx:
                raise BackendError(f"llama.cpp could not allocate a context of {n_ctx} tokens")
            if self._lora is not None:
                # the binding returns the adapter typed as c_void_p but its array holds POINTER(c_void_p)
                adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self._lora)  # type: ignore[misc]
                if llama_cpp.llama_set_adapters_lora(self._ctx, adapters, 1, (ctypes.c_float * 1)(1.0)):
                    raise BackendError("llama.cpp could not apply the LoRA adapter to the context")
            self._ctx_size = n_ctx
        return self._ctx

    def close(self) -> None:
        if self._ctx is not None:
            llama_cpp.llama_free(self._ctx)
            self._ctx = None
        if self._lora is not None:
            llama_cpp.llama_adapter_lora_free(self._lora)
            self._lora = None
        self.llm.close()

    def _sampler(self, policy: Policy, seed: int) -> ctypes.c_void_p:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if policy.temperature <= 0:
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        else:
            if policy.top_k > 0:
                llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_k(policy.top_k))
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_p(policy.top_p, 1))
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_temp(policy.temperature))
            llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def complete(self, prompt: Prompt, seeds: Sequence[int], policy: Policy) -> list[Completion]:
        tokens = self.llm.tokenize(self.render(prompt).encode(), add_bos=False, special=True)
        results: list[Completion] = []
        for start in range(0, len(seeds), self.batch):
            results += self._complete_batch(tokens, list(seeds[start : start + self.batch]), prompt, policy)
        return results

    def _decode(self, ctx: llama_cpp.llama_context_p, batch: llama_cpp.llama_batch) -> None:
        if llama_cpp.llama_decode(ctx, batch) != 0:
            raise BackendError("llama.cpp failed to decode (context full?); lower --max-tokens or --batch")

    def _complete_batch(
        self, prompt_tokens: list[int], seeds: list[int], prompt: Prompt, policy: Policy
    ) -> list[Completion]:
        started = time.perf_counter()
        n_prompt = len(prompt_tokens)
        ctx = self._context(n_prompt + len(seeds) * policy.max_tokens + 16)
        if self.fixed_threads is None:
            self.threads = auto_threads()
            llama_cpp.llama_set_n_threads(ctx, self.threads, self.threads)
        memory = llama_cpp.llama_get_memory(ctx)
        llama_cpp.llama_memory_clear(memory, True)
        batch = llama_cpp.llama_batch_init(max(512, len(seeds)), 0, len(seeds) + 1)
        try:
            for chunk in range(0, n_prompt, 512):
                part = prompt_tokens[chunk : chunk + 512]
                batch.n_tokens = len(part)
                for i, token in enumerate(part):
                    _put(batch, i, token, chunk + i, 0, chunk + i == n_prompt - 1)
                self._decode(ctx, batch)
            states = self._grammar_states(policy, len(seeds))
            sequences = [
                _Sequence(seed, self._sampler(policy, seed), [], grammar=g)
                for seed, g in zip(seeds, states, strict=True)
            ]
            for s in range(1, len(seeds) + 1):
                llama_cpp.llama_memory_seq_cp(memory, 0, s, -1, -1)
            logit_rows = {s: batch.n_tokens - 1 for s in range(len(seeds))}
            self._generate(ctx, batch, sequences, logit_rows, n_prompt, prompt.stop, policy)
        finally:
            llama_cpp.llama_batch_free(batch)
        seconds = (time.perf_counter() - started) / len(seeds)
        completions = []
        for seq in sequences:
            llama_cpp.llama_sampler_free(seq.sampler)
            if seq.grammar is not None:
                seq.grammar.free()
            text = seq.text.decode("utf-8", errors="replace")
            cut = min((text.find(s) for s in prompt.stop if s in text), default=len(text))
            completions.append(
                Completion(
                    text=text[:cut],
                    seed=seq.seed,
                    prompt_tokens=n_prompt,
                    completion_tokens=len(seq.tokens),
                    mean_logprob=seq.logprob_sum / len(seq.tokens) if seq.tokens else None,
                    seconds=seconds,
                    finish_reason=seq.finish or "length",
                )
            )
        return completions

    def _generate(
        self,
        ctx: llama_cpp.llama_context_p,
        batch: llama_cpp.llama_batch,
        sequences: list[_Sequence],
        logit_rows: dict[int, int],
        n_prompt: int,
        stops: Sequence[str],
        policy: Policy,
    ) -> None:
        """Draw a token for every live sequence, then decode all of them in one batch, until all stop."""
        tail = max((len(s.encode()) for s in stops), default=0) + 8
        max_tokens = policy.max_tokens
        draw = self._grammar_draw(policy)
        for step in range(max_tokens):
            live = []
            for index, seq in enumerate(sequences):
                if seq.finish:
                    continue
                row = logit_rows[index]
                if seq.grammar is None:
                    token = llama_cpp.llama_sampler_sample(seq.sampler, ctx, row)
                elif (drawn := draw.draw(seq.sampler, seq.grammar, ctx, row)) is not None:
                    token = drawn
                else:  # the grammar allows nothing more (not even the end): stop where it is
                    seq.finish = "stop"
                    continue
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, row), shape=(self.n_vocab,))
                seq.logprob_sum += _log_softmax_at(logits, token)
                if llama_cpp.llama_vocab_is_eog(self.vocab, token):
                    seq.finish = "stop"
                    continue
                seq.tokens.append(token)
                seq.text += self.llm.detokenize([token])
                if any(s in seq.text[-tail:].decode("utf-8", errors="ignore") for s in stops):
                    seq.finish = "stop"
                elif step + 1 == max_tokens:
                    seq.finish = "length"
                else:
                    live.append((index, token))
            if not live:
                return
            batch.n_tokens = len(live)
            for row, (index, token) in enumerate(live):
                _put(batch, row, token, n_prompt + step, index + 1, True)
                logit_rows[index] = row
            self._decode(ctx, batch)

    # Grammar-constrained decoding (issue 13): kept apart from the batching above so both can change alone.

    def _grammar_states(self, policy: Policy, count: int) -> list[GrammarState | None]:
        """One grammar state per sequence, cloned from one compile (a compile error is a one-line
        `GrammarError` before anything is sampled)."""
        if policy.grammar is None:
            return [None] * count
        template = GrammarState(compile_grammar(self.vocab, policy.grammar))
        try:
            return [template.clone() for _ in range(count)]
        finally:
            template.free()

    def _grammar_draw(self, policy: Policy) -> ConstrainedDraw:
        """The draw under a grammar; ``need`` is how many allowed tokens a shortlist must keep for the
        policy's chain to see exactly what it would see after masking the whole vocabulary."""
        need = 1 if policy.temperature <= 0 else (policy.top_k or None)
        self.last_draw = ConstrainedDraw(self.n_vocab, need, self.grammar_mode)
        return self.last_draw
