"""LLM column features: `over` lists, dialogues where the model plays both sides, Magpie."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from synthloom.config import parse_recipe
from synthloom.config.errors import SynthloomError
from synthloom.generate import preview_rows


def _recipe(url, columns, **models):
    teacher = {"provider": "openai", "model": "scripted", "endpoints": [{"url": url}], **models}
    return parse_recipe(yaml.safe_dump({"name": "t", "target_rows": 1, "models": {"default": teacher}, "columns": columns}))


def _preview(recipe, n=3):
    return asyncio.run(preview_rows(recipe, n))


def test_over_makes_one_call_per_item_and_judges_each(scripted_server):
    server = scripted_server()
    recipe = _recipe(server.url, [
        {"name": "prompt", "kind": "sampler", "type": "category", "values": ["Explain tides."]},
        {"name": "responses", "kind": "llm_text", "n": 3, "prompt": "{{ prompt }}"},
        {"name": "scores", "kind": "judge", "over": "responses", "attributes": {"helpfulness": "helps"},
         "prompt": "Prompt: {{ prompt }}\nResponse {{ item_index }}: {{ item }}"},
    ])
    result = _preview(recipe, 2)
    assert len(result.accepted) == 2
    for row in result.accepted:
        assert len(row["responses"]) == 3 and len(row["scores"]) == 3
        assert all(set(s) == {"helpfulness"} for s in row["scores"])
    # 2 rows x (1 sampling call + 3 judge calls)
    assert server.model.requests == 8


def test_dialogue_alternates_roles_for_the_requested_turns(scripted_server):
    server = scripted_server()
    recipe = _recipe(server.url, [
        {"name": "persona", "kind": "sampler", "type": "persona"},
        {"name": "chat", "kind": "llm_dialogue", "turns": 3,
         "user_prompt": "You are {{ persona.name }}. Ask about gardening."},
        {"name": "opened", "kind": "llm_dialogue", "turns": 2, "opening": "Hello, I am {{ persona.first_name }}."},
    ])
    row = _preview(recipe, 1).accepted[0]
    assert [m["role"] for m in row["chat"]] == ["user", "assistant"] * 3
    assert all(m["content"] for m in row["chat"])
    assert row["opened"][0]["content"] == f"Hello, I am {row['persona']['first_name']}."
    # chat: 3 user + 3 assistant calls; opened: 1 user + 2 assistant calls
    assert server.model.requests == 9


def test_magpie_sends_only_the_user_prefix(scripted_server):
    server = scripted_server(rules=[("<|im_start|>user\n", "How do vaccines train the immune system?")])
    recipe = _recipe(server.url, [
        {"name": "query", "kind": "llm_text", "mode": "magpie", "magpie_template": "chatml",
         "prompt": "You are an expert in biology."},
        {"name": "response", "kind": "llm_text", "prompt": "{{ query }}"},
    ])
    row = _preview(recipe, 1).accepted[0]
    assert row["query"] == "How do vaccines train the immune system?"
    assert row["response"]


def test_magpie_on_an_endpoint_without_completions_is_one_clear_error(scripted_server):
    server = scripted_server()
    recipe = _recipe(server.url, [{"name": "q", "kind": "llm_text", "mode": "magpie", "prompt": ""}],
                     supports_completions=False)
    with pytest.raises(SynthloomError, match="Magpie, which needs raw completions"):
        _preview(recipe, 1)


def test_magpie_auto_needs_a_known_template(scripted_server):
    server = scripted_server()
    recipe = _recipe(server.url, [{"name": "q", "kind": "llm_text", "mode": "magpie", "prompt": ""}])
    with pytest.raises(SynthloomError, match="set magpie_template"):
        _preview(recipe, 1)


@pytest.mark.slow
@pytest.mark.embedded
def test_magpie_on_the_embedded_model_reads_its_chat_template():
    recipe = parse_recipe(yaml.safe_dump({"name": "m", "target_rows": 1, "columns": [
        {"name": "q", "kind": "llm_text", "mode": "magpie", "max_tokens": 40, "temperature": 1.0,
         "prompt": "You are a helpful assistant."},
    ]}))
    result = _preview(recipe, 2)
    assert len(result.accepted) == 2
    assert all(r["q"] and "<|im_start|>" not in r["q"] for r in result.accepted)
