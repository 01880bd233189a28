"""The model backends' HTTP client (models/http_client.py) against real sockets on 127.0.0.1:
what each failure becomes, the bound on an answer's size, and which proxy the environment names."""

from __future__ import annotations

import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synthloom.models import http_client
from synthloom.models.http_client import HttpClient, HttpConnectFailed, HttpFailure, HttpTimeout, proxy_for


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/slow":
            import time

            time.sleep(1.5)
        if self.path == "/huge":  # no Content-Length: the client must count as it reads
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass  # the client hung up, as it should
            return
        # A proxy is sent the whole URL; a server, only its path.
        body = b'{"ok": true, "echo": "%s", "path": "%s"}' % (self.headers.get("X-Seen", "").encode(),
                                                             self.path.encode())
        self.send_response(429 if self.path == "/busy" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "3")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _client(url: str, **kwargs) -> HttpClient:
    return HttpClient(url, {"X-Seen": "header"}, connections=4, timeout_s=kwargs.get("timeout_s", 5.0),
                      connect_timeout_s=1.0)


def _post(client: HttpClient, url: str):
    async def go():
        try:
            return await client.post(url, {"a": 1})
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_an_answer_comes_back_whole_with_its_status_and_headers(server):
    answer = _post(_client(server), server + "/busy")
    assert answer.status == 429 and answer.headers["retry-after"] == "3"
    assert answer.json() == {"ok": True, "echo": "header", "path": "/busy"}


def test_a_slow_answer_is_a_timeout(server):
    with pytest.raises(HttpTimeout):
        _post(_client(server, timeout_s=0.3), server + "/slow")


def test_a_closed_port_is_a_refused_connection():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(HttpConnectFailed):
        _post(_client(url), url + "/v1/chat/completions")


def test_an_endless_answer_is_cut_at_the_bound(server, monkeypatch):
    monkeypatch.setattr(http_client, "MAX_ANSWER_BYTES", 1024 * 1024)
    with pytest.raises(HttpFailure, match="more than 1048576 bytes"):
        _post(_client(server), server + "/huge")


def test_the_proxy_is_the_one_the_environment_names(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    assert proxy_for("https://api.example.com/v1") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1,.corp")
    assert proxy_for("https://api.example.com/v1") == "http://proxy.internal:3128"
    assert proxy_for("https://key:secret@api.example.com:8443/v1") == "http://proxy.internal:3128"
    assert proxy_for("http://127.0.0.1:8000/v1") is None  # no HTTP_PROXY, and exempt anyway
    assert proxy_for("https://llm.corp/v1") is None


def test_requests_go_through_the_proxy(server, monkeypatch):
    """This test's server stands in for the proxy: it is asked for the whole URL of a host that
    does not exist, which only a client that went through it could have reached."""
    for name in ("http_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", server)
    target = "http://model-server.invalid/v1/chat/completions"
    answer = _post(_client("http://model-server.invalid/v1"), target)
    assert answer.status == 200 and answer.json()["path"] == target
