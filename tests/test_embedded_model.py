"""A few tests on the real embedded model (SmolLM2-135M-Instruct through llama.cpp)."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest

from synthloom.config import parse_recipe
from synthloom.generate import generate_run, preview_rows

pytestmark = [pytest.mark.slow, pytest.mark.embedded]

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2, "maxLength": 40},
        "population_millions": {"type": "number"},
        "landmarks": {"type": "array", "items": {"type": "string", "maxLength": 30}, "minItems": 1, "maxItems": 3},
        "continent": {"enum": ["Africa", "Asia", "Europe", "America", "Oceania"]},
    },
    "required": ["city", "population_millions", "landmarks", "continent"],
}


def test_structured_column_yields_schema_valid_json_on_the_embedded_model():
    import yaml

    recipe = parse_recipe(
        yaml.safe_dump(
            {
                "name": "emb",
                "target_rows": 4,
                "models": {"default": {"provider": "llamacpp", "workers": 2}},
                "columns": [
                    {"name": "country", "kind": "sampler", "type": "category", "values": ["France", "Japan", "Kenya", "Peru"]},
                    {"name": "facts", "kind": "llm_structured", "max_tokens": 200,
                     "prompt": "Describe the capital city of {{ country }} as JSON.", "schema": SCHEMA},
                    {"name": "grade", "kind": "judge", "max_tokens": 60,
                     "attributes": {"accuracy": "The facts are correct."},
                     "prompt": "Facts about the capital of {{ country }}: {{ facts | tojson }}"},
                    {"name": "tagline", "kind": "llm_text", "mode": "completion", "max_tokens": 16,
                     "prompt": "A short slogan for {{ facts.city }}:"},
                ],
            }
        )
    )
    result = asyncio.run(preview_rows(recipe, 4))
    assert len(result.accepted) == 4, [r["_reason"] for r in result.rejected]
    for row in result.accepted:
        jsonschema.validate(row["facts"], SCHEMA)
        assert row["grade"]["accuracy"] in range(0, 5)
        assert isinstance(row["tagline"], str) and row["tagline"]


def test_generate_with_no_model_configured_uses_the_embedded_default(tmp_path, taxonomy_dir):
    text = f"""\
name: tiny
target_rows: 3
batch_size: 3
output_dir: {tmp_path}
columns:
  - {{name: seed, kind: seed, taxonomy: {taxonomy_dir}, taxonomy_kinds: [compositional_skills]}}
  - name: q
    kind: llm_structured
    max_tokens: 40
    prompt: "Write a new question like this one: {{{{ seed.question }}}}"
    schema: {{type: object, properties: {{question: {{type: string, maxLength: 120}}}}, required: [question]}}
"""
    summary = asyncio.run(generate_run(parse_recipe(text)))
    assert summary.accepted == 3
    assert summary.usage[0].model == "default" and summary.usage[0].completion_tokens > 0


def test_a_file_that_is_not_a_model_fails_the_run_with_one_sentence(tmp_path):
    from synthloom.config.errors import SynthloomError

    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"not a gguf file at all")
    text = f"""\
name: broken
target_rows: 1
output_dir: {tmp_path}
models: {{default: {{provider: llamacpp, path: {fake}, workers: 1}}}}
columns:
  - {{name: t, kind: llm_text, prompt: hi}}
"""
    with pytest.raises(SynthloomError, match="could not load .*broken.gguf"):
        asyncio.run(generate_run(parse_recipe(text)))
