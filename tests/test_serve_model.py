"""`codesift serve` with the real embedded 0.5B model behind it (run under the model lock)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
import pytest
from serve_helpers import EXAMPLES, served

from codesift.execute import make_executor
from codesift.problems import load_problem


@pytest.mark.model
def test_the_real_model_answers_a_job_with_a_program_that_passes(tmp_path: Path) -> None:
    example = EXAMPLES / "digit_sum.py"
    problem = load_problem(example)
    body = {"problem": example.read_text(), "filename": example.name, "samples": 4, "max_tokens": 256}
    with (
        make_executor(workers=2) as ex,
        served(tmp_path / "serve.sqlite", executor=ex, real_model=True, test_writers=1, workers=1) as s,
        httpx.Client(base_url=s.url, timeout=30) as client,
    ):
        job_id = client.post("/v1/solve", json=body).json()["id"]
        deadline = time.monotonic() + 600
        while (job := client.get(f"/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.5)
        lines = client.get(f"/v1/jobs/{job_id}/events").text.splitlines()
        assert job["status"] == "done", job["error"]
        best = job["answer"]["submissions"][0]
        assert [v.status for v in ex.run(best["code"], problem.examples)] == ["passed"] * len(problem.examples)
    assert job["answer"]["samples"] == 4 and job["answer"]["completion_tokens"] > 0
    assert sum(line == "event: candidate" for line in lines) == 4
    assert "write tests" in job["answer"]["timings"] or job["answer"]["passing"] <= 1
