"""Recipes: valid ones load; malformed ones give one sentence naming the line and field."""

from __future__ import annotations

import json

import pytest

from synthloom.config import Recipe, RecipeError, parse_recipe

from .conftest import run_cli

GOOD = """\
name: t
target_rows: 3
columns:
  - name: topic
    kind: sampler
    type: category
    values: [a, b]
  - name: text
    kind: llm_text
    prompt: "Write about {{ topic }}"
"""


def test_good_recipe_loads_with_defaults():
    r = parse_recipe(GOOD)
    assert [c.name for c in r.columns] == ["topic", "text"]
    assert r.columns[1].model == "default"
    assert r.effective_max_batches >= 2
    assert len(r.fingerprint()) == 16


def test_fingerprint_ignores_output_dir_but_not_prompts():
    a = parse_recipe(GOOD)
    b = parse_recipe(GOOD + "output_dir: elsewhere\n")
    c = parse_recipe(GOOD.replace("Write about", "Describe"))
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("name: t\ntarget_rows: 3\ncolumns: [\n  - x\n", 4, ["not valid YAML"]),
        (GOOD.replace("kind: llm_text", "kind: llm_txt"), 9, ["llm_txt", "not known", "llm_text"]),
        (GOOD.replace("{{ topic }}", "{{ topc }}"), 8, ["'text'", "'topc'", "not a column"]),
        (GOOD.replace("    prompt:", "    promt:"), 10, ["unknown field `promt`"]),
        (GOOD.replace("target_rows: 3", "target_rows: 0"), 2, ["target_rows", "greater than or equal to 1"]),
        (GOOD.replace("name: text", "name: topic"), 8, ["'topic' is used twice"]),
        (GOOD.replace("    prompt:", "    model: teacher\n    prompt:"), 8, ["model 'teacher'", "not defined"]),
        (GOOD.replace("{{ topic }}", "{{ topic "), 10, ["Jinja2"]),
    ],
)
def test_malformed_recipes_name_line_and_field(text, line, words):
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, source="r.yaml")
    msg = str(info.value)
    assert msg.startswith(f"r.yaml:{line}: ") or (line is None), msg
    for w in words:
        assert w in msg, msg
    assert "\n" not in msg


def test_cycle_is_reported_as_a_path():
    text = """\
name: t
target_rows: 1
columns:
  - {name: a, kind: expression, template: "{{ b }}"}
  - {name: b, kind: expression, template: "{{ c }}"}
  - {name: c, kind: expression, template: "{{ a }}"}
"""
    with pytest.raises(RecipeError, match=r"cycle: a -> b -> c -> a"):
        parse_recipe(text, source="r.yaml")


def test_bad_json_schema_is_rejected():
    text = """\
name: t
target_rows: 1
columns:
  - name: obj
    kind: llm_structured
    prompt: hi
    schema: {type: object, properties: {x: {type: not-a-type}}}
"""
    with pytest.raises(RecipeError, match=r"r.yaml:4: .*not a valid JSON Schema"):
        parse_recipe(text, source="r.yaml")


def test_filters_must_refer_to_columns():
    with pytest.raises(RecipeError, match="filter 'nope > 1' refers to unknown column"):
        parse_recipe(GOOD + "filters: ['nope > 1']\n")


def test_json_schema_export_covers_every_column_kind(tmp_path):
    result = run_cli("schema", "-o", str(tmp_path / "s.json"))
    assert result.returncode == 0, result.stderr
    schema = json.loads((tmp_path / "s.json").read_text())
    kinds = set()
    for d in schema["$defs"].values():
        kind = d.get("properties", {}).get("kind", {})
        if "const" in kind:
            kinds.add(kind["const"])
    assert kinds >= {"sampler", "seed", "llm_text", "llm_structured", "judge", "expression", "validator"}
    assert schema == Recipe.model_json_schema(by_alias=True)


def test_cli_bad_recipe_exits_2_with_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("kind: llm_text", "kind: magic"))
    result = run_cli("generate", str(bad), "--output-dir", str(tmp_path / "runs"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.yaml:9" in lines[0] and "magic" in lines[0], result.stderr
    assert not (tmp_path / "runs").exists()


def test_cli_missing_recipe_file(tmp_path):
    result = run_cli("generate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_overrides_set_fields_by_path_and_column_name():
    from synthloom.config import parse_recipe as parse

    r = parse(GOOD, overrides=["target_rows=9", "columns.text.temperature=0.1", "columns.0.values=[x, y, z]"])
    assert r.target_rows == 9 and r.columns[1].temperature == 0.1 and r.columns[0].values == ["x", "y", "z"]
    with pytest.raises(RecipeError, match="no item 'nope'"):
        parse(GOOD, overrides=["columns.nope.prompt=hi"])
    with pytest.raises(RecipeError, match="path=value"):
        parse(GOOD, overrides=["target_rows"])


def test_recipes_commands(tmp_path):
    listed = run_cli("recipes", "list")
    assert listed.returncode == 0 and "demo_knowledge_qa" in listed.stdout
    shown = run_cli("recipes", "show", "demo_knowledge_qa")
    assert "kind: judge" in shown.stdout
    made = run_cli("recipes", "init", "demo_knowledge_qa", str(tmp_path / "mine"))
    assert made.returncode == 0 and (tmp_path / "mine/demo_knowledge_qa.yaml").is_file()
    again = run_cli("recipes", "init", "demo_knowledge_qa", str(tmp_path / "mine"))
    assert again.returncode == 2 and "already exists" in again.stderr
    missing = run_cli("recipes", "show", "nope")
    assert missing.returncode == 2 and "no built-in recipe 'nope'" in missing.stderr
