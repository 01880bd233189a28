"""Structured output: parse and validate against the JSON Schema; on failure ask the model
once to repair its answer; if that fails too, the caller rejects the cell with the reason."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import jsonschema

from synthloom.models.protocol import GenerationRequest, GenerationResult, Usage

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


class StructuredOutputError(Exception):
    def __init__(self, reason: str, usage: Usage, attempts: list[GenerationResult]):
        super().__init__(reason)
        self.reason = reason
        self.usage = usage
        self.attempts = attempts


def parse_and_validate(text: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """(value, None) when valid, (None, why) otherwise."""
    cleaned = text.strip()
    m = _FENCE.match(cleaned)
    if m:
        cleaned = m.group(1)
    try:
        value = json.loads(cleaned, strict=False)  # a raw newline inside a string is still the answer meant
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at char {exc.pos})"
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "the top level"
        return None, f"does not match the schema at {at}: {error.message}"
    return value, None


def repair_request(request: GenerationRequest, bad_text: str, why: str) -> GenerationRequest:
    note = (
        f"Your previous reply {why}. Reply again with only a JSON value that matches this schema:\n"
        + json.dumps(request.json_schema)
    )
    if request.is_chat:
        messages = tuple(request.messages or ()) + (("assistant", bad_text), ("user", note))
        return replace(request, messages=messages, n=1)
    return replace(request, prompt=f"{request.prompt}{bad_text}\n\n{note}\n", n=1)


async def generate_structured(
    call: Callable[[GenerationRequest], Awaitable[GenerationResult]],
    request: GenerationRequest,
    *,
    repair: bool = True,
) -> tuple[Any, GenerationResult, Usage]:
    """Returns (value, result of the successful call, usage of all calls)."""
    assert request.json_schema is not None
    result = await call(request)
    usage = result.usage
    value, why = parse_and_validate(result.text, request.json_schema)
    if why is None:
        return value, result, usage
    if result.truncated:
        # Asking again would be cut off at the same length: say what to change instead.
        raise StructuredOutputError(
            f"output was cut off at max_tokens={request.max_tokens} and {why}; raise max_tokens "
            "or bound the schema's strings and arrays (maxLength, maxItems)",
            usage,
            [result],
        )
    attempts = [result]
    if repair:
        fixed = await call(repair_request(request, result.text, why))
        usage = usage + fixed.usage
        attempts.append(fixed)
        value, why2 = parse_and_validate(fixed.text, request.json_schema)
        if why2 is None:
            return value, fixed, usage
        why = f"{why}; after one repair round-trip it still {why2}"
    raise StructuredOutputError(f"output {why}", usage, attempts)
