"""`codesift serve` over HTTP: the real app on 127.0.0.1, the real sandbox, recorded real completions.

Jobs, the event stream's order, errors as one-line JSON, the token, the limits, the queue (429) and
cancelling, the interactive loop, and a restart (SIGKILL) that resumes a job without re-sampling.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from serve_helpers import EXAMPLES, TASK_594, PacedReplay, free_port, mbpp_594_record, right_choice, served
from typer.testing import CliRunner

from codesift.bench.grade import grade_programs
from codesift.cli import app as cli_app
from codesift.cli.serve import check_exposure
from codesift.errors import CodesiftError, UsageError
from codesift.execute import Executor
from codesift.problems import load_problem, parse_problem
from codesift.records import digest

RUNNING_MAX = (EXAMPLES / "running_max.py").read_text()


def solve_body(problem: str = RUNNING_MAX, filename: str = "running_max.py", **fields: Any) -> dict[str, Any]:
    return {"problem": problem, "filename": filename, "test_writers": 0, **fields}


def wait_done(client: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still unfinished after {timeout}s")


def read_events(client: httpx.Client, job_id: str, headers: dict[str, str] | None = None) -> list[tuple[int, dict]]:
    """The job's Server-Sent Events as (id, data); the stream ends by itself once the job has ended."""
    events, seq = [], None
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers or {}, timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                assert seq is not None
                events.append((seq, data))
    return events


def test_a_job_streams_its_events_in_order_and_answers_with_a_checked_program(tmp_path: Path, ex: Executor) -> None:
    problem = load_problem(EXAMPLES / "running_max.py")
    with served(tmp_path / "serve.sqlite", executor=ex) as s, httpx.Client(base_url=s.url) as client:
        r = client.post("/v1/solve", json=solve_body())
        assert r.status_code == 202 and r.json()["status"] == "queued"
        job_id = r.json()["id"]
        events = read_events(client, job_id)
        job = client.get(f"/v1/jobs/{job_id}").json()

    assert [seq for seq, _ in events] == list(range(len(events)))
    kinds = [e["kind"] for _, e in events]
    assert [e.get("status") for e in (events[0][1], events[1][1])] == ["queued", "running"]
    assert kinds[-1] == "done" and kinds.count("done") == 1 and events[-1][1]["status"] == "done"

    def at(kind: str, stage: str | None = None) -> int:
        return next(i for i, (_, e) in enumerate(events) if e["kind"] == kind and e.get("stage", stage) == stage)

    candidates = [i for i, k in enumerate(kinds) if k == "candidate"]
    assert len(candidates) == 8
    assert at("stage-started", "sample") < min(candidates) and max(candidates) < at("stage-finished", "sample")
    assert at("stage-finished", "sample") < at("stage-started", "run examples")
    assert at("stage-finished", "run examples") < at("verdicts") < at("stage-started", "select")
    assert at("stage-finished", "select") < at("clusters") < at("done")
    verdicts = events[at("verdicts")][1]
    assert sum(p["votes"] for p in verdicts["programs"]) == 8
    assert any(all(s == "passed" for s in p["statuses"]) for p in verdicts["programs"])

    assert job["status"] == "done" and job["candidates"] == 8
    assert job["answer"] == events[-1][1]["answer"]
    best = job["answer"]["submissions"][0]
    assert best["examples_passed"] == best["examples_total"] == len(problem.examples)
    assert [v.status for v in ex.run(best["code"], problem.examples)] == ["passed"] * len(problem.examples)


def test_a_reconnecting_client_gets_exactly_the_events_it_missed(tmp_path: Path, ex: Executor) -> None:
    with served(tmp_path / "serve.sqlite", executor=ex) as s, httpx.Client(base_url=s.url) as client:
        job_id = client.post("/v1/solve", json=solve_body()).json()["id"]
        everything = read_events(client, job_id)
        assert read_events(client, job_id, {"Last-Event-ID": "5"}) == everything[6:]
        assert read_events(client, job_id, {"Last-Event-ID": str(everything[-1][0])}) == []


def test_the_same_request_twice_reuses_the_stored_samples(tmp_path: Path, ex: Executor) -> None:
    with served(tmp_path / "serve.sqlite", executor=ex) as s, httpx.Client(base_url=s.url) as client:
        first = wait_done(client, client.post("/v1/solve", json=solve_body()).json()["id"])
        calls = len(s.backend.calls)
        second = wait_done(client, client.post("/v1/solve", json=solve_body()).json()["id"])
        other = wait_done(client, client.post("/v1/solve", json=solve_body(samples=4)).json()["id"])
        listed = client.get("/v1/jobs").json()["jobs"]
    assert calls == 1 and s.backend.calls == [tuple(range(8)), (0, 1, 2, 3)]
    assert second["answer"]["submissions"] == first["answer"]["submissions"] and second["answer"]["executions"] == 0
    assert second["problem_id"] == first["problem_id"] != other["problem_id"]  # a changed setting is a new key
    assert [j["id"] for j in listed] == [other["id"], second["id"], first["id"]]


def error_of(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) == {"error"} and "\n" not in body["error"]["message"]
    return str(body["error"]["message"])


def test_errors_are_json_with_the_clis_one_line_message(tmp_path: Path, ex: Executor) -> None:
    statement = "Add two numbers.\n"
    with pytest.raises(CodesiftError) as cli_error:
        parse_problem(statement, "sum.md")
    with (
        served(tmp_path / "serve.sqlite", executor=ex, max_samples=16, max_body=20_000) as s,
        httpx.Client(base_url=s.url) as client,
    ):
        r = client.post("/v1/solve", json=solve_body(statement, "sum.md"))
        assert r.status_code == 400 and error_of(r) == str(cli_error.value)
        r = client.post("/v1/solve", json=solve_body(samples=17))
        assert r.status_code == 400 and "limit of 16" in error_of(r)
        r = client.post("/v1/solve", json=solve_body(model="/etc/passwd.gguf"))
        assert r.status_code == 400 and "not offered" in error_of(r)
        r = client.post("/v1/solve", json=solve_body(policies=[{"name": "x", "base_url": "http://10.0.0.1"}]))
        assert r.status_code == 400 and "the service's" in error_of(r)
        r = client.post("/v1/solve", json=solve_body(select={"w_nonsense": 1}))
        assert r.status_code == 400 and "w_nonsense" in error_of(r)
        r = client.post("/v1/solve", json=solve_body(samples=0))
        assert r.status_code == 422 and error_of(r).startswith("body.samples:")
        r = client.post("/v1/solve", content=b"{", headers={"content-type": "application/json"})
        assert r.status_code == 422
        r = client.post("/v1/solve", json=solve_body("#" * 30_000))
        assert r.status_code == 413 and "20000 bytes" in error_of(r)
        r = client.get("/v1/jobs/nope")
        assert r.status_code == 404 and "no job 'nope'" in error_of(r)
        r = client.get("/v1/nothing-here")
        assert r.status_code == 404
        assert client.get("/v1/jobs").json()["jobs"] == []  # no refused request left a job behind
        schema = client.get("/openapi.json").json()
        assert {"/v1/solve", "/v1/jobs/{job_id}/events", "/v1/chat/completions"} <= set(schema["paths"])
        assert "SolveRequest" in schema["components"]["schemas"]


def test_a_token_guards_every_endpoint_but_health(tmp_path: Path, ex: Executor) -> None:
    token = "t0k3n-for-tests"
    with served(tmp_path / "serve.sqlite", executor=ex, token=token) as s, httpx.Client(base_url=s.url) as client:
        assert client.get("/health").status_code == 200
        for method, path in (("GET", "/v1/jobs"), ("POST", "/v1/solve"), ("GET", "/"), ("GET", "/v1/models")):
            r = client.request(method, path, json=solve_body())
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", path
            assert "token" in error_of(r)
        wrong = client.get("/v1/jobs", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert client.get("/v1/jobs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get(f"/v1/jobs?token={token}").status_code == 401  # a token in a URL only logs the page in
        login = client.get(f"/?token={token}", follow_redirects=False)
        assert login.status_code == 303 and "samesite=strict" in login.headers["set-cookie"].lower()
        assert client.get("/").status_code == 200  # the cookie now rides along
        assert client.get("/v1/jobs").status_code == 200


def test_without_a_token_only_loopback_host_names_are_answered(tmp_path: Path, ex: Executor) -> None:
    """A page on a DNS name that rebinds to 127.0.0.1 must not reach an open loopback service."""
    with served(tmp_path / "serve.sqlite", executor=ex) as s, httpx.Client(base_url=s.url) as client:
        rebound = client.post("/v1/solve", json=solve_body(), headers={"Host": "attacker.example:8000"})
        assert rebound.status_code == 421 and "attacker.example" in error_of(rebound)
        for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
            assert client.get("/v1/jobs", headers={"Host": host}).status_code == 200, host
        plain = client.post("/v1/solve", content=json.dumps(solve_body()), headers={"content-type": "text/plain"})
        assert plain.status_code == 422  # a cross-site form post cannot submit a job either
        assert client.get("/v1/jobs").json()["jobs"] == []


def test_serving_off_loopback_needs_a_token() -> None:
    check_exposure("127.0.0.1", None)
    check_exposure("::1", None)
    check_exposure("0.0.0.0", "secret")
    for host, token in (("0.0.0.0", None), ("192.168.1.5", None), ("example.org", None), ("127.0.0.1", " ")):
        with pytest.raises(UsageError):
            check_exposure(host, token)
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0"], env={"CODESIFT_TOKEN": ""})
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0 without a token" in result.output and "Traceback" not in result.output


def test_a_full_queue_answers_429_and_cancelling_stops_queued_and_running_jobs(tmp_path: Path, ex: Executor) -> None:
    gate = threading.Event()
    backend = PacedReplay(gate=gate)
    with (
        served(tmp_path / "serve.sqlite", executor=ex, backend=backend, workers=1, queue=1) as s,
        httpx.Client(base_url=s.url) as client,
    ):
        running = client.post("/v1/solve", json=solve_body()).json()["id"]
        deadline = time.monotonic() + 10
        while client.get(f"/v1/jobs/{running}").json()["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        queued = client.post("/v1/solve", json=solve_body(seed=8)).json()["id"]
        full = client.post("/v1/solve", json=solve_body(seed=16))
        assert full.status_code == 429 and full.headers["retry-after"] and "queue is full" in error_of(full)
        assert client.delete(f"/v1/jobs/{queued}").json()["status"] == "cancelled"
        assert client.delete(f"/v1/jobs/{running}").status_code == 200
        gate.set()  # the model call in flight returns; the job stops at its next event
        job = wait_done(client, running)
        again = client.delete(f"/v1/jobs/{running}")
        events = read_events(client, running)
    assert job["status"] == "cancelled" and job["answer"] is None
    assert again.status_code == 409 and "already cancelled" in error_of(again)
    assert events[-1][1] == {"kind": "done", "status": "cancelled", "answer": None, "error": None}
    assert backend.calls == [tuple(range(8))]  # the cancelled queued job never sampled


def test_answering_the_disagreement_re_ranks_and_survives_a_restart(tmp_path: Path, ex: Executor) -> None:
    store = tmp_path / "serve.sqlite"
    body = solve_body(mbpp_594_record(), "mbpp.jsonl", samples=20)
    with served(store, executor=ex) as s, httpx.Client(base_url=s.url) as client:
        job_id = client.post("/v1/solve", json=body).json()["id"]
        assert client.get(f"/v1/jobs/{job_id}/clusters").status_code in (200, 409)
        before = wait_done(client, job_id)["answer"]
        view = client.get(f"/v1/jobs/{job_id}/clusters").json()
        assert view["disagreement"] is not None and len(view["clusters"]) >= 2
        rounds = 0
        while (choice := right_choice(view, ex)) is not None and rounds < 4:
            r = client.post(
                f"/v1/jobs/{job_id}/feedback",
                json={"action": "choose", "probe": view["disagreement"]["probe"], "behaviour": choice},
            )
            assert r.status_code == 200
            view, rounds = r.json(), rounds + 1
        after = client.get(f"/v1/jobs/{job_id}").json()["answer"]
        bad = client.post(f"/v1/jobs/{job_id}/feedback", json={"action": "guess"})
        assert bad.status_code == 422
    assert 1 <= rounds <= 3
    assert after["clusters"] < before["clusters"]
    best = after["submissions"][0]["code"]
    assert grade_programs(TASK_594, [best], ex, None)[digest(best)].passed
    with served(store, executor=ex) as s, httpx.Client(base_url=s.url) as client:  # restarted: answers replayed
        assert client.get(f"/v1/jobs/{job_id}").json()["answer"] == after
        assert client.get(f"/v1/jobs/{job_id}/clusters").json() == view
        assert s.backend.calls == []


def test_a_killed_server_resumes_its_unfinished_job_without_re_sampling(tmp_path: Path) -> None:
    """SIGKILL mid-job (one of two policies sampled), restart on the same store: only the rest is sampled."""
    store, port = tmp_path / "serve.sqlite", free_port()
    url = f"http://127.0.0.1:{port}"

    def start(delay: float) -> subprocess.Popen[bytes]:
        helper = Path(__file__).parent / "serve_helpers.py"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
        cmd = [sys.executable, str(helper), "--store", str(store), "--port", str(port), "--delay", str(delay)]
        process = subprocess.Popen([*cmd, "--workers", "1"], env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    return process
            except httpx.TransportError:
                time.sleep(0.1)
        process.kill()
        raise AssertionError("the server did not start")

    # Different settings: samples are keyed by settings, so two policies equal but for their names share samples.
    family = [{"name": "first", "temperature": 0.8}, {"name": "second", "temperature": 0.7}]
    server = start(delay=1.0)
    try:
        with httpx.Client(base_url=url) as client:
            finished = wait_done(client, client.post("/v1/solve", json=solve_body(samples=4)).json()["id"])
            job_id = client.post("/v1/solve", json=solve_body(samples=8, policies=family)).json()["id"]
            deadline = time.monotonic() + 30
            while client.get(f"/v1/jobs/{job_id}").json()["candidates"] < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            server.send_signal(signal.SIGKILL)
    finally:
        server.kill()
        server.wait()
    server = start(delay=0.0)
    try:
        with httpx.Client(base_url=url) as client:
            listed = {j["id"]: j for j in client.get("/v1/jobs").json()["jobs"]}
            assert listed[finished["id"]] == finished
            assert listed[job_id]["status"] in ("queued", "running", "done")
            job = wait_done(client, job_id)
            events = read_events(client, job_id)
    finally:
        server.terminate()
        server.wait(10)
    assert job["status"] == "done" and job["answer"]["samples"] == 8 and job["candidates"] == 8
    runs = [i for i, (_, e) in enumerate(events) if e["kind"] == "status" and e["status"] == "running"]
    assert len(runs) == 2  # the run that was killed, and the resumed one
    resumed = [e for _, e in events[runs[1] :] if e["kind"] == "candidate"]
    first_run = [e for _, e in events[: runs[1]] if e["kind"] == "candidate"]
    assert [e["policy"] for e in first_run] == ["first"] * 4
    assert [e["policy"] for e in resumed] == ["second"] * 4


def test_benchmark_runs_are_shown_with_the_reports_plots(tmp_path: Path, ex: Executor) -> None:
    runs = tmp_path / "runs"
    (runs / "he20").mkdir(parents=True)
    kept = Path(__file__).parent.parent / "docs" / "runs" / "select-humaneval-0.5b-n20.json"
    (runs / "he20" / "results.json").write_text(kept.read_text())
    (runs / "notes.json").write_text('{"not": "a run"}')
    with served(tmp_path / "serve.sqlite", executor=ex, runs=runs) as s, httpx.Client(base_url=s.url) as client:
        index = client.get("/").text
        page = client.get("/runs/he20")
        not_a_run = client.get("/runs/notes.json")
        missing = client.get("/runs/..%2Fserve.sqlite")
    assert 'href="/runs/he20"' in index and 'href="/runs/notes.json"' in index
    assert page.status_code == 200 and page.text.count("<svg") == 3 and "HumanEval/0" in page.text
    assert not_a_run.status_code == 400 and "not the results of a `codesift bench` run" in error_of(not_a_run)
    assert missing.status_code == 404


def test_the_serve_command_starts_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CODESIFT_TOKEN": "cli-token", "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "codesift", "serve", "--port", str(port), "--store", str(tmp_path / "s.sqlite")]
    process = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline, health = time.monotonic() + 60, None
        while health is None and time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health").json()
            except httpx.TransportError:
                time.sleep(0.1)
        auth = {"Authorization": "Bearer cli-token"}
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", headers=auth).json()
        refused = httpx.get(f"http://127.0.0.1:{port}/v1/models")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert health is not None and health["status"] == "ok" and health["queued"] == 0
    assert "qwen2.5-coder-1.5b" in [m["id"] for m in models["data"]] and refused.status_code == 401
    assert process.returncode == 0 and f"codesift serve on http://127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr


def test_ask_takes_an_upload_and_answers_bad_files_and_questions_in_one_line(tmp_path: Path, ex: Executor) -> None:
    sales = b"region,amount\nNorth,10\nSouth,30\n"
    backend = PacedReplay(gate=threading.Event())  # the model never answers here: the job is watched, then cancelled
    with (
        served(tmp_path / "serve.sqlite", executor=ex, backend=backend) as s,
        httpx.Client(base_url=s.url) as client,
    ):
        queued = client.post("/v1/ask", files={"data": ("sales.csv", sales)}, data={"question": "Total amount?"})
        assert queued.status_code == 202 and queued.json()["kind"] == "ask"
        page = client.get(f"/jobs/{queued.json()['id']}").text
        assert "Answer" in page and "Disagreement" not in page and 'kind: "ask"' in page
        assert client.get(f"/v1/jobs/{queued.json()['id']}/clusters").status_code == 409
        assert client.delete(f"/v1/jobs/{queued.json()['id']}").status_code == 200
        wrong_kind = client.post("/v1/ask", files={"data": ("notes.txt", b"hello")}, data={"question": "Why?"})
        empty = client.post("/v1/ask", files={"data": ("sales.csv", b"")}, data={"question": "Total?"})
        too_many = client.post("/v1/ask", files={"data": ("sales.csv", sales)}, data={"question": "x?", "samples": 99})
        no_question = client.post("/v1/ask", files={"data": ("sales.csv", sales)})
        jobs = client.get("/v1/jobs").json()["jobs"]
    assert wrong_kind.status_code == 400 and "notes.txt: unsupported format '.txt'" in error_of(wrong_kind)
    assert empty.status_code == 400 and "the file is empty" in error_of(empty)
    assert too_many.status_code == 400 and "limit of 64" in error_of(too_many)
    assert no_question.status_code == 422 and error_of(no_question).startswith("body.question:")
    assert [j["id"] for j in jobs] == [queued.json()["id"]]  # no refused request left a job behind
    kept = sorted(p.name for p in (tmp_path / "uploads").glob("*/*"))  # by content hash: one per distinct upload
    assert kept == ["notes.txt", "sales.csv", "sales.csv"]
