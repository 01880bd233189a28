"""The dataset card (Markdown with Hugging Face front matter), written from the run itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import jinja2

from synthloom.config.recipe import Recipe
from synthloom.data.runs.run_reader import RunReader

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("synthloom.data.release", "templates"),
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "n>1M"


def _coverage(run: RunReader) -> tuple[str, list[tuple[str, int]]]:
    """Accepted rows per taxonomy leaf, else per seed row."""
    leaves: Counter[str] = Counter()
    seeds: Counter[str] = Counter()
    for lineage in run.accepted_lineage():
        for ref in lineage.get("seed", []):
            if "leaf" in ref:
                leaves[ref["leaf"]] += 1
            elif isinstance(ref.get("seed_index"), int):
                seeds[f"{ref['column']}[{ref['seed_index']}]"] += 1
    if leaves:
        return "taxonomy leaf", sorted(leaves.items())
    if seeds:
        return "seed row", sorted(seeds.items())
    return "", []


def _model_label(m: Any) -> str:
    if m.provider != "llamacpp":
        kind = "OpenAI-compatible" if m.provider in ("openai", "openai-compatible") else m.provider
        return f"{m.model} ({kind}, {len(m.endpoints)} endpoint(s))"
    return f"llama.cpp, {Path(m.path).name if m.path else 'SmolLM2-135M-Instruct Q4_1 (embedded)'}"


def render_card(recipe: Recipe, run: RunReader, *, rows: list[dict[str, Any]], files: list[str],
                formats: list[str], dpo_style: str, review: dict[str, Any] | None = None) -> str:
    """`rows`: the rows offered for release (before people's review, which comes after the
    evaluation); the run's evaluation is shown only if it judged exactly these. `review`: what
    the review decided (data/review/outcome.py), if the run has one."""
    manifest = run.manifest
    evaluation = (run.current_report(rows) or {}).get("summary", {})
    usage = run.db.usage_totals()
    committed = run.db.committed_batches()
    accepted = sum(a for a, *_ in committed.values())
    label, coverage = _coverage(run)
    curation = run.curation
    if curation:
        accepted = curation["kept"]
    from synthloom.config.endpoints import embedded_default

    models = {alias: _model_label(m) for alias, m in recipe.models.items()}
    if any(getattr(c, "model", None) == "default" for c in recipe.columns) and "default" not in models:
        models["default"] = _model_label(embedded_default())
    return _ENV.get_template("dataset_card.md.jinja").render(
        name=recipe.name,
        description=recipe.description,
        fingerprint=recipe.fingerprint(),
        seed=recipe.seed,
        status=manifest.get("status", "unknown"),
        accepted=accepted,
        rejected=sum(r for _, r, *_ in committed.values()),
        size_category=_size_category(accepted),
        export_format=recipe.export.format if recipe.export else None,
        dpo_style=dpo_style,
        curation=curation,
        files=files,
        formats=formats,
        columns=[{"name": c.name, "kind": c.kind, "model": getattr(c, "model", None), "drop": c.drop}
                 for c in recipe.columns],
        models=models,
        filters=[f.label if f.label == f.expr else f"{f.label}: {f.expr}" for f in recipe.active_filters()],
        filter_notices=recipe.filter_notices(),
        rejections=[{"column": c, "reason": r, "count": n} for c, r, n in run.db.rejection_totals()],
        usage=usage,
        tokens=sum(u.prompt_tokens + u.completion_tokens for u in usage),
        estimated_tokens=sum(u.estimated_tokens for u in usage),
        # the rule is the run's (models/token_count.py, which this layer does not import)
        token_estimate=manifest.get("token_estimate") or "characters / 4",
        cost=sum(u.cost_usd for u in usage),
        coverage=coverage,
        coverage_label=label,
        notices=manifest.get("notices", []),
        evaluation=evaluation,
        review=review,
        released=accepted - (review["rejected"] if review else 0),
    )
