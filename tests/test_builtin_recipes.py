"""Every built-in recipe runs end to end against the scripted OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import collections

import jsonschema
import pytest

from synthloom.config.loader import parse_recipe
from synthloom.data.runs.run_store import open_existing
from synthloom.generate import generate_run
from synthloom.recipes import builtin_recipe_path, builtin_recipes

from synthloom.data.sources.taxonomy import load_taxonomy


def docs_override(document_map: dict) -> str:
    pairs = ", ".join(f"'{repo}': '{folder}'" for repo, folder in document_map.items())
    return f"columns.seed.document_map={{{pairs}}}"


def leaves_of(taxonomy_dir, kinds, grounded=None) -> set[str]:
    return {leaf.path for leaf in load_taxonomy(taxonomy_dir, kinds)
            if grounded is None or (leaf.kind != "knowledge" and leaf.grounded == grounded)}


def load_builtin(name, tmp_path, url, extra=()):
    overrides = [
        f"models.default={{provider: openai, model: scripted, endpoints: [{{url: '{url}', max_concurrency: 16}}]}}",
        f"output_dir={tmp_path / 'runs'}",
        *extra,
    ]
    path = builtin_recipe_path(name)
    return parse_recipe(path.read_text(), source=str(path), base_dir=tmp_path, overrides=overrides)


def run_builtin(name, tmp_path, server, extra=()):
    summary = asyncio.run(generate_run(load_builtin(name, tmp_path, server.url, extra)))
    store = open_existing(summary.run_dir)
    return summary, store, store.read_accepted().to_pylist()


def test_every_builtin_recipe_is_valid():
    names = [r.name for r in builtin_recipes()]
    assert {"lab_knowledge", "lab_freeform_skills", "lab_grounded_skills", "nemotron_prompts", "nemotron_dialogue",
            "self_instruct", "evol_instruct", "magpie", "preference_pairs", "demo_knowledge_qa"} <= set(names)
    for r in builtin_recipes():
        assert r.description
        recipe = parse_recipe(r.path.read_text(), source=str(r.path))
        assert recipe.export is not None, r.name


def test_lab_knowledge_per_leaf_from_documents(tmp_path, taxonomy_dir, example_document_map, scripted_server):
    server = scripted_server(enum_choice="max")
    summary, store, rows = run_builtin("lab_knowledge", tmp_path, server, [
        f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=3", docs_override(example_document_map),
    ])
    assert summary.status == "complete" and summary.notices == []
    knowledge = leaves_of(taxonomy_dir, ["knowledge"])
    assert len(knowledge) >= 3 and summary.partitions == {leaf: 3 for leaf in knowledge}
    for row in rows:
        assert row["question"] and row["answer"] and row["leaf"].startswith("knowledge/")
        seed = store.db.lineage_of(row["_row_id"])["seed"][0]
        assert seed["leaf"] == row["leaf"]
        source, _, chunk = seed["chunk"].partition("#")
        assert source.endswith(".md") and chunk.isdigit()  # a chunk of a document, not a seed context


def test_lab_knowledge_without_documents_says_so_once(tmp_path, taxonomy_dir, scripted_server):
    server = scripted_server(enum_choice="max")
    # run by name from tmp_path, where the recipe's `knowledge_docs` folder does not exist
    summary, _, rows = run_builtin("lab_knowledge", tmp_path, server, [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=2"])
    knowledge = leaves_of(taxonomy_dir, ["knowledge"])
    assert len(rows) == 2 * len(knowledge) and len(summary.notices) == len(knowledge)
    assert all("using its seed contexts" in n for n in summary.notices)


def test_lab_skills_recipes_cover_their_leaves(tmp_path, taxonomy_dir, scripted_server):
    server = scripted_server(enum_choice="max")
    skills = ["compositional_skills", "foundational_skills"]
    free, _, free_rows = run_builtin("lab_freeform_skills", tmp_path, server,
                                     [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=2"])
    freeform = leaves_of(taxonomy_dir, skills, grounded=False)
    assert free.status == "complete" and len(freeform) >= 2
    assert free.partitions == {leaf: 2 for leaf in freeform}
    grounded, _, g_rows = run_builtin("lab_grounded_skills", tmp_path, server,
                                      [f"columns.seed.taxonomy={taxonomy_dir}", "target_rows=2"])
    assert grounded.status == "complete"
    assert grounded.partitions == {leaf: 2 for leaf in leaves_of(taxonomy_dir, skills, grounded=True)}
    assert all(r["context"] and r["question"] and r["answer"] for r in g_rows)


def test_nemotron_prompts_cover_task_types_and_keep_by_thresholds(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max")
    summary, _, rows = run_builtin("nemotron_prompts", tmp_path, server, ["target_rows=40"])
    assert summary.accepted == 40
    assert set(collections.Counter(r["task_type"] for r in rows)) == {"open_qa", "writing", "closed_qa", "math", "coding"}
    closed = [r for r in rows if r["task_type"] == "closed_qa"]
    assert all(r["context"] in r["instruction"] for r in closed)
    assert any(r["constraint"] and r["instruction"].endswith(r["constraint"]) for r in rows)
    assert all(r["reward"]["helpfulness"] >= 3 for r in rows)


def test_nemotron_thresholds_reject_low_scores(tmp_path, scripted_server):
    server = scripted_server()  # random scores 0..4
    summary, store, rows = run_builtin("nemotron_prompts", tmp_path, server, ["target_rows=10"])
    assert all(min(r["reward"]["helpfulness"], r["reward"]["correctness"], r["reward"]["coherence"]) >= 3 for r in rows)
    assert any(c == "_filter" for c, _, _ in summary.rejections)


def test_nemotron_dialogue_has_alternating_turns(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max")
    summary, _, rows = run_builtin("nemotron_dialogue", tmp_path, server, ["target_rows=5"])
    assert summary.accepted == 5
    assert all([m["role"] for m in r["dialogue"]] == ["user", "assistant"] * 3 for r in rows)


def test_self_instruct_drops_near_copies_of_the_pool(tmp_path, scripted_server):
    seeds = "Write a haiku about autumn leaves."
    # the scripted model proposes a seed task back every time
    server = scripted_server(rules=[("Write task 4", f'{{"instruction": "{seeds}", "input": ""}}')])
    summary, store, rows = run_builtin("self_instruct", tmp_path, server, ["target_rows=6", "max_batches=6",
                                                                             "columns.examples.sample_size=3"])
    rejected = store.read_rejected().to_pylist()
    assert any(r["_column"] == "_novelty" and "seed #" in r["_reason"] for r in rejected)
    assert all(r["instruction"] != seeds for r in rows)


def test_evol_instruct_eliminates_failed_evolutions(tmp_path, scripted_server):
    server = scripted_server(rules=[("Rewrite the prompt adding one more constraint", "Sorry, I cannot do that.")])
    summary, store, rows = run_builtin("evol_instruct", tmp_path, server, ["target_rows=12"])
    assert summary.accepted == 12
    rejected = store.read_rejected().to_pylist()
    assert any(r["_column"] in ("check1", "check2") and "refusal" in r["_reason"] for r in rejected)
    assert all(r["evolved2"] and r["response"] for r in rows)


def test_magpie_against_a_completions_endpoint(tmp_path, scripted_server):
    server = scripted_server(enum_choice="max", rules=[("<|im_start|>user\n", "How can I keep basil alive indoors over winter?")])
    summary, _, rows = run_builtin("magpie", tmp_path, server, ["target_rows=1", "columns.query.magpie_template=chatml"])
    assert summary.accepted == 1 and rows[0]["query"].startswith("How can I keep basil")


def test_magpie_on_a_chat_only_endpoint_is_one_clear_error(tmp_path, scripted_server):
    from synthloom.config.errors import SynthloomError

    server = scripted_server()
    recipe = load_builtin("magpie", tmp_path, server.url, ["models.default.supports_completions=false"])
    with pytest.raises(SynthloomError, match="needs raw completions"):
        asyncio.run(generate_run(recipe))


def test_preference_pairs_choose_best_and_worst_with_a_gap(tmp_path, scripted_server):
    server = scripted_server()  # random judge scores
    summary, _, rows = run_builtin("preference_pairs", tmp_path, server, ["target_rows=8"])
    assert summary.accepted == 8
    for r in rows:
        totals = [s["helpfulness"] + s["correctness"] + s["coherence"] for s in r["scores"]]
        assert r["pair"]["gap"] >= 2 and r["pair"]["gap"] == max(totals) - min(totals)
        assert r["pair"]["chosen"] == r["responses"][totals.index(max(totals))]
        assert r["pair"]["rejected"] == r["responses"][totals.index(min(totals))]
        jsonschema.validate(r["scores"], {"type": "array", "minItems": 4, "maxItems": 4})
