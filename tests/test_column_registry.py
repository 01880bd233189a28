"""Column generators are registered by the config class they make (generate/columns/registry.py),
built with one signature, and reached by the engine only through the protocol of columns/base.py."""

from __future__ import annotations

import asyncio
import re
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from synthloom.config import columns as C
from synthloom.config import parse_recipe
from synthloom.config.errors import SynthloomError
from synthloom.generate import preview_rows
from synthloom.generate.cells import CellContext, RowState
from synthloom.generate.columns import (
    BaseGenerator, BuildContext, PartitionSource, SeedSource, build_generator, generates, registered, registry,
)

from .conftest import ROOT

BUILD = BuildContext(seed=7, resolve_path=Path)


def config_classes(annotation: object) -> list[type]:
    """The classes of a (nested, annotated, discriminated) union of column configs."""
    if typing.get_origin(annotation) is typing.Annotated:
        return config_classes(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [c for arm in typing.get_args(annotation) for c in config_classes(arm)]
    assert isinstance(annotation, type), annotation
    return [annotation]


def test_every_column_config_in_the_recipe_union_has_a_generator():
    union = config_classes(C.Column)
    assert len(union) == len(set(union)) >= 17  # 9 samplers, seed, 4 LLM kinds, expression, grounding, 3 validators
    assert [c.__name__ for c in union if c not in registered()] == []
    # and nothing is registered for a class a recipe cannot hold
    assert [c.__name__ for c in registered() if c not in union] == []


def example(cls: type) -> BaseModel:
    """A valid config of `cls`, from the smallest YAML a user could write."""
    needs = {
        "CategorySampler": {"values": ["a"]}, "SubcategorySampler": {"parent": "p", "values": {"a": ["b"]}},
        "UniformSampler": {"low": 0, "high": 1}, "IntSampler": {"low": 0, "high": 1},
        "DatetimeSampler": {"start": "2024-01-01", "end": "2024-02-01"}, "SeedColumn": {"rows": [{"x": 1}]},
        "LLMTextColumn": {"prompt": "hi"}, "LLMStructuredColumn": {"prompt": "hi", "schema": {"type": "object"}},
        "JudgeColumn": {"prompt": "hi"}, "ExpressionColumn": {"template": "{{ x }}"},
        "GroundingColumn": {"text": "{{ a }}", "source": "{{ b }}", "embedding": "words"},
        "JsonSchemaValidator": {"target": "x", "schema": {"type": "object"}},
        "RegexValidator": {"target": "x", "pattern": "a"},
        "PythonValidator": {"target": "x", "code": "def validate(v, r):\n    return True\n"},
    }
    fields = cls.model_fields
    data = {"name": "col", "kind": typing.get_args(fields["kind"].annotation)[0], **needs.get(cls.__name__, {})}
    if "type" in fields:
        data["type"] = typing.get_args(fields["type"].annotation)[0]
    return cls.model_validate(data)


@pytest.mark.parametrize("cls", config_classes(C.Column), ids=lambda c: c.__name__)
def test_each_generator_is_built_from_config_and_build_context_alone(cls):
    gen = build_generator(example(cls), BUILD)
    assert isinstance(gen, registered()[cls])  # the registered class, built the one way
    assert gen.name == "col" and gen.notices == []
    # only the seed generator offers partitions and seed rows
    assert isinstance(gen, PartitionSource) == isinstance(gen, SeedSource) == (cls is C.SeedColumn)


def test_an_unregistered_kind_is_one_sentence_not_a_key_error():
    class TableColumn(BaseModel):
        name: str = "lookup"
        kind: str = "table"

    with pytest.raises(SynthloomError) as err:
        build_generator(TableColumn(), BUILD)
    message = str(err.value)
    assert message == ("column 'lookup' is of kind 'table' (TableColumn), which no generator of this synthloom makes")


def test_a_kind_that_lost_its_generator_stops_a_run_with_one_sentence(monkeypatch):
    monkeypatch.delitem(registry._BY_CONFIG, C.ExpressionColumn)
    recipe = parse_recipe(
        "name: r\ntarget_rows: 1\ncolumns:\n"
        "  - {name: n, kind: sampler, type: int, low: 1, high: 3}\n"
        "  - {name: twice, kind: expression, template: '{{ n * 2 }}', dtype: int}\n"
    )
    with pytest.raises(SynthloomError, match=r"^column 'twice' is of kind 'expression' \(ExpressionColumn\)"):
        asyncio.run(preview_rows(recipe, 1))


def test_a_new_kind_needs_a_config_class_and_one_decorated_generator(monkeypatch):
    monkeypatch.setattr(registry, "_BY_CONFIG", dict(registry._BY_CONFIG))  # the addition stays in this test

    class ShoutColumn(BaseModel):
        name: str
        kind: typing.Literal["shout"] = "shout"
        text: str

    @generates(ShoutColumn)
    class ShoutGenerator(BaseGenerator[ShoutColumn]):
        async def generate(self, ctx, env):
            return self.config.text.upper() + "!" * ctx.rng().randint(1, 3)

    gen = build_generator(ShoutColumn(name="s", text="hey"), BUILD)
    row = RowState("b0-r0", 0, 0)
    value = asyncio.run(gen.generate(CellContext(BUILD.seed, row, "s"), None))
    assert re.fullmatch(r"HEY!{1,3}", value)
    with pytest.raises(TypeError, match="ShoutColumn already has a generator"):
        generates(ShoutColumn)(type("Other", (BaseGenerator,), {}))


def test_the_engine_reaches_generators_only_through_the_protocol():
    engine = ROOT / "src/synthloom/generate"
    for name in ("batch.py", "driver.py", "engine.py", "resources.py"):
        text = (engine / name).read_text(encoding="utf-8")
        assert "type: ignore" not in text, name
        # the package's protocol and builder, never a generator module or class
        assert re.findall(r"synthloom\.generate\.columns\.\w+", text) == [], name
        assert re.findall(r"\b\w+Generator\b", text.replace("ColumnGenerator", "")) == [], name
