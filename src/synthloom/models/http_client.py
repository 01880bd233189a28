"""The HTTP client the model backends speak through: one aiohttp session per endpoint, with as
many kept-alive connections as the endpoint has slots, and answers read whole into `HttpAnswer`.

Why aiohttp: at a hundred requests in flight the client's own CPU decides how full a server is
kept. httpx spent ~70% of the engine's CPU in its connection pool (it checks every idle
connection on each request); aiohttp parses in C and hands a request a free connection at once.
The rest of synthloom sees only this module's answer and errors, never the library's.

Proxies come from the environment (HTTP(S)_PROXY, NO_PROXY), as with curl, read once per client:
aiohttp's own `trust_env` reads them and ~/.netrc again on every request, which cost more CPU than
the request itself. Redirects are not followed (a model server has no reason to send one, and a
redirect could carry a key elsewhere)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

# A hostile or broken server could stream an endless body: a chat completion is far smaller.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class HttpFailure(Exception):
    """The request got no whole answer (the reason is the message)."""


class HttpTimeout(HttpFailure):
    """No answer within the timeout: the server may be overloaded."""


class HttpConnectFailed(HttpFailure):
    """No connection: the server is down, or refuses more connections."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body)


class HttpClient:
    """Requests to one server. The session is made on first use, inside the running event loop
    (aiohttp ties it to one), and made again if a later call runs on another loop."""

    def __init__(self, base_url: str, headers: Mapping[str, str], *, connections: int, timeout_s: float,
                 connect_timeout_s: float):
        self._proxy = proxy_for(base_url)
        self._headers = dict(headers)
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout_s, sock_read=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                headers=self._headers, connector=connector, timeout=self._timeout, trust_env=False
            )
            self._loop = loop
        return self._session

    async def get(self, url: str, *, timeout_s: float | None = None) -> HttpAnswer:
        timeout = aiohttp.ClientTimeout(total=timeout_s) if timeout_s is not None else None
        return await self._request("GET", url, None, timeout)

    async def post(self, url: str, body: dict[str, Any]) -> HttpAnswer:
        return await self._request("POST", url, json.dumps(body).encode(), None)

    async def _request(self, method: str, url: str, data: bytes | None,
                       timeout: aiohttp.ClientTimeout | None) -> HttpAnswer:
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            async with self._session_now().request(
                method, url, data=data, headers=headers, allow_redirects=False, proxy=self._proxy,
                **({"timeout": timeout} if timeout is not None else {}),
            ) as resp:
                body = await _read_body(resp)
                return HttpAnswer(resp.status, resp.headers, body)
        except TimeoutError:  # aiohttp's own timeouts derive from it too
            raise HttpTimeout("timed out") from None
        except aiohttp.ClientConnectorError as exc:
            raise HttpConnectFailed(f"connection refused ({type(exc).__name__})") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise HttpFailure(type(exc).__name__) from None

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for this URL (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, lower
    case too), or None when there is none or NO_PROXY exempts its host."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme.lower()) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy


async def _read_body(resp: aiohttp.ClientResponse) -> bytes:
    if resp.content_length is not None:
        if resp.content_length > MAX_ANSWER_BYTES:
            raise HttpFailure(f"answer of {resp.content_length} bytes (more than {MAX_ANSWER_BYTES})")
        return await resp.read()
    parts, size = [], 0
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise HttpFailure(f"answer of more than {MAX_ANSWER_BYTES} bytes")
        parts.append(chunk)
    return b"".join(parts)
