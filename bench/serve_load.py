"""Load test of `codesift serve` on 127.0.0.1: N jobs from C concurrent clients, bounded in count and time.

The server runs in its own process (tests/serve_helpers.py: the real app, store, queue, workers and
sandbox, with the model replaced by recorded real completions of the 0.5B model, so no model lock is
needed and the figure is the service's own cost). Each client submits a job, follows its event stream
to the end, and records the latency from submission to the ``done`` event; a 429 is counted and
retried after a short pause. Each job has its own settings key (max_tokens), so every job samples (replayed),
stores, executes what the store has not seen, and selects afresh.

Usage: python bench/serve_load.py [--jobs 60] [--clients 8] [--workers 2] [--queue 16] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
HELPER = ROOT / "tests" / "serve_helpers.py"
PROBLEMS = [
    ("running_max.py", (ROOT / "examples" / "running_max.py").read_text()),
    ("digit_sum.py", (ROOT / "examples" / "digit_sum.py").read_text()),
    ("sum_of_pairs.md", (ROOT / "examples" / "sum_of_pairs.md").read_text()),
    (
        "mbpp_594.jsonl",
        json.dumps(json.loads((ROOT / "tests" / "data" / "select_mbpp_594.json").read_text())["task"]["problem"]),
    ),
]


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def tree_rss_kib(pid: int) -> int:
    """Resident memory of the server and every process under it (the sandbox's zygotes)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += kib(p, "VmRSS")
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        todo += [int(c) for c in children]
    return total


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def bootstrap(values: list[float], q: float, rounds: int = 2000) -> tuple[float, float]:
    """95% interval of the q-th percentile latency, resampling jobs (seeded, so a rerun prints the same)."""
    rng = random.Random(0)
    stats = sorted(percentile(rng.choices(values, k=len(values)), q) for _ in range(rounds))
    return stats[int(0.025 * rounds)], stats[int(0.975 * rounds) - 1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=300.0, help="stop submitting after this many seconds")
    args = parser.parse_args()

    store = Path(tempfile.mkdtemp(prefix="codesift-load-")) / "serve.sqlite"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])}
    cmd = [sys.executable, str(HELPER), "--store", str(store), "--port", str(port)]
    server = subprocess.Popen([*cmd, "--workers", str(args.workers), "--queue", str(args.queue)], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        idle_rss = tree_rss_kib(server.pid)
        latencies: list[float] = []
        statuses: list[str] = []
        refused = 0
        lock = threading.Lock()
        counter = iter(range(args.jobs))
        stop_at = time.monotonic() + args.timeout

        def client() -> None:
            nonlocal refused
            with httpx.Client(base_url=url, timeout=120) as http:
                for i in counter:
                    if time.monotonic() > stop_at:
                        return
                    name, text = PROBLEMS[i % len(PROBLEMS)]
                    samples = 20 if name.endswith(".jsonl") else 8
                    # max_tokens varies the settings key (not the prompt): every job samples, stores and selects afresh
                    body = {"problem": text, "filename": name, "samples": samples, "max_tokens": 256 + i}
                    started = time.monotonic()
                    while (r := http.post("/v1/solve", json=body)).status_code == 429:
                        with lock:
                            refused += 1
                        time.sleep(0.2)
                    r.raise_for_status()
                    job_id = r.json()["id"]
                    status = "?"
                    with http.stream("GET", f"/v1/jobs/{job_id}/events") as events:
                        for line in events.iter_lines():
                            if line.startswith("data: ") and '"kind": "done"' in line:
                                status = json.loads(line[6:])["status"]
                    with lock:
                        latencies.append(time.monotonic() - started)
                        statuses.append(status)

        began = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        peak_tree = idle_rss
        while any(t.is_alive() for t in threads):
            peak_tree = max(peak_tree, tree_rss_kib(server.pid))
            time.sleep(0.2)
        wall = time.monotonic() - began
        peak_server = kib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(30)

    done = statuses.count("done")
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    (p50_lo, p50_hi), (p95_lo, p95_hi) = bootstrap(latencies, 50), bootstrap(latencies, 95)
    rows = [
        ("jobs finished (done / all)", f"{done} / {len(statuses)} of {args.jobs}"),
        ("clients, workers, queue", f"{args.clients}, {args.workers}, {args.queue}"),
        ("wall seconds", f"{wall:.1f}"),
        ("jobs per minute", f"{60 * len(statuses) / wall:.1f}"),
        ("latency p50 (s) [95% CI]", f"{p50:.2f} [{p50_lo:.2f}, {p50_hi:.2f}]"),
        ("latency p95 (s) [95% CI]", f"{p95:.2f} [{p95_lo:.2f}, {p95_hi:.2f}]"),
        ("latency max (s)", f"{max(latencies):.2f}"),
        ("429 answers (retried)", str(refused)),
        ("server peak RSS (MiB)", f"{peak_server / 1024:.0f}"),
        ("server + sandbox RSS idle -> peak (MiB)", f"{idle_rss / 1024:.0f} -> {peak_tree / 1024:.0f}"),
    ]
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
