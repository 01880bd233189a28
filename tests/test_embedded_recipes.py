"""Every LAB recipe, as it ships, on the real embedded model over the bundled example taxonomy.

SmolLM2-135M cannot judge (it gives every pair the same score), so each LAB recipe's judge filter
names the checks a small model can pass honestly (grounding of the answer in its context); these
runs keep the recipes' own filters and must get their rows, with the filter used named in the
summary, the manifest and the dataset card."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest

from synthloom.config.loader import parse_recipe
from synthloom.data.release.export import export_run
from synthloom.data.runs.run_store import open_existing
from synthloom.data.sources.taxonomy import load_taxonomy
from synthloom.evaluate.text_run import evaluate_run
from synthloom.generate import generate_run
from synthloom.recipes import builtin_recipe_path

from .test_builtin_recipes import docs_override

pytestmark = [pytest.mark.slow, pytest.mark.embedded]


def _run(name, tmp_path, taxonomy_dir, extra=()):
    path = builtin_recipe_path(name)
    overrides = [f"columns.seed.taxonomy={taxonomy_dir}", f"output_dir={tmp_path}", "target_rows=1",
                 "batch_size=2", *extra]
    recipe = parse_recipe(path.read_text(), source=str(path), base_dir=tmp_path, overrides=overrides)
    summary = asyncio.run(generate_run(recipe))
    store = open_existing(summary.run_dir)
    return recipe, summary, store, store.read_accepted().to_pylist()


def _says_which_filter(recipe, summary, expected_label):
    [active] = recipe.active_filters()
    assert active.label == expected_label
    assert any(expected_label in n and "too small to judge" in n for n in summary.notices)
    manifest = json.loads((summary.run_dir / "manifest.json").read_text())
    assert any(expected_label in n for n in manifest["notices"])
    card = export_run(summary.run_dir, ["sft"])[-1].read_text()
    assert f"`{expected_label}: {active.expr}`" in card and "too small to judge" in card
    report = evaluate_run(summary.run_dir, embedding="tfidf")
    assert report["filters"]["applied"] == [{"name": expected_label, "expr": active.expr}]
    assert "too small to judge" in report["filters"]["replaced"][0]


def _one_knowledge_leaf(taxonomy_dir, folder, keep="science/geology/volcanoes"):
    """The example taxonomy with one knowledge leaf: the README tour runs all three on the
    embedded model; one is enough for what this test checks of each row (the English one the
    small model grounds most often: the Spanish leaf took 4-5 times as long)."""
    shutil.copytree(taxonomy_dir, folder)
    for leaf in list((folder / "knowledge").rglob("qna.yaml")):
        if leaf.parent != folder / "knowledge" / keep:
            shutil.rmtree(leaf.parent)
    return folder


def test_lab_knowledge_on_the_embedded_model(tmp_path, taxonomy_dir, example_document_map):
    taxonomy = _one_knowledge_leaf(taxonomy_dir, tmp_path / "taxonomy")
    recipe, summary, store, rows = _run("lab_knowledge", tmp_path, taxonomy, [
        docs_override(example_document_map), "columns.seed.chunk_words=120",
    ])
    knowledge = {leaf.path for leaf in load_taxonomy(taxonomy, ["knowledge"])}
    assert len(knowledge) == 1
    assert summary.status == "complete", summary.rejections
    assert {r["leaf"] for r in rows} == knowledge and len(rows) == len(knowledge)
    for r in rows:
        assert r["question"] and r["answer"]
        assert r["grounding"]["lexical"] >= 0.6 and r["grounding"]["semantic"] >= 0.3
        lineage = store.db.lineage_of(r["_row_id"])
        assert lineage["seed"][0]["leaf"] == r["leaf"] and lineage["llm"]["qa"]["completion_tokens"] > 0
    _says_which_filter(recipe, summary, "answer grounded in its document chunk")


def test_lab_freeform_skills_on_the_embedded_model(tmp_path, taxonomy_dir):
    recipe, summary, store, rows = _run("lab_freeform_skills", tmp_path, taxonomy_dir, ["columns.answer.max_tokens=120"])
    assert summary.status == "complete", summary.rejections
    freeform = {leaf.path for leaf in load_taxonomy(taxonomy_dir, ["compositional_skills"]) if not leaf.grounded}
    assert {r["leaf"] for r in rows} == freeform
    for r in rows:
        assert r["prompt"] and len(r["answer"].split()) >= 3 and r["grounding"]["semantic"] >= 0.3
        assert store.db.lineage_of(r["_row_id"])["partition"] == r["leaf"]
    _says_which_filter(recipe, summary, "answer on the question's subject")


def test_lab_grounded_skills_on_the_embedded_model(tmp_path, taxonomy_dir):
    recipe, summary, _, rows = _run("lab_grounded_skills", tmp_path, taxonomy_dir, [
        "columns.context.max_tokens=120", "columns.answer.max_tokens=120",
    ])
    assert summary.status == "complete", summary.rejections
    grounded = {leaf.path for leaf in load_taxonomy(taxonomy_dir, ["compositional_skills"]) if leaf.grounded}
    assert {r["leaf"] for r in rows} == grounded
    for r in rows:
        assert r["context"] and r["question"] and r["answer"] and r["support"]["lexical"] >= 0.5
    _says_which_filter(recipe, summary, "answer grounded in its text")


def test_a_larger_judge_keeps_the_judge_filter(tmp_path):
    path = builtin_recipe_path("lab_knowledge")
    big = "models.judge={provider: openai, model: big, endpoints: [{url: 'http://127.0.0.1:9/v1'}]}"
    recipe = parse_recipe(path.read_text(), source=str(path), base_dir=tmp_path,
                          overrides=[big, "columns.quality.model=judge"])
    assert [f.label for f in recipe.active_filters()] == ["faithful and relevant"] and recipe.filter_notices() == []
