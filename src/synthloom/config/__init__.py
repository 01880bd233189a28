"""Pydantic models of everything a user writes, and loading them from YAML.

Imports no other synthloom package (DESIGN.md)."""

from synthloom.config.errors import RecipeError, SynthloomError
from synthloom.config.loader import load_recipe, parse_recipe
from synthloom.config.recipe import Recipe

__all__ = ["Recipe", "RecipeError", "SynthloomError", "load_recipe", "parse_recipe"]
