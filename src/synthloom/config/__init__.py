"""Pydantic models of everything a user writes (recipes, curation, mix, tabular spec, gates'
inputs), and reading them from YAML with one-sentence errors that name file, line and field.
It owns validation and limits of user input (YAML aliases, depth, sizes, template budgets) and
the registries other layers fill (e.g. the synthesizers a spec may name).

Imports no other synthloom package (DESIGN.md)."""

from synthloom.config.errors import RecipeError, SynthloomError
from synthloom.config.loader import load_recipe, parse_recipe
from synthloom.config.recipe import Recipe

__all__ = ["Recipe", "RecipeError", "SynthloomError", "load_recipe", "parse_recipe"]
