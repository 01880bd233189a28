"""The review app at 100,000 records, measured by an HTTP client against the running app.

    .venv/bin/python benchmarks/review_scale.py [--records 100000] [--skip-label-studio]

Records are JSONL rows with a topic (20 values), a judge score, and a two-turn dialogue of about
400 characters. Measured, each as its own step:
- import: `synthloom review add-user DATA bench` (creates review.sqlite, imports every row,
  builds the full-text index), wall time of the command;
- latencies (p50 / p95 over repeated requests, a fresh random row or value each time): next
  record (`GET /api/items/{id}`), a filter page with its count (topic and score), a full-text
  search page with its count;
- a bulk decision on a filter matching ~10,000 rows (`POST /api/bulk`);
- export with 100 edits and the bulk rejections applied (`synthloom review export`);
- the app's resident memory at the end (VmRSS of its process).

Label Studio Community runs beside it when its venv exists (benchmarks/.venv-labelstudio, made
with `python -m venv benchmarks/.venv-labelstudio && benchmarks/.venv-labelstudio/bin/pip
install label-studio`): import of the same records as tasks, opening the project (its first page
of tasks), and export (JSON), against its own SQLite.

Goals on 2 cores: import < 30 s; p95 < 150 ms for next, filter and search; bulk on 10k < 2 s;
export < 30 s; < 300 MB resident."""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORDS = ("glacier harbor lantern meadow prism quartz river signal summit timber violet willow cobalt ember "
         "falcon garden hollow ivory jasper vector orbit nectar pepper saffron tundra").split()
TOPICS = [f"topic-{i:02d}" for i in range(20)]


def make_records(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            question = " ".join(rng.choices(WORDS, k=18)).capitalize() + "?"
            answer = " ".join(rng.choices(WORDS, k=45)).capitalize() + "."
            fh.write(json.dumps({
                "_row_id": f"r{i:06d}", "topic": TOPICS[i % len(TOPICS)],
                "score": {"helpfulness": rng.randint(0, 4)},
                "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
            }) + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_synthloom(data: Path, n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    made: dict[str, str] = {}

    def add_user() -> None:
        done = subprocess.run([str(BIN / "synthloom"), "review", "add-user", str(data), "bench"],
                              capture_output=True, text=True, check=True)
        made["token"] = done.stdout.strip().splitlines()[-1]

    out["import_s"] = timed(add_user)
    port = free_port()
    server = subprocess.Popen([str(BIN / "synthloom"), "review", str(data), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(url + "/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        client = httpx.Client(base_url=url, timeout=60)
        client.post("/login", data={"token": made["token"]})
        csrf = client.get("/api/me").json()["csrf"]
        rng = random.Random(1)

        def lat(path_of, repeats: int) -> list[float]:
            samples = []
            for _ in range(repeats):
                path = path_of()
                start = time.perf_counter()
                resp = client.get(path)
                samples.append(time.perf_counter() - start)
                resp.raise_for_status()
            return samples

        out["next_p50_ms"], out["next_p95_ms"] = (1000 * x for x in percentiles(
            lat(lambda: f"/api/items/{rng.randint(1, n)}", 200)))

        def filter_path() -> str:
            flt = {"where": [["/topic", "=", rng.choice(TOPICS)], ["/score/helpfulness", ">=", rng.randint(1, 4)]]}
            return "/api/items?limit=50&filter=" + json.dumps(flt)

        out["filter_p50_ms"], out["filter_p95_ms"] = (1000 * x for x in percentiles(lat(filter_path, 40)))
        out["search_p50_ms"], out["search_p95_ms"] = (1000 * x for x in percentiles(lat(
            lambda: "/api/items?limit=50&filter=" + json.dumps({"text": " ".join(rng.sample(WORDS, 2))}), 40)))
        # topic-00 .. topic-09 (half the rows) scored 0 (a fifth of those): ~10% of the records
        tenth = {"where": [["/topic", "contains", "topic-0"], ["/score/helpfulness", "=", 0]]}
        count = client.get("/api/items?limit=1&filter=" + json.dumps(tenth)).json()["total"]

        def bulk() -> None:
            resp = client.post("/api/bulk", headers={"X-CSRF-Token": csrf},
                               json={"filter": tenth, "decision": "reject", "reason": "poor quality", "expected": count})
            resp.raise_for_status()

        out["bulk_rows"] = count
        out["bulk_s"] = timed(bulk)
        for item in rng.sample(range(1, n + 1), 100):
            row = client.get(f"/api/items/{item}").json()["data"]
            client.post(f"/api/items/{item}/edit", headers={"X-CSRF-Token": csrf},
                        json={"field": "/messages/1/content", "value": row["messages"][1]["content"] + " (checked)"}
                        ).raise_for_status()
        out["rss_mb"] = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    exported = data.parent / "reviewed.jsonl"
    out["export_s"] = timed(lambda: subprocess.run(
        [str(BIN / "synthloom"), "review", "export", str(data), "-o", str(exported)], check=True, capture_output=True))
    out["exported_rows"] = sum(1 for _ in open(exported, encoding="utf-8"))
    return out


def bench_label_studio(data: Path, n: int) -> dict[str, float] | None:
    venv = ROOT / "benchmarks" / ".venv-labelstudio"
    if not (venv / "bin" / "label-studio").exists():
        return None
    from peers.labelstudio_run import run as run_label_studio  # its own process and venv

    return run_label_studio(venv, data, n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--skip-label-studio", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("NO_COLOR", "1")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.jsonl"
        make_records(data, args.records)
        ours = bench_synthloom(data, args.records)
        print("RESULT review_scale tool=synthloom records=%d " % args.records
              + " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in ours.items()))
        if not args.skip_label_studio:
            sys.path.insert(0, str(Path(__file__).parent))
            theirs = bench_label_studio(data, args.records)
            if theirs is None:
                print("label-studio: no venv at benchmarks/.venv-labelstudio (see this file's docstring)")
            else:
                print("RESULT review_scale tool=label_studio records=%d " % args.records
                      + " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in theirs.items()))


if __name__ == "__main__":
    main()
