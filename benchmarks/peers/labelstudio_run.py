"""Label Studio Community on the review benchmark's records, in its own venv and process, with
its own SQLite (the default), measured by an HTTP client here:

- import: POST /api/projects/{id}/import of every record as a task, in one request (the way its
  docs show a JSON import), until its answer;
- open: the project's first page in the data manager (GET /api/tasks?project=..&page=1), as the
  browser asks for it when a project is opened, and GET /projects/{id}/data (its page);
- export: GET /api/projects/{id}/export?exportType=JSON&download_all_tasks=true;
- resident memory of its process at the end.

Offline: analytics off (COLLECT_ANALYTICS=false), no Sentry DSN, no browser opened. A legacy API
token is set at start (--user-token with --enable-legacy-api-token) so the client can call it."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

LABEL_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="decision" toName="text"><Choice value="accept"/><Choice value="reject"/></Choices>
</View>"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """The process and its children (the web server may fork)."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _tasks(data: Path) -> list[dict[str, Any]]:
    tasks = []
    with open(data, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = "\n".join(f"{m['role']}: {m['content']}" for m in row["messages"])
            tasks.append({"data": {"text": text, "row_id": row["_row_id"], "topic": row["topic"],
                                   "helpfulness": row["score"]["helpfulness"]}})
    return tasks


def run(venv: Path, data: Path, n: int) -> dict[str, float]:
    port, token = _free_port(), secrets.token_hex(20)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
               "HOME": home, "LABEL_STUDIO_BASE_DATA_DIR": home}
        server = subprocess.Popen(
            [str(venv / "bin" / "label-studio"), "start", "--no-browser", "--port", str(port), "--data-dir", home,
             "--username", "bench@example.com", "--password", "bench-password", "--user-token", token,
             "--enable-legacy-api-token"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=home)
        try:
            url = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            while True:
                try:
                    if httpx.get(url + "/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 300:
                    raise RuntimeError("label-studio did not start")
                time.sleep(0.5)
            out["startup_s"] = time.perf_counter() - started
            client = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=900)
            project = client.post("/api/projects", json={"title": "bench", "label_config": LABEL_CONFIG})
            project.raise_for_status()
            pid = project.json()["id"]
            tasks = _tasks(data)
            start = time.perf_counter()
            imported = client.post(f"/api/projects/{pid}/import", json=tasks)
            out["import_s"] = time.perf_counter() - start
            out["import_status"] = imported.status_code
            if imported.status_code < 300:
                out["imported"] = imported.json().get("task_count", 0)
            start = time.perf_counter()
            client.get(f"/projects/{pid}/data")
            page = client.get("/api/tasks", params={"project": pid, "page": 1, "page_size": 30})
            out["open_s"] = time.perf_counter() - start
            out["open_status"] = page.status_code
            start = time.perf_counter()
            exported = client.get(f"/api/projects/{pid}/export", params={"exportType": "JSON",
                                                                          "download_all_tasks": "true"})
            out["export_s"] = time.perf_counter() - start
            out["export_status"] = exported.status_code
            out["rss_mb"] = _rss_mb(server.pid)
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    return out
