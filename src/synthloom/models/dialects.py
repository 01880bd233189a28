"""How a JSON Schema goes into a chat or completion request, per inference server: the
structured-output *dialects*, and which one each `provider:` of a recipe names.

    json_schema         response_format {"type": "json_schema", "json_schema": {"name", "schema"}}
                        OpenAI, vLLM >= 0.6, SGLang, llama.cpp's llama-server, Ollama >= 0.5
    json_object_schema  response_format {"type": "json_object", "schema": ...}
                        llama-cpp-python's server (its only way), llama-server (also takes it)
    guided_json         top-level "guided_json": schema; vLLM before response_format json_schema
                        (deprecated in 0.10, removed in 0.12)
    tgi_json            response_format {"type": "json", "value": schema}; text-generation-inference
    prompt_only         no field: the schema goes into the prompt; `structured.py` validates the
                        answer and asks once for a repair, as for every dialect

Where the field names come from (each server's own code or docs, read for this module):
- OpenAI: the chat API reference (response_format types text | json_object | json_schema).
- vLLM: `vllm/entrypoints/openai/protocol.py` (ResponseFormat, JsonSchemaResponseFormat), the
  "Structured Outputs" docs (guided_json in v0.4-v0.11; the v0.12 note that removed it), and
  `vllm/entrypoints/serve/utils/server_utils.py` (a request that fails validation: HTTP 400).
- SGLang: `python/sglang/srt/entrypoints/openai/protocol.py` (ResponseFormat, type text |
  json_object | json_schema; ErrorResponse) and its http_server's 400 for validation errors.
- llama.cpp: `tools/server/server-common.cpp`, oaicompat_chat_params_parse (response_format
  json_object -> its "schema", json_schema -> json_schema.schema; also top-level json_schema or
  grammar) and format_error_response (error codes).
- llama-cpp-python: `llama_cpp/llama_types.py` ChatCompletionRequestResponseFormat (type text |
  json_object, optional schema), `llama_cpp/server/types.py` and `llama_cpp/server/errors.py`
  (RouteErrorHandler turns a request that fails validation into HTTP 500 with the pydantic error).
- Ollama: `openai/openai.go` (response_format json_object -> format "json", json_schema ->
  json_schema.schema as the native `format`; other types ignored), since v0.5.0 (Dec 2024).
- TGI: `router/src/lib.rs` GrammarType (`#[serde(tag = "type", content = "value")]`, variants
  json (alias json_object), regex, json_schema with its config under "value"), axum's 422 for a
  body it cannot deserialize, and `router/src/validation.rs` (422 unless 0 < top_p < 1).

`provider: llamacpp-server` names json_object_schema rather than json_schema because both
llama.cpp servers take it: llama-server (either form) and llama-cpp-python's (only this one)."""

from __future__ import annotations

import json
from typing import Any, Literal

Dialect = Literal["json_schema", "json_object_schema", "guided_json", "tgi_json", "prompt_only"]

PROBING_PROVIDER = "openai-compatible"
# What each provider hint names; the probing provider is found out per endpoint at run start.
PROVIDER_DIALECT: dict[str, Dialect] = {
    "openai": "json_schema",
    "vllm": "json_schema",
    "sglang": "json_schema",
    "ollama": "json_schema",
    "llamacpp-server": "json_object_schema",
    "tgi": "tgi_json",
}
# The order the probe tries them in: the first that brings back a valid answer is used.
PROBE_ORDER: tuple[Dialect, ...] = ("json_schema", "json_object_schema", "guided_json", "tgi_json")

DESCRIPTION: dict[str, str] = {
    "json_schema": 'response_format {"type": "json_schema"}',
    "json_object_schema": 'response_format {"type": "json_object", "schema": ...}',
    "guided_json": "guided_json",
    "tgi_json": 'response_format {"type": "json", "value": ...}',
    "prompt_only": "the prompt (no server field takes them)",
}

# Request fields through which a server can refuse a schema; an error body naming one of them
# will repeat for every structured request, so it is not retried.
SCHEMA_FIELDS = ("response_format", "guided_json", "json_schema", "grammar", "structured_outputs", "guided_decoding")

PROMPT_INSTRUCTION = "Reply with only a JSON value that matches this JSON Schema:\n"


def schema_field(dialect: str) -> str | None:
    """The top-level request field that carries the schema in this dialect."""
    return {"guided_json": "guided_json", "prompt_only": None}.get(dialect, "response_format")


def with_schema(body: dict[str, Any], schema: dict[str, Any], dialect: str) -> dict[str, Any]:
    """A copy of a chat or completion body that carries `schema` the way `dialect` says."""
    body = dict(body)
    if dialect == "json_schema":
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    elif dialect == "json_object_schema":
        body["response_format"] = {"type": "json_object", "schema": schema}
    elif dialect == "guided_json":
        body["guided_json"] = schema
    elif dialect == "tgi_json":
        body["response_format"] = {"type": "json", "value": schema}
    elif dialect == "prompt_only":
        note = PROMPT_INSTRUCTION + json.dumps(schema)
        if "messages" in body:
            messages = [dict(m) for m in body["messages"]]
            users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
            if users and users[-1] == len(messages) - 1:
                messages[-1]["content"] = f"{messages[-1]['content']}\n\n{note}"
            else:
                messages.append({"role": "user", "content": note})
            body["messages"] = messages
        else:
            body["prompt"] = f"{body.get('prompt', '')}\n\n{note}\n"
    else:
        raise ValueError(f"unknown structured-output dialect {dialect!r}")
    return body


def neutral_parameters(body: dict[str, Any], dialect: str) -> dict[str, Any]:
    """Leave out values a server refuses although they change nothing: TGI answers 422 to
    top_p >= 1.0 (its validation wants 0 < top_p < 1), and top_p = 1.0 is every server's default."""
    if dialect == "tgi_json" and body.get("top_p") == 1.0:
        body = {k: v for k, v in body.items() if k != "top_p"}
    return body


def provider_guess(status: int, text: str) -> str | None:
    """The provider hint an error answer points to, when it is recognisable."""
    low = text.lower()
    if status == 500 and "'text' or 'json_object'" in low:
        return "llamacpp-server"  # llama-cpp-python: "Input should be 'text' or 'json_object'" as HTTP 500
    if status == 422 and ("missing field `value`" in low or "unknown variant" in low or "`top_p` must be" in low):
        return "tgi"
    return None
