"""Token counts for an answer that came without them.

The embedded model counts with llama.cpp's own tokenizer, so its counts are exact. An HTTP
server reports `usage`; one that does not (some proxies and gateways, servers run without it)
gets an estimate by a stated rule, ESTIMATE_RULE, counted as estimated wherever tokens are
shown (the run summary, manifest.json, the dataset card) and used like any count for cost and
the budget, so a budget still stops a run against such a server. A reported count of 0 for
non-empty text is taken as no count."""

from __future__ import annotations

from typing import Any

from synthloom.models.protocol import Usage

CHARS_PER_TOKEN = 4
ESTIMATE_RULE = "characters / 4, rounded up, of the prompt's message texts and of each answer"


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def prompt_text(body: dict[str, Any]) -> str:
    """The text of a chat or completion request as sent (chat templates' own tokens not counted)."""
    if "messages" in body:
        return "".join(str(m.get("content") or "") for m in body["messages"])
    return str(body.get("prompt") or "")


def usage_of(reported: Any, body: dict[str, Any], texts: list[str]) -> Usage:
    """The server's `usage` where it gives it; each count it leaves out is estimated."""
    reported = reported if isinstance(reported, dict) else {}
    prompt, completion, estimated = _count(reported.get("prompt_tokens")), _count(reported.get("completion_tokens")), 0
    sent = prompt_text(body)
    if prompt is None or (prompt == 0 and sent):
        prompt = estimate_tokens(sent)
        estimated += prompt
    if completion is None or (completion == 0 and any(texts)):
        completion = sum(estimate_tokens(t) for t in texts)
        estimated += completion
    return Usage(prompt, completion, estimated)


def _count(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
