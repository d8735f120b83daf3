"""Families of policies: load them from TOML and spread a sample budget over them by weight.

A file lists ``[[policy]]`` tables whose keys are the fields of `codesift.records.Policy`; an optional
``[defaults]`` table fills keys every policy leaves out. Field values are checked by the record
itself (pydantic constraints); this module checks only what spans a file: its shape and unique names.

Samples are split by weight with the quota method (`allocate`), so the split is deterministic and sums
to ``n``; each policy draws seeds ``seed, seed + 1, …``, so raising ``n`` later keeps every sample
already drawn.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesift.errors import CodesiftError
from codesift.records import Policy


class PolicyError(CodesiftError, ValueError):
    """A policy file the user must fix; the message is one line naming the file, the entry and the key."""


def load_policies(path: str | Path) -> tuple[Policy, ...]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise PolicyError(f"{path}: cannot read the policy file ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{path}: not valid TOML ({e})") from None
    return parse_policies(data, source=str(path))


def parse_policies(data: dict[str, Any], source: str = "policies") -> tuple[Policy, ...]:
    unknown = sorted(set(data) - {"policy", "defaults"})
    if unknown:
        raise PolicyError(f"{source}: unknown top-level key {unknown[0]!r}; use [[policy]] tables and [defaults]")
    entries = data.get("policy")
    if not isinstance(entries, list) or not entries:
        raise PolicyError(f"{source}: no policies; add at least one [[policy]] table")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise PolicyError(f"{source}: [defaults] must be a table")
    policies = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise PolicyError(f"{source}: policy #{i} must be a [[policy]] table of settings, not {entry!r}")
        fields = {**defaults, **entry}
        fields.setdefault("name", f"policy{i}")
        label = f"{source}: policy #{i} ({fields['name']!r})"
        try:
            policy = Policy.model_validate(fields)
        except ValidationError as e:
            raise PolicyError(f"{label}: {_first_error(e)}") from None
        policies.append(policy)
    names = [p.name for p in policies]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise PolicyError(
            f"{source}: policy name {duplicate!r} is used twice; names label the results, make them unique"
        )
    for i, p in enumerate(policies):
        twin = next((q for q in policies[:i] if q.sampling == p.sampling), None)
        if twin is not None:
            raise PolicyError(
                f"{source}: policies {twin.name!r} and {p.name!r} differ only in name or weight, so they would draw "
                "the same samples; merge them (add their weights) or change a setting"
            )
    return tuple(policies)


def _first_error(e: ValidationError) -> str:
    error = e.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "entry"
    if error["type"] == "extra_forbidden":
        return f"unknown key {where!r}; allowed keys: {', '.join(Policy.model_fields)}"
    return f"{where}: {error['msg']} (got {error.get('input')!r})"


def allocate(policies: Sequence[Policy], n: int) -> list[int]:
    """Samples per policy, proportional to weight and summing to ``n``.

    Balinski and Young's quota method: slots are handed out one at a time, each to the policy with the
    highest ``weight / (count + 1)`` among those still below their upper quota (ties: the earlier).
    One at a time makes the split monotone (raising ``n`` never takes a sample from a policy, so a
    larger rerun reuses every sample), and every count stays within 1 of its exact share.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    weights = [Fraction(p.weight) for p in policies]
    total = sum(weights)
    counts = [0] * len(policies)
    for size in range(1, n + 1):
        eligible = [i for i, w in enumerate(weights) if counts[i] < math.ceil(size * w / total)]
        best = max(eligible, key=lambda i: (weights[i] / (counts[i] + 1), -i))
        counts[best] += 1
    return counts


def plan(policies: Sequence[Policy], n: int, seed: int = 0) -> list[tuple[Policy, list[int]]]:
    """The seeds each policy samples: its share of ``n`` as ``seed, seed + 1, …`` (stable as n grows)."""
    return [(p, list(range(seed, seed + count))) for p, count in zip(policies, allocate(policies, n), strict=True)]
