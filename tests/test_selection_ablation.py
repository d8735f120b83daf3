"""bench/selection_ablation.py, the tool behind every selection table in docs/RESULTS.md, replays two problems of
the committed fresh 1.5B bank (real samples and the 1.5B's real tests, real sandbox) and reproduces the rows it
wrote in session 12 (docs/runs/select-fresh-1.5b-n20-ablation-s12.jsonl)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from script_loader import ROOT, load_script

from codesift.bench.bank import BankHeader, BankTests, read_bank

ablation = load_script("bench", "selection_ablation")

BANK = ROOT / "bank" / "fresh-qwen2.5-coder-1.5b-n20-t0.8-4496082f.jsonl.gz"
RECORDED = ROOT / "docs" / "runs" / "select-fresh-1.5b-n20-ablation-s12.jsonl"
# the ranking wins one (most common is a coin flip between two clusters of one sample) and loses one
PROBLEMS = ("fresh/odd_length_out", "fresh/collapse_repeats")
METHODS = (
    "raw pass@1", "filter, random", ablation.BASELINE, "largest cluster", "size + CodeT", "support + CodeT",
    "10@n, default ranking (one per cluster)", ablation.DEFAULT,
)  # fmt: skip
COMPARED = (*METHODS, "oracle@n", "passing samples", "clusters")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    tmp = tmp_path_factory.mktemp("ablation")
    header, samples, written = read_bank(BANK)
    lines = [
        header,
        *(s for s in samples if s.problem_id in PROBLEMS),
        *(BankTests(problem_id=p, written=written[p]) for p in PROBLEMS if p in written),
    ]
    assert isinstance(header, BankHeader) and len(lines) > 40
    small = tmp / "two.jsonl.gz"
    small.write_bytes(gzip.compress(b"".join(line.model_dump_json().encode() + b"\n" for line in lines)))
    out = tmp / "rows.jsonl"
    args = ["--benchmark", "fresh", "--bank", str(small), "--cache", str(tmp / "cache.sqlite"), "--workers", "1"]
    assert ablation.main([*args, "--json", str(out)]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_the_replay_reproduces_the_committed_rows(replayed: list[dict[str, object]]) -> None:
    recorded = {r["id"]: r for r in map(json.loads, RECORDED.read_text().splitlines()) if r["id"] in PROBLEMS}
    assert [r["id"] for r in replayed] == list(PROBLEMS)
    for row in replayed:
        assert {k: row[k] for k in COMPARED} == {k: recorded[row["id"]][k] for k in COMPARED}
    assert [r[ablation.DEFAULT] for r in replayed] == [1.0, 0.0]


def test_no_method_beats_the_oracle_and_the_table_carries_intervals(
    replayed: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    for row in replayed:
        assert all(0.0 <= row[m] <= row["oracle@n"] for m in METHODS)  # type: ignore[operator]
    ablation.print_table("fresh", [ablation._numbers(r) for r in replayed])
    table = capsys.readouterr().out
    assert "fresh: 2 problems, 20 samples each" in table
    assert f"| {ablation.DEFAULT} | 50.0 [" in table and "| filter, most common | 45.0 [" in table


def test_saved_rows_compare_with_any_method(
    replayed: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in replayed))
    args = ["--benchmark", "fresh", "--rows", str(rows)]
    assert ablation.main([*args, "--against", ablation.DEFAULT]) == 0
    table = capsys.readouterr().out
    assert f"vs {ablation.DEFAULT} [95% CI]" in table
    assert f"| {ablation.DEFAULT} | 50.0 [" in table and "| no | 0/0 | 2 |" in table  # itself: never won nor lost
    assert "| oracle@n | 100.0 [" in table and "| 1/0 | 2 |" in table  # the oracle wins the problem the ranking lost
    with pytest.raises(SystemExit):
        ablation.main([*args, "--against", "no such method"])
    assert "is no method of these rows" in capsys.readouterr().err
