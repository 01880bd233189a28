"""The rows a seed column draws from: a file, rows written in the recipe, or an InstructLab
taxonomy (per example or per document chunk), filtered by `where` and cut to `fields`.

Generation and evaluation both read seeds through this one function, so a run is judged
against exactly the rows it was made from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from synthloom.config.columns import SeedColumn
from synthloom.config.errors import SynthloomError
from synthloom.config.templates import template_env
from synthloom.data.files.tables import read_table
from synthloom.data.sources.taxonomy import taxonomy_rows


def load_seed_rows(config: SeedColumn, resolve_path: Callable[[str], Path],
                   notices: list[str] | None = None) -> list[dict[str, Any]]:
    """The seed column's rows in a stable order; one sentence when there are none, or when a
    `fields` entry is not in them. `notices` collects taxonomy fallbacks (documents not found)."""
    if config.taxonomy is not None:
        rows = taxonomy_rows(
            resolve_path(config.taxonomy),
            config.taxonomy_kinds,
            unit=config.unit,
            document_map={k: resolve_path(v) for k, v in config.document_map.items()},
            chunk_words=config.chunk_words,
            notices=notices,
            allow_local_repos=config.allow_local_repos,
        )
    elif config.rows is not None:
        rows = [dict(r) for r in config.rows]
    else:
        rows = read_table(resolve_path(config.path)).to_pylist()
    if config.where and rows:
        keep = template_env().compile_expression(config.where, undefined_to_none=False)
        try:
            rows = [r for r in rows if keep(**r)]
        except jinja2.TemplateError as exc:
            raise SynthloomError(f"seed column '{config.name}': `where` failed on a seed row ({exc})") from None
    if not rows:
        raise SynthloomError(f"seed column '{config.name}': {config.path or config.taxonomy or '`rows`'} has no rows"
                             + (f" where {config.where}" if config.where else ""))
    if config.fields:
        missing = [f for f in config.fields if f not in rows[0]]
        if missing:
            raise SynthloomError(
                f"seed column '{config.name}': field(s) {', '.join(missing)} not in the seed data "
                f"(it has {', '.join(rows[0])})"
            )
        rows = [{f: r.get(f) for f in config.fields} for r in rows]
    return rows
