"""Reading an OpenAI-compatible server's HTTP answers: its error text wherever each server kind puts
it, its Retry-After, whether an error names the field that carried our schema, and joining a
base URL with a path."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from synthloom.models.http_client import HttpAnswer

from synthloom.models.dialects import SCHEMA_FIELDS


def schema_field_named(resp: HttpAnswer, sent: dict[str, Any]) -> str | None:
    """The field carrying our schema, when the error body names it (or a part of it)."""
    ours = next((f for f in ("response_format", "guided_json") if f in sent), None)
    low = resp.text.lower()
    return ours if ours is not None and any(name in low for name in SCHEMA_FIELDS) else None


def join_url(base: str, path: str) -> str:
    """base + path, with the path before any ?query of the base (e.g. ?api-version=...)."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


def retry_after_s(resp: HttpAnswer) -> float | None:
    value = resp.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_text(resp: HttpAnswer) -> str:
    """The server's own words, on one line: OpenAI, vLLM, SGLang, llama.cpp, TGI and plain-text
    error bodies all put them in different places."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    text = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            text = err.get("message")
        elif err is not None:
            text = err
        text = text if text is not None else data.get("message") or data.get("detail")
    if text is None:
        text = resp.text
    return " ".join(str(text).split())[:200]
