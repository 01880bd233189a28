"""What an OpenAI-compatible endpoint can do, found out with a few tiny requests at run start
(`provider: openai-compatible`): which structured-output dialect brings back a valid answer
(tried in `dialects.PROBE_ORDER`; none: the schema goes in the prompt), whether raw
`/completions` is served, and whether answers report token `usage`.

Each request asks for at most PROBE_MAX_TOKENS tokens of a one-key object whose key the prompt
does not name, so an answer that matches the schema came from the server's constraint, not from
the model guessing. A healthy server that takes `json_schema` costs two requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from synthloom.models.http_client import HttpAnswer

from synthloom.models.dialects import DESCRIPTION, PROBE_ORDER, with_schema
from synthloom.models.structured import parse_and_validate

PROBE_SCHEMA = {
    "type": "object",
    "properties": {"k": {"type": "integer", "enum": [7]}},
    "required": ["k"],
    "additionalProperties": False,
}
PROBE_PROMPT = "Reply with a JSON object."
# SmolLM2-135M under llama-cpp-python's grammar answers `{ "k": 7}` in 7 tokens, and a grammar lets
# a model put whitespace between the tokens (llama.cpp's allows up to 20 characters per gap): an
# answer cut short would pass for a server that ignores the schema, so leave room.
PROBE_MAX_TOKENS = 16

# post(path, body) -> the answer, or None when the endpoint could not be reached
Post = Callable[[str, dict[str, Any]], Awaitable[HttpAnswer | None]]


@dataclass
class EndpointCapabilities:
    """One endpoint of a model alias, as the run's manifest records it."""

    url: str
    provider: str
    structured_output: str  # a dialect of dialects.py
    probed: bool = False
    completions: bool | None = None  # None: not checked
    usage: bool | None = None  # None: not checked
    probe_requests: int = 0
    tried: list[str] = field(default_factory=list)  # dialects the probe tried before, and why not

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def notice(self, alias: str) -> str:
        how = DESCRIPTION[self.structured_output]
        if self.probed and self.usage is None:
            return (f"model '{alias}' at {self.url} did not answer the probe ({self.probe_requests} requests), "
                    f"so JSON schemas go through {how}, the usual way")
        completions = {True: "served", False: "not served", None: "not checked"}[self.completions]
        usage = {True: "reported", False: "not reported (estimated: characters / 4)", None: "not checked"}[self.usage]
        return (f"model '{alias}' at {self.url} (provider: {self.provider}, probed with {self.probe_requests} "
                f"requests) takes JSON schemas through {how}; raw /completions {completions}; token usage {usage}")


class ProbeFailed(Exception):
    """The endpoint refused even a plain chat request: the caller says why, in one sentence."""

    def __init__(self, response: HttpAnswer):
        super().__init__(f"HTTP {response.status}")
        self.response = response


def _chat_text(resp: HttpAnswer) -> tuple[str | None, bool, bool]:
    """(answer text or None if the body is not a chat completion, whether usage came back,
    whether the answer was cut at max_tokens)."""
    try:
        data = resp.json()
        choice = data["choices"][0]
        text = choice["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError):
        return None, False, False
    usage = data.get("usage") if isinstance(data, dict) else None
    cut = isinstance(choice, dict) and choice.get("finish_reason") == "length"
    return str(text), isinstance(usage, dict) and usage.get("completion_tokens") is not None, cut


async def probe(post: Post, model: str, caps: EndpointCapabilities, *, completions: bool) -> EndpointCapabilities:
    """Fill `caps` in; raises ProbeFailed when the endpoint refuses plain chat requests (a wrong
    model name or key), since nothing would work then."""
    base = {"model": model, "messages": [{"role": "user", "content": PROBE_PROMPT}],
            "max_tokens": PROBE_MAX_TOKENS, "temperature": 0}
    caps.probed = True
    chosen, last_refusal, answered = None, None, False
    for dialect in PROBE_ORDER:
        resp = await post("/chat/completions", with_schema(base, PROBE_SCHEMA, dialect))
        caps.probe_requests += 1
        if resp is None:
            caps.tried.append(f"{dialect}: no answer")
            continue
        if resp.status in (401, 403, 404):
            raise ProbeFailed(resp)
        if resp.status >= 400:
            caps.tried.append(f"{dialect}: HTTP {resp.status}")
            last_refusal = resp
            continue
        text, usage, cut = _chat_text(resp)
        if text is None:
            caps.tried.append(f"{dialect}: malformed answer")
            continue
        answered = True
        if caps.usage is None:
            caps.usage = usage
        if parse_and_validate(text, PROBE_SCHEMA)[1] is None:
            chosen = dialect
            break
        caps.tried.append(f"{dialect}: answer did not follow the schema"
                          + (f" (cut at {PROBE_MAX_TOKENS} tokens)" if cut else ""))
    if chosen is None and not answered:
        # Every dialect was refused: does the endpoint answer a plain chat request at all?
        resp = await post("/chat/completions", base)
        caps.probe_requests += 1
        if resp is not None and resp.status >= 400:
            raise ProbeFailed(resp)
        if resp is None and last_refusal is not None:
            raise ProbeFailed(last_refusal)
        if resp is None:  # no answer at all (a server still loading): keep the usual way
            return caps
        caps.usage = _chat_text(resp)[1]
    caps.structured_output = chosen or "prompt_only"
    if completions:
        resp = await post("/completions", {"model": model, "prompt": "Hello", "max_tokens": 1, "temperature": 0})
        caps.probe_requests += 1
        caps.completions = resp is not None and resp.status < 400 and _completion_ok(resp)
    else:
        caps.completions = False
    return caps


def _completion_ok(resp: HttpAnswer) -> bool:
    try:
        return isinstance(resp.json()["choices"][0]["text"], str)
    except (ValueError, KeyError, IndexError, TypeError):
        return False
