"""The README's support-qa recipe against a real inference server: llama-cpp-python's own
OpenAI-compatible server (`python -m llama_cpp.server`) serving the shipped SmolLM2 GGUF.

This is the one server of docs/servers.md tested as itself rather than as the scripted server's
imitation (tests/test_dialects.py). It takes a JSON schema only as response_format
{"type": "json_object", "schema": ...} and answers the OpenAI form with HTTP 500 (issue #14)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from synthloom.config import load_recipe
from synthloom.generate import generate_run
from synthloom.models.llamacpp import default_model_path

from .conftest import run_cli
from .recipes import write

pytestmark = [pytest.mark.slow, pytest.mark.embedded]

ALIAS = "smollm2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, log: Path):
        self.url, self.log = url, log

    def requests(self, path: str, status: int) -> int:
        """How many requests to `path` it answered with `status` (uvicorn's access log)."""
        return sum(f'"POST {path} HTTP/1.1" {status}' in line for line in self.log.read_text().splitlines())


@pytest.fixture(scope="module")
def llama_cpp_python_server(tmp_path_factory):
    """The server on 127.0.0.1, one thread, ready once it answers /v1/models. A server that cannot
    start (its `server` extra missing: `make test` installs it) fails the test, it is not skipped."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama_cpp_server") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--model_alias", ALIAS,
             "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1", "--n_threads_batch", "1",
             "--n_ctx", "2048", "--verbose", "False"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama-cpp-python's server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama-cpp-python's server did not answer /v1/models in 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield Server(url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def support_qa(url: str, out: Path, provider: str, *, target: int = 4) -> dict:
    """The README's first recipe, made small: a question, a structured answer and a judge."""
    return {
        "name": f"support-qa-{provider}",
        "target_rows": target,
        "batch_size": target,
        "seed": 1,
        "output_dir": str(out),
        "models": {
            "teacher": {
                "provider": provider,
                "model": ALIAS,
                "endpoints": [{"url": url, "max_concurrency": 2}],
                "timeout_s": 120,
                "max_retries": 2,
                "backoff_base_s": 0.05,
                "price": {"input_per_million": 0.2, "output_per_million": 0.6},
            }
        },
        "budget": {"max_cost_usd": 5},
        "columns": [
            {"name": "product", "kind": "sampler", "type": "category", "values": ["router", "phone", "laptop"],
             "weights": [2, 1, 1]},
            {"name": "customer", "kind": "sampler", "type": "persona"},
            {"name": "question", "kind": "llm_text", "model": "teacher", "max_tokens": 32,
             "prompt": "You are {{ customer.name }}, {{ customer.style }}. Ask support one question about "
                       "your {{ product }}."},
            {"name": "answer", "kind": "llm_structured", "model": "teacher", "max_tokens": 96,
             "prompt": "Answer this customer: {{ question }}",
             "schema": {"type": "object",
                        "properties": {"steps": {"type": "array", "minItems": 1, "maxItems": 2,
                                                 "items": {"type": "string", "maxLength": 60}},
                                       "escalate": {"type": "boolean"}},
                        "required": ["steps", "escalate"]}},
            {"name": "score", "kind": "judge", "model": "teacher", "max_tokens": 48,
             "attributes": {"helpfulness": "Overall helpfulness of the response to the prompt.",
                            "correctness": "Inclusion of all pertinent facts without errors."},
             "prompt": "Customer: {{ question }}\nAgent: {{ answer.steps | join(' ') }}"},
        ],
    }


def _run(path: Path):
    return asyncio.run(generate_run(load_recipe(path)))


def _rows(summary) -> list[dict]:
    import pyarrow.parquet as pq

    return [r for shard in sorted((summary.run_dir / "shards").glob("*.parquet")) for r in pq.read_table(shard).to_pylist()]


def _check_rows(summary, target: int) -> None:
    assert summary.status == "complete" and summary.accepted == target, summary.rejections
    rows = _rows(summary)
    assert len(rows) == target
    for row in rows:
        answer = json.loads(row["answer"]) if isinstance(row["answer"], str) else row["answer"]
        score = json.loads(row["score"]) if isinstance(row["score"], str) else row["score"]
        assert row["question"].strip() and isinstance(answer["escalate"], bool) and 1 <= len(answer["steps"]) <= 2
        assert set(score) == {"helpfulness", "correctness"} and all(0 <= v <= 4 for v in score.values())
    manifest = json.loads((summary.run_dir / "manifest.json").read_text())
    assert manifest["tokens"] > 0 and manifest["estimated_tokens"] == 0  # it reports usage: nothing estimated


def _run_to_target(server, tmp_path, provider: str) -> dict:
    """Run the support-qa recipe with this provider to its 4 rows; the manifest's entry for it."""
    summary = _run(write(support_qa(server.url, tmp_path / "runs", provider), tmp_path / "r.yaml"))
    _check_rows(summary, 4)
    [caps] = json.loads((summary.run_dir / "manifest.json").read_text())["servers"]["teacher"]
    return caps


def test_openai_compatible_probes_json_object_schema_and_reaches_the_target(tmp_path, llama_cpp_python_server):
    server = llama_cpp_python_server
    refused_before = server.requests("/v1/chat/completions", 500)
    caps = _run_to_target(server, tmp_path, "openai-compatible")
    assert caps["probed"] and caps["structured_output"] == "json_object_schema"
    assert caps["tried"] == ["json_schema: HTTP 500"]  # the OpenAI form, refused as the issue says
    assert caps["completions"] is True and caps["usage"] is True and caps["probe_requests"] == 3
    assert server.requests("/v1/chat/completions", 500) == refused_before + 1  # only the probe's


def test_provider_llamacpp_server_needs_no_probe_and_reaches_the_target(tmp_path, llama_cpp_python_server):
    server = llama_cpp_python_server
    refused_before = server.requests("/v1/chat/completions", 500)
    caps = _run_to_target(server, tmp_path, "llamacpp-server")
    assert not caps["probed"] and caps["probe_requests"] == 0 and caps["structured_output"] == "json_object_schema"
    assert server.requests("/v1/chat/completions", 500) == refused_before


def test_provider_openai_stops_after_one_structured_request_with_one_sentence(tmp_path, llama_cpp_python_server):
    """Issue #14 as reported: HTTP 500 to response_format json_schema, retried six times per cell."""
    server = llama_cpp_python_server
    refused_before = server.requests("/v1/chat/completions", 500)
    path = write(support_qa(server.url, tmp_path / "runs", "openai", target=8), tmp_path / "r.yaml")
    result = run_cli("generate", str(path))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: column 'answer': model 'teacher' at {server.url}")
    assert "refused the field response_format" in lines[0] and "set provider: llamacpp-server" in lines[0]
    assert server.requests("/v1/chat/completions", 500) == refused_before + 1
