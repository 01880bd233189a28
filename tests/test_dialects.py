"""Inference servers take JSON schemas in different ways (models/dialects.py): the same recipe
reaches its target against each one, whether a probe finds the way (`provider:
openai-compatible`) or the recipe names the server kind; a request that cannot succeed stops
the run after one request, with one sentence. Real HTTP on 127.0.0.1: the scripted server
speaks each server's dialect (`--dialect`) and refuses the others as that server does."""

from __future__ import annotations

import asyncio
import json

import pytest

from synthloom.config import load_recipe, parse_recipe
from synthloom.config.endpoints import OpenAIModel
from synthloom.config.errors import SynthloomError
from synthloom.data.runs.run_store import open_existing
from synthloom.generate import generate_run
from synthloom.models.dialects import PROVIDER_DIALECT, with_schema
from synthloom.models.probe import PROBE_MAX_TOKENS
from synthloom.testing.openai_server import DIALECTS

from .conftest import run_cli
from .recipes import qa_recipe, write

# What the probe should find on each server, and the hint that names it (older vLLM, which
# takes only guided_json, has no hint of its own: the probe finds it).
FOUND = {"openai": "json_schema", "vllm": "json_schema", "vllm-guided": "guided_json", "sglang": "json_schema",
         "llamacpp-server": "json_schema", "llama-cpp-python": "json_object_schema", "ollama": "json_schema",
         "tgi": "tgi_json"}
HINT = {"openai": "openai", "vllm": "vllm", "sglang": "sglang", "llamacpp-server": "llamacpp-server",
        "llama-cpp-python": "llamacpp-server", "ollama": "ollama", "tgi": "tgi"}
CASES = [(d, "openai-compatible") for d in DIALECTS] + [(d, h) for d, h in HINT.items()]


def _recipe(tmp_path, url, provider, **kw):
    recipe = qa_recipe(url, tmp_path / "runs", **{"target": 6, "batch": 6, **kw})
    recipe["models"]["teacher"]["provider"] = provider
    return write(recipe, tmp_path / "r.yaml")


def _run(path, **kw):
    return asyncio.run(generate_run(load_recipe(path), **kw))


def _servers(summary):
    return json.loads((summary.run_dir / "manifest.json").read_text())["servers"]


def test_the_scripted_server_knows_every_dialect_the_issue_names():
    assert set(FOUND) == set(DIALECTS)


@pytest.mark.parametrize(("dialect", "provider"), CASES, ids=[f"{d}-{p}" for d, p in CASES])
def test_text_structured_and_judge_columns_reach_the_target_on_every_server(tmp_path, scripted_server, dialect,
                                                                             provider):
    server = scripted_server(dialect=dialect)
    summary = _run(_recipe(tmp_path, server.url, provider))
    assert summary.status == "complete" and summary.accepted == 6
    [caps] = _servers(summary)["teacher"]
    if provider == "openai-compatible":
        assert caps["probed"] and caps["structured_output"] == FOUND[dialect]
    else:  # the hint names the dialect: nothing is probed
        assert not caps["probed"] and caps["probe_requests"] == 0
        assert caps["structured_output"] == PROVIDER_DIALECT[provider]
    after_probe = server.model.log[caps["probe_requests"]:]
    assert after_probe and all(e["status"] == 200 for e in after_probe)  # nothing refused once the way is known
    assert any(e["schema_via"] for e in after_probe)  # the schema went in a field the server reads


def test_the_probe_of_a_healthy_server_costs_two_tiny_requests_and_lands_in_the_manifest(tmp_path, scripted_server):
    server = scripted_server()
    notices, order = [], []

    class Reporter:
        def notice(self, text):
            notices.append(text)
            order.append("notice")

        def start(self, *args):
            order.append("start")

        def update(self, *args): ...
        def finish(self, summary): ...

    summary = _run(_recipe(tmp_path, server.url, "openai-compatible"), reporter=Reporter())
    [caps] = _servers(summary)["teacher"]
    assert caps == {"url": server.url, "provider": "openai-compatible", "structured_output": "json_schema",
                    "probed": True, "completions": True, "usage": True, "probe_requests": 2, "tried": []}
    probes = server.model.log[:2]
    assert [e["path"] for e in probes] == ["/v1/chat/completions", "/v1/completions"]
    assert all(e["max_tokens"] <= PROBE_MAX_TOKENS for e in probes)
    assert server.model.log[2]["max_tokens"] > PROBE_MAX_TOKENS  # then the run's own requests
    # said once, before the first row, and kept with the run
    assert order[:2] == ["notice", "start"] and len(notices) == 1
    assert "json_schema" in notices[0] and "probed with 2 requests" in notices[0]
    assert notices == summary.notices


def test_the_probe_records_a_server_without_completions_or_usage(tmp_path, scripted_server):
    server = scripted_server(dialect="openai", usage=False)
    summary = _run(_recipe(tmp_path, server.url, "openai-compatible"))
    [caps] = _servers(summary)["teacher"]
    assert caps["completions"] is False and caps["usage"] is False and caps["structured_output"] == "json_schema"
    assert "raw /completions not served" in summary.notices[0] and "token usage not reported" in summary.notices[0]


def test_a_server_that_ignores_every_schema_field_gets_the_schema_in_the_prompt(tmp_path, scripted_server):
    server = scripted_server(schema_fields=False)
    summary = _run(_recipe(tmp_path, server.url, "openai-compatible"))
    assert summary.status == "complete" and summary.accepted == 6
    [caps] = _servers(summary)["teacher"]
    assert caps["structured_output"] == "prompt_only" and caps["probe_requests"] == 5  # four dialects, /completions
    assert all(e["schema_via"] is None for e in server.model.log[5:])


WRONG_HINTS = [
    ("llama-cpp-python", "openai", "set provider: llamacpp-server"),  # the issue: HTTP 500, retried 6 times per cell
    ("llama-cpp-python", "vllm", "set provider: llamacpp-server"),
    ("vllm-guided", "vllm", "set provider: openai-compatible"),  # 400
    ("vllm", "tgi", "set provider: openai-compatible"),  # 400
]


@pytest.mark.parametrize(("dialect", "provider", "advice"), WRONG_HINTS)
def test_a_wrong_hint_stops_the_run_after_one_structured_request(tmp_path, scripted_server, dialect, provider,
                                                                  advice):
    server = scripted_server(dialect=dialect)
    with pytest.raises(SynthloomError) as err:  # two batches of 8 rows in flight: 16 structured calls at once
        _run(_recipe(tmp_path, server.url, provider, target=16, batch=8))
    message = str(err.value)
    assert "\n" not in message and message.startswith("column 'answer': model 'teacher' at " + server.url)
    assert "refused the field response_format" in message and advice in message
    structured = [e for e in server.model.log if e["schema_via"]]
    assert len(structured) == 1 and server.model.refused == 1


@pytest.mark.parametrize(("script", "status"), [({"dialect": "tgi"}, 422),  # TGI refuses top_p = 1.0
                                                ({"refuse": [("", 400, "Unsupported parameter: 'seed'")]}, 400)])
def test_a_4xx_stops_the_run_in_one_request(tmp_path, scripted_server, script, status):
    server = scripted_server(**script)
    with pytest.raises(SynthloomError, match=f"refused a request with HTTP {status}") as err:
        _run(_recipe(tmp_path, server.url, "openai", target=16, batch=8))
    assert server.model.requests == 1 and "\n" not in str(err.value)
    if status == 422:
        assert str(err.value).endswith("set provider: tgi")


def test_a_prompt_too_long_rejects_its_cell_only_without_retrying(tmp_path, scripted_server):
    server = scripted_server(refuse=[("LONGTOPIC", 400, "This model's maximum context length is 2048 tokens. "
                                                       "However, you requested 4000 tokens")])
    path = _recipe(tmp_path, server.url, "openai", target=6, batch=6)
    recipe = json.loads(json.dumps(load_recipe(path).model_dump(mode="json", by_alias=True)))
    recipe["columns"][0]["values"], recipe["columns"][0]["weights"] = ["birds", "LONGTOPIC"], [1, 1]
    summary = asyncio.run(generate_run(parse_recipe(json.dumps(recipe))))
    assert summary.status == "complete" and summary.accepted == 6
    too_long = [n for column, reason, n in summary.rejections if column == "question" and "maximum context" in reason]
    assert sum(too_long) == server.model.refused > 0  # each sent once: not retried


def test_a_dialect_change_cannot_answer_from_the_other_dialects_cache(tmp_path, scripted_server):
    """Ollama ignores TGI's field: the answers made through it are unconstrained (repaired once);
    with the right hint the structured requests are asked again, not served from those."""
    server = scripted_server(dialect="ollama")
    first = _run(_recipe(tmp_path, server.url, "tgi"))
    assert first.status == "complete"
    assert not any(e["schema_via"] == "response_format:json_schema" for e in server.model.log)
    seen = len(server.model.log)
    second = _run(_recipe(tmp_path, server.url, "ollama"), overwrite=True)  # overwrite keeps the cache
    assert second.status == "complete"
    asked = [e for e in server.model.log[seen:] if e["schema_via"] == "response_format:json_schema"]
    assert len(asked) >= 6  # every structured answer asked again, through the field Ollama reads
    [q1] = [u for u in first.usage if u.column == "question"]
    [q2] = [u for u in second.usage if u.column == "question"]
    assert q2.cached_calls == min(q1.calls, q2.calls) > 0  # answers without a schema still come from the cache


def test_the_cli_shows_the_probe_once_at_the_start(tmp_path, scripted_server):
    server = scripted_server(dialect="llama-cpp-python")
    result = run_cli("generate", str(_recipe(tmp_path, server.url, "openai-compatible")))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("note:") == 1 and "json_object" in result.stderr
    assert "probed" not in result.stdout
    manifest = json.loads((open_existing(tmp_path / "runs" / "qa").root / "manifest.json").read_text())
    assert manifest["servers"]["teacher"][0]["structured_output"] == "json_object_schema"


def test_the_cli_says_a_wrong_hint_in_one_line(tmp_path, scripted_server):
    server = scripted_server(dialect="llama-cpp-python")
    result = run_cli("generate", str(_recipe(tmp_path, server.url, "openai")))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "set provider: llamacpp-server" in lines[0]
    assert server.model.refused == 1


def test_each_dialect_puts_the_schema_where_its_server_reads_it():
    schema = {"type": "object"}
    chat = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
    assert with_schema(chat, schema, "json_schema")["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    assert with_schema(chat, schema, "json_object_schema")["response_format"] == {"type": "json_object",
                                                                                  "schema": schema}
    assert with_schema(chat, schema, "guided_json")["guided_json"] == schema
    assert with_schema(chat, schema, "tgi_json")["response_format"] == {"type": "json", "value": schema}
    prompt_only = with_schema(chat, schema, "prompt_only")
    assert "response_format" not in prompt_only and prompt_only["messages"][0]["content"].endswith('{"type": "object"}')
    assert chat["messages"][0]["content"] == "Hi"  # the caller's body is left alone


def test_an_http_model_without_provider_is_probed_and_a_wrong_provider_is_one_sentence(tmp_path):
    doc = {"name": "x", "target_rows": 1, "columns": [{"name": "t", "kind": "llm_text", "model": "m", "prompt": "hi"}],
           "models": {"m": {"model": "a", "endpoints": [{"url": "http://127.0.0.1:9/v1"}]}}}
    assert parse_recipe(json.dumps(doc)).models["m"].provider == "openai-compatible"
    doc["models"]["m"]["provider"] = "vllm-openai"
    with pytest.raises(SynthloomError) as err:
        parse_recipe(json.dumps(doc))
    assert "\n" not in str(err.value) and "'llamacpp-server'" in str(err.value) and "'openai-compatible'" in str(err.value)


def test_the_dataset_card_names_any_server_kind():
    from synthloom.data.release.card import _model_label

    model = OpenAIModel(provider="vllm", model="m", endpoints=[{"url": "http://127.0.0.1:9/v1"}])
    assert _model_label(model) == "m (vllm, 1 endpoint(s))"


def _check(url, **model):
    from synthloom.models.openai_http import OpenAIBackend

    config = OpenAIModel(model="m", endpoints=[{"url": url}], max_retries=1, backoff_base_s=0.01, **model)

    async def go():
        backend = OpenAIBackend("teacher", config)
        try:
            await backend.check()
        finally:
            await backend.aclose()
        return backend

    return asyncio.run(go())


def test_a_server_that_does_not_answer_the_probe_keeps_the_usual_way(scripted_server):
    server = scripted_server(refuse=[("", 503, "Loading model")])
    backend = _check(server.url)
    [caps] = backend.capabilities
    assert caps.structured_output == "json_schema" and caps.usage is None and backend.cache_scope == ""
    assert "did not answer the probe" in backend.notices[0]


def test_a_probe_refused_for_the_model_name_is_one_sentence(scripted_server):
    server = scripted_server(refuse=[("", 404, "The model `m` does not exist.")])
    with pytest.raises(SynthloomError, match=r"answered HTTP 404 to a chat request \(The model `m` does not exist.\); "
                                             r"check models.teacher") as err:
        _check(server.url)
    assert server.model.requests == 1 and "\n" not in str(err.value)
