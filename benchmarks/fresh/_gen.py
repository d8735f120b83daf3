"""Helpers for the problem sources: deterministic random inputs (never imported by codesift itself)."""

from __future__ import annotations

import random


def args(*values: object) -> str:
    """The argument source of a call: `args([1, 2], 3)` -> `"[1, 2], 3"`."""
    return ", ".join(repr(v) for v in values)


def rng(name: str) -> random.Random:
    """One generator per problem, seeded by its name, so editing one problem leaves the others' tests alone."""
    return random.Random(name)
