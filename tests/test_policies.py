"""Families of policies: TOML loading with one-line errors, and the deterministic split of samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesift.policies import PolicyError, allocate, load_policies, parse_policies, plan
from codesift.records import Policy

FAMILY = """
[defaults]
backend = "openai"
model = "qwen2.5-coder-0.5b"
base_url = "http://127.0.0.1:8000/v1"

[[policy]]
name = "plain-hot"
prompt = "plain"
temperature = 0.8
weight = 3

[[policy]]
name = "examples-cold"
prompt = "examples-first"
temperature = 0.2
api = "completion"

[[policy]]
name = "local"
backend = "embedded"
base_url = ""
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policies.toml"
    path.write_text(text)
    return path


def test_family_loads_with_defaults_and_overrides(tmp_path: Path) -> None:
    hot, cold, local = load_policies(write(tmp_path, FAMILY))
    assert (hot.name, hot.backend, hot.prompt, hot.temperature, hot.weight) == (
        "plain-hot",
        "openai",
        "plain",
        0.8,
        3,
    )
    assert (cold.prompt, cold.temperature, cold.api, cold.weight) == (
        "examples-first",
        0.2,
        "completion",
        1.0,
    )
    assert hot.base_url == cold.base_url == "http://127.0.0.1:8000/v1"
    assert (local.backend, local.model) == ("embedded", "qwen2.5-coder-0.5b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[policy]]\nname = "a"\ntemprature = 0.5\n',
            "policy #1 ('a'): unknown key 'temprature'; allowed keys: name,",
        ),
        (
            '[[policy]]\ntemperature = "hot"\n',
            "policy #1 ('policy1'): temperature: Input should be a valid number",
        ),
        ('[[policy]]\nbackend = "vllm"\n', "backend: Input should be 'embedded' or 'openai'"),
        ('[[policy]]\nname = "a"\n[[policy]]\nname = "a"\n', "policy name 'a' is used twice"),
        ('[[policy]]\nname = "a"\n[[policy]]\nname = "b"\nweight = 2\n', "'a' and 'b' differ only in name or weight"),
        ("[[policy]]\nweight = 0\n", "weight: Input should be greater than 0 (got 0)"),
        ("[[policy]]\nweight = inf\n", "weight: Input should be a finite number"),
        ("[[policy]]\ntemperature = -1\n", "temperature: Input should be greater than or equal to 0"),
        ("[[policy]]\ntop_p = 1.5\n", "top_p: Input should be less than or equal to 1"),
        ("[[policy]]\nmax_tokens = 0\n", "max_tokens: Input should be greater than or equal to 1"),
        ("[[policy]]\ntop_k = -1\n", "top_k: Input should be greater than or equal to 0"),
        ('name = "x"\n', "unknown top-level key 'name'"),
        ("[defaults]\n", "no policies; add at least one [[policy]] table"),
        ("[[policy]\n", "not valid TOML"),
        ("policy = [1]\n", "policy #1 must be a [[policy]] table of settings, not 1"),
    ],
)
def test_mistakes_are_one_line_errors_naming_file_entry_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as caught:
        load_policies(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and expected in message and "\n" not in message, message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nope\.toml: cannot read the policy file"):
        load_policies(tmp_path / "nope.toml")


def family(*weights: float) -> tuple[Policy, ...]:
    return parse_policies(
        {"policy": [{"name": f"p{i}", "weight": w, "temperature": i / 10} for i, w in enumerate(weights)]}
    )


def test_split_follows_weights_and_sums_to_n() -> None:
    assert allocate(family(3, 1), 8) == [6, 2]
    assert allocate(family(1, 1, 1), 10) == [4, 3, 3]  # the tie goes to the earlier policy
    assert allocate(family(1, 2), 1) == [0, 1]
    assert allocate(family(5), 7) == [7]
    assert allocate(family(1, 1), 0) == [0, 0]
    for weights in [(1, 2, 3), (0.3, 0.7), (10, 1, 1, 1)]:
        for n in range(0, 60):
            counts = allocate(family(*weights), n)
            assert sum(counts) == n
            assert all(abs(c - n * w / sum(weights)) < 1 for c, w in zip(counts, weights, strict=True))  # quota


def test_split_never_takes_samples_away_as_n_grows() -> None:
    policies = family(0.5, 0.3, 0.2)
    previous = allocate(policies, 0)
    for n in range(1, 100):
        counts = allocate(policies, n)
        assert all(c >= p for c, p in zip(counts, previous, strict=True))
        previous = counts


def test_plan_gives_each_policy_its_own_stable_seed_range() -> None:
    policies = family(2, 1)
    assert [(p.name, seeds) for p, seeds in plan(policies, 5, seed=10)] == [
        ("p0", [10, 11, 12, 13]),
        ("p1", [10]),
    ]
    small, large = plan(policies, 5, seed=10), plan(policies, 9, seed=10)
    for (_, few), (_, more) in zip(small, large, strict=True):
        assert more[: len(few)] == few  # a larger run reuses every sample of a smaller one
