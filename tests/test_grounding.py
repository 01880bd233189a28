"""Grounding columns and the filters that replace a judge too small to judge."""

from __future__ import annotations

import asyncio

import pytest

from synthloom.config.errors import RecipeError
from synthloom.config.loader import parse_recipe
from synthloom.data.text.grounding import lexical_support, word_cosine
from synthloom.generate import preview_rows

PASSAGE = ("Volcanoes form where molten rock reaches the surface. Most active volcanoes lie along the edges "
           "of tectonic plates, where one plate sinks beneath another.")


def test_lexical_support_counts_content_words_found_in_the_source():
    assert lexical_support("Volcanoes lie along the edges of tectonic plates.", PASSAGE) == 1.0
    assert lexical_support("Bananas grow quickly in tropical gardens.", PASSAGE) == 0.0
    assert lexical_support("", PASSAGE) == 0.0 and lexical_support("a an of 42", PASSAGE) == 0.0
    # inflections match by their first letters: "plate" ~ "plates", "volcano" ~ "volcanoes"
    assert lexical_support("A volcano sinks beneath a plate.", PASSAGE) == 1.0
    half = lexical_support("Volcanoes erupt bananas.", PASSAGE)
    assert 0.3 < half < 0.7


def test_word_cosine_is_one_for_the_same_words_and_zero_for_none():
    assert word_cosine(PASSAGE, PASSAGE) == pytest.approx(1.0)
    assert word_cosine("bananas grow", PASSAGE) == 0.0
    assert 0 < word_cosine("tectonic plates and molten rock", PASSAGE) < 1


RECIPE = """\
name: g
target_rows: 3
columns:
  - name: seed
    kind: seed
    order: ordered
    rows:
      - {{passage: "{passage}", answer: "Most active volcanoes lie along the edges of tectonic plates."}}
      - {{passage: "{passage}", answer: "Bananas grow quickly in tropical gardens."}}
      - {{passage: "{passage}", answer: ""}}
  - {{name: answer, kind: expression, template: "{{{{ seed.answer }}}}"}}
  - {{name: g, kind: grounding, text: "{{{{ answer }}}}", source: "{{{{ seed.passage }}}}", embedding: {embedding}}}
filters:
  - {{name: grounded, expr: g.lexical >= 0.6 and g.semantic >= 0.3}}
"""


@pytest.mark.parametrize("embedding", ["words", "minilm"])
def test_a_grounding_column_keeps_answers_that_rest_on_their_passage(embedding):
    recipe = parse_recipe(RECIPE.format(passage=PASSAGE, embedding=embedding))
    result = asyncio.run(preview_rows(recipe, 3))
    assert [r["answer"] for r in result.accepted] == ["Most active volcanoes lie along the edges of tectonic plates."]
    kept = result.accepted[0]["g"]
    assert kept["lexical"] == 1.0 and kept["semantic"] >= 0.5
    assert [r["_reason"] for r in result.rejected] == ["filter 'grounded' is false"] * 2


JUDGED = """\
name: j
target_rows: 1
{models}
columns:
  - {{name: answer, kind: expression, template: "x"}}
  - {{name: quality, kind: judge, prompt: "{{{{ answer }}}}"{judge_model}}}
  - {{name: g, kind: grounding, text: "{{{{ answer }}}}", source: "y"}}
filters:
  - name: judged
    expr: quality.helpfulness >= 3
    judge: quality
    small_model: {{name: grounded, expr: g.lexical >= 0.5}}
"""
BIG = "models: {big: {provider: openai, model: m, endpoints: [{url: 'http://127.0.0.1:9/v1'}]}}"


@pytest.mark.parametrize("models, judge_model, used", [
    ("", "", "grounded"),                                                        # no models: embedded default
    ("models: {default: {provider: llamacpp}}", "", "grounded"),                 # the bundled SmolLM2
    ("models: {default: {provider: llamacpp, path: /m/big.gguf}}", "", "judged"),  # a GGUF of the user's
    (BIG, ", model: big", "judged"),
])
def test_a_judges_filter_gives_way_only_on_the_embedded_model(models, judge_model, used):
    recipe = parse_recipe(JUDGED.format(models=models, judge_model=judge_model))
    assert [f.label for f in recipe.active_filters()] == [used]
    notices = recipe.filter_notices()
    assert (len(notices) == 1 and "too small to judge" in notices[0] and "'grounded'" in notices[0]) == (used == "grounded")


@pytest.mark.parametrize("filters, words", [
    ("[{expr: 'true', judge: quality}]", "give both `judge` and `small_model`"),
    ("[{expr: 'true', judge: answer, small_model: {expr: 'true'}}]", "names judge 'answer', which is not a judge"),
    ("[{expr: 'true', judge: quality, small_model: {expr: 'nope.x > 1'}}]", "refers to unknown column(s) nope"),
])
def test_bad_judge_filters_are_one_sentence(filters, words):
    text = JUDGED.format(models="", judge_model="").split("filters:")[0] + f"filters: {filters}\n"
    with pytest.raises(RecipeError) as info:
        parse_recipe(text)
    assert words in str(info.value)
