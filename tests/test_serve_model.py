"""`codesift serve` with the real embedded 0.5B model behind it (run under the model lock).

One job, then a hint: the hint re-queues the job, which samples again with the hint in the prompt (the
only feedback that needs the model, so the only one not covered by the recorded-completion tests).
"""

from __future__ import annotations

import subprocess
import sys
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
        job = wait(client, job_id)
        first = client.get(f"/v1/jobs/{job_id}/events").text.splitlines()
        hinted = client.post(f"/v1/jobs/{job_id}/feedback", json={"action": "hint", "text": "use abs(n) first"})
        assert hinted.status_code == 200 and hinted.json()["status"] == "queued"
        again = wait(client, job_id)
        both = client.get(f"/v1/jobs/{job_id}/events").text.splitlines()
        for answer in (job["answer"], again["answer"]):
            best = answer["submissions"][0]["code"]
            assert [v.status for v in ex.run(best, problem.examples)] == ["passed"] * len(problem.examples)
    assert job["answer"]["samples"] == 4 and job["answer"]["completion_tokens"] > 0
    assert sum(line == "event: candidate" for line in first) == 4
    assert sum(line == "event: candidate" for line in both) == 8  # the hint drew 4 new samples
    assert again["candidates"] == 4  # the original problem's; the hinted prompt's are stored under their own id


def wait(client: httpx.Client, job_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 600
    while (job := client.get(f"/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert job["status"] == "done", job["error"]
    return dict(job)


@pytest.mark.model
def test_ask_answers_a_question_about_an_uploaded_file_with_the_real_model(tmp_path: Path) -> None:
    sales = b"region,amount\nNorth,10\nSouth,30\nNorth,20\nSouth,50\n"
    with (
        make_executor(workers=2) as ex,
        served(tmp_path / "serve.sqlite", executor=ex, real_model=True, workers=1) as s,
        httpx.Client(base_url=s.url, timeout=30) as client,
    ):
        r = client.post(
            "/v1/ask",
            files={"data": ("sales.csv", sales)},
            data={"question": "Which region has the highest mean amount?", "samples": "4"},
        )
        assert r.status_code == 202, r.text
        job = wait(client, r.json()["id"])
        lines = client.get(f"/v1/jobs/{job['id']}/events").text.splitlines()
        refused = client.get(f"/v1/jobs/{job['id']}/clusters")
    answer = job["ask"]
    assert isinstance(answer, dict) and answer["samples"] >= 4
    # The 0.5B model's answer need not be right ("South"); it must be what the chosen program prints on the upload.
    assert answer["answer"] is not None and answer["program"]
    (tmp_path / "sales.csv").write_bytes(sales)
    rerun = subprocess.run([sys.executable, "-c", answer["program"]], cwd=tmp_path, capture_output=True, text=True)
    printed = rerun.stdout.replace(" ", "")
    assert all(f"@{name}[{value}]" in printed for name, value in answer["answer"].items()), rerun.stdout
    assert sum(line == "event: candidate" for line in lines) >= 4
    assert refused.status_code == 409
