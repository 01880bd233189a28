"""Structured output: validate, one repair round-trip, then reject the cell with the reason."""

from __future__ import annotations

import asyncio

from synthloom.config.endpoints import OpenAIModel
from synthloom.models.openai_http import OpenAIBackend
from synthloom.models.protocol import GenerationRequest
from synthloom.models.structured import StructuredOutputError, generate_structured, parse_and_validate

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


def test_parse_and_validate_explains_failures():
    assert parse_and_validate('{"n": 3}', SCHEMA) == ({"n": 3}, None)
    assert parse_and_validate('```json\n{"n": 3}\n```', SCHEMA) == ({"n": 3}, None)
    assert "not valid JSON" in parse_and_validate('{"n": ', SCHEMA)[1]
    assert "at n: 'x' is not of type 'integer'" in parse_and_validate('{"n": "x"}', SCHEMA)[1]


def test_a_raw_line_break_inside_a_string_is_the_answer_meant():
    # Small models under a grammar write line breaks into strings unescaped; strict JSON refuses
    # them (4 of 18 rows of a LAB run on the embedded model were lost so).
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert parse_and_validate('{"a": "two\nlines\tand a tab"}', schema) == ({"a": "two\nlines\tand a tab"}, None)
    assert "not valid JSON" in parse_and_validate('{"a": "open\n', schema)[1]


def _structured(url, request):
    backend = OpenAIBackend("teacher", OpenAIModel(provider="openai", model="m", endpoints=[{"url": url}], max_retries=0))

    async def go():
        try:
            return await generate_structured(backend.generate, request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_one_repair_round_trip_fixes_a_bad_answer(scripted_server):
    server = scripted_server(rules=[("FIRST TRY", "this is not json")])
    request = GenerationRequest(messages=(("user", "FIRST TRY please"),), json_schema=SCHEMA)
    value, result, usage = _structured(server.url, request)
    assert isinstance(value["n"], int)
    assert server.model.requests == 2 and usage.prompt_tokens > result.usage.prompt_tokens


def test_a_cell_that_stays_invalid_is_rejected_with_the_reason(scripted_server):
    schema = dict(SCHEMA, description="ALWAYS BAD")
    server = scripted_server(rules=[("ALWAYS BAD", '{"n": "seven"}')])
    request = GenerationRequest(messages=(("user", "ALWAYS BAD"),), json_schema=schema)
    try:
        _structured(server.url, request)
    except StructuredOutputError as exc:
        assert "after one repair round-trip it still does not match the schema at n" in exc.reason
        assert len(exc.attempts) == 2
    else:
        raise AssertionError("an invalid answer was accepted")
