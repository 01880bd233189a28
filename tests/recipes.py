"""Recipes used by the tests, pointed at a scripted server."""

from __future__ import annotations

from pathlib import Path

import yaml


def qa_recipe(url: str, out: Path, *, name: str = "qa", target: int = 20, batch: int = 8, concurrency: int = 16,
              extra: dict | None = None, timeout_s: float = 5.0, max_retries: int = 5) -> dict:
    """Two LLM columns and a judge over sampled topics: the shape the issue measures."""
    recipe = {
        "name": name,
        "seed": 3,
        "target_rows": target,
        "batch_size": batch,
        "output_dir": str(out),
        "models": {
            "teacher": {
                "provider": "openai",
                "model": "scripted",
                "endpoints": [{"url": url, "max_concurrency": concurrency}],
                "timeout_s": timeout_s,
                "max_retries": max_retries,
                "backoff_base_s": 0.01,
                "backoff_max_s": 0.05,
                "price": {"input_per_million": 1.0, "output_per_million": 2.0},
            }
        },
        "columns": [
            {"name": "topic", "kind": "sampler", "type": "category", "values": ["birds", "rivers", "stars"],
             "weights": [3, 1, 1]},
            {"name": "persona", "kind": "sampler", "type": "persona"},
            {"name": "question", "kind": "llm_text", "model": "teacher",
             "prompt": "As {{ persona.name }}, ask one question about {{ topic }}."},
            {"name": "answer", "kind": "llm_structured", "model": "teacher",
             "prompt": "Answer: {{ question }}",
             "schema": {"type": "object", "properties": {"answer": {"type": "string"},
                                                         "confidence": {"type": "integer", "minimum": 0, "maximum": 9}},
                        "required": ["answer", "confidence"]}},
            {"name": "score", "kind": "judge", "model": "teacher",
             "prompt": "Q: {{ question }}\nA: {{ answer.answer }}"},
        ],
        "filters": ["score.helpfulness >= 1"],
    }
    recipe.update(extra or {})
    return recipe


def write(recipe: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path
