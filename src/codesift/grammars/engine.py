"""llama.cpp's grammar engine, driven token by token from Python.

`compile_grammar` turns GBNF into a llama.cpp grammar sampler (a parse error becomes one line naming the
grammar, the cause and the line/column); `GrammarState` is one sequence's position in the grammar and
answers the three questions a sampler asks: may this one token come next (a single-entry token array,
cheap), which tokens of this candidate array may (the expensive mask), and "this token was drawn".
`Matcher` checks whole texts against a grammar with only a model's vocabulary loaded (no weights), which
is how the grammar tests run without a model.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from codesift.grammars import GrammarError, resolve

with contextlib.redirect_stderr(None):
    import llama_cpp

# The layout of llama_token_data: candidate arrays are built with numpy, not token by token in Python.
TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
assert TOKEN_DATA.itemsize == ctypes.sizeof(llama_cpp.llama_token_data)


@contextlib.contextmanager
def _stderr_captured() -> Iterator[list[str]]:
    """llama.cpp prints grammar parse errors with fprintf(stderr): catch them at the file descriptor."""
    out: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            out.append(sink.read().decode("utf-8", errors="replace"))


def _position(gbnf: str, offset: int) -> str:
    line = gbnf.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - (gbnf.rfind(chr(10), 0, offset) + 1) + 1}"


def describe_error(name: str, gbnf: str, log: str) -> str:
    """One line from llama.cpp's parse error: what it expected and where (``at <rest of the text>``)."""
    found = re.search(r"error parsing grammar: (.*?)(?: at (.*?))?\n\n", log, re.S)
    if not found:
        return f"grammar {name!r} does not compile in llama.cpp: {log.strip().splitlines()[-1] if log.strip() else '?'}"
    cause, rest = found.group(1).strip(), found.group(2)
    where = ""
    if rest is not None and gbnf.endswith(rest):
        where = f" at {_position(gbnf, len(gbnf) - len(rest))}"
    elif undefined := re.search(r"Undefined rule identifier '(.+?)'", cause):
        use = re.search(rf"(?<![\w-]){re.escape(undefined.group(1))}(?![\w-])", gbnf)
        where = f" at {_position(gbnf, use.start())}" if use else ""
    elif "end of input" in cause:
        where = f" at {_position(gbnf, len(gbnf))}"
    return f"grammar {name!r} does not compile: {cause}{where}"


def compile_grammar(vocab: llama_cpp.llama_vocab_p, spec: str) -> llama_cpp.llama_sampler_p:
    """A fresh grammar sampler for ``spec`` (a `Policy.grammar` value); the caller frees it."""
    grammar = resolve(spec)
    with _stderr_captured() as log:
        sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.gbnf.encode(), b"root")
    if not sampler:
        raise GrammarError(describe_error(grammar.name, grammar.gbnf, "".join(log)))
    return sampler


class GrammarState:
    """One sequence's grammar state; owns its llama.cpp sampler."""

    def __init__(self, sampler: llama_cpp.llama_sampler_p) -> None:
        self._sampler: llama_cpp.llama_sampler_p | None = sampler
        self._one = np.zeros(1, TOKEN_DATA)
        self._one_array = token_array(self._one)

    def allows(self, token: int) -> bool:
        """Whether ``token`` may come next: the grammar is applied to a one-token array."""
        self._one[0] = (token, 0.0, 0.0)
        self._one_array.size, self._one_array.selected = 1, -1
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(self._one_array))
        return bool(np.isfinite(self._one[0]["logit"]))

    def mask(self, candidates: llama_cpp.llama_token_data_array) -> None:
        """Set the logit of every candidate the grammar forbids to -inf (the cost grows with the array)."""
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(candidates))

    def accept(self, token: int) -> None:
        """Advance past ``token``; only ever called with a token `allows` or `mask` let through
        (llama.cpp aborts the process on a token its grammar cannot take)."""
        llama_cpp.llama_sampler_accept(self._sampler, token)

    def clone(self) -> GrammarState:
        return GrammarState(llama_cpp.llama_sampler_clone(self._sampler))

    def free(self) -> None:
        if self._sampler:
            llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None


def token_array(data: np.ndarray) -> llama_cpp.llama_token_data_array:
    return llama_cpp.llama_token_data_array(
        data=data.ctypes.data_as(llama_cpp.llama_token_data_p), size=len(data), selected=-1, sorted=False
    )


class ConstrainedDraw:
    """Draws tokens under a grammar the way llama.cpp's common sampler does, plus one exact shortcut.

    1. *Check first*: draw from the unconstrained chain; if the grammar allows that one token, take it.
       One grammar check per token instead of 151,936: this is nearly every token of a sensible model.
    2. *Shortlist*: otherwise mask only the ``SHORTLIST`` highest logits. When at least ``need`` of them
       survive (top-k's k, or 1 when greedy) the chain sees exactly the tokens it would see after masking
       the whole vocabulary: every allowed token outside the shortlist ranks below k allowed ones inside it.
    3. *Full mask*: otherwise mask the whole vocabulary and draw again (always exact).
    ``mode="naive"`` masks the whole vocabulary before every draw (what a plain grammar sampler costs).
    The model's own logits are never changed, so the caller's logprob stays the model's.
    """

    SHORTLIST = 512

    def __init__(self, n_vocab: int, need: int | None, mode: str = "fast") -> None:
        self.need = need
        self.mode = mode
        self.n_vocab = n_vocab
        self._full: np.ndarray | None = None  # the whole vocabulary as candidates, allocated on first use
        self.rejected = 0  # tokens the check-first step refused (how often the slow steps ran)

    def draw(self, chain: ctypes.c_void_p, state: GrammarState, ctx: llama_cpp.llama_context_p, row: int) -> int | None:
        """A token the grammar allows, already accepted by it; ``None`` when the grammar allows none."""
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, row), shape=(self.n_vocab,))
        if self.mode != "naive":
            token = llama_cpp.llama_sampler_sample(chain, ctx, row)
            if state.allows(token):
                state.accept(token)
                return token
            self.rejected += 1
            if self.need is not None:
                top = np.argpartition(logits, -self.SHORTLIST)[-self.SHORTLIST :]
                short = np.zeros(len(top), TOKEN_DATA)
                short["id"], short["logit"] = top, logits[top]
                picked = self._pick(chain, state, short, self.need)
                if picked is not None:
                    return picked
        if self._full is None:
            self._full = np.zeros(self.n_vocab, TOKEN_DATA)
        self._full["id"], self._full["logit"], self._full["p"] = np.arange(self.n_vocab), logits, 0.0
        return self._pick(chain, state, self._full, 1)

    def _pick(self, chain: ctypes.c_void_p, state: GrammarState, data: np.ndarray, need: int) -> int | None:
        array = token_array(data)
        state.mask(array)
        if np.isfinite(data["logit"]).sum() < need:
            return None
        llama_cpp.llama_sampler_apply(chain, ctypes.byref(array))
        token = int(array.data[array.selected].id)
        state.accept(token)
        return token


class Matcher:
    """Whole texts against grammars, with only the vocabulary of a GGUF model loaded (fast, no weights)."""

    def __init__(self, model_path: str | Path) -> None:
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        with _stderr_captured():
            self._model = llama_cpp.llama_model_load_from_file(str(model_path).encode(), params)
        if not self._model:
            raise GrammarError(f"cannot read the vocabulary of {model_path}")
        self.vocab = llama_cpp.llama_model_get_vocab(self._model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self._eos = llama_cpp.llama_vocab_eos(self.vocab)

    def tokens(self, text: str) -> list[int]:
        raw = text.encode()
        buffer = (llama_cpp.llama_token * (len(raw) + 8))()
        n = llama_cpp.llama_tokenize(self.vocab, raw, len(raw), buffer, len(buffer), False, False)
        return list(buffer[:n])

    def accepts(self, spec: str, text: str, *, complete: bool = True) -> bool:
        """Whether the grammar lets a model write ``text`` token by token (and then stop, if ``complete``)."""
        state = GrammarState(compile_grammar(self.vocab, spec))
        try:
            for token in self.tokens(text):
                if not state.allows(token):
                    return False
                state.accept(token)
            return state.allows(self._eos) if complete else True
        finally:
            state.free()

    def close(self) -> None:
        if self._model:
            llama_cpp.llama_model_free(self._model)
            self._model = None
