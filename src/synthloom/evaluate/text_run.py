"""`synthloom evaluate RUN_DIR`: a generation run's text against its own seeds / taxonomy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthloom.data.runs.run_reader import open_run
from synthloom.data.sources.seed_rows import load_seed_rows
from synthloom.data.release.training_records import RecordMaker
from synthloom.evaluate.metrics import definitions, text_summary
from synthloom.evaluate.text import text_report
from synthloom.models.embeddings import EmbeddingKind


def _seed_rows(recipe: Any) -> list[dict[str, Any]]:
    """The seed rows the run drew from, read exactly as generation read them."""
    return [row for col in recipe.columns if col.kind == "seed" for row in load_seed_rows(col, recipe.resolve_path)]


def _strings(row: dict[str, Any]) -> list[str]:
    out = []
    for v in row.values():
        if isinstance(v, str) and len(v.split()) >= 3:
            out.append(v)
        elif isinstance(v, list):
            out += [x["question"] + " " + x["answer"] for x in v if isinstance(x, dict) and "question" in x]
    return out


def _text_sets(recipe: Any, rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    if recipe.export is not None:
        maker = RecordMaker(recipe.export)
        records = [maker.make(r) for r in rows]
        if recipe.export.format == "sft":
            return {
                "prompts": [" ".join(m["content"] for m in r["messages"] if m["role"] == "user") for r in records],
                "responses": [" ".join(m["content"] for m in r["messages"] if m["role"] == "assistant") for r in records],
            }
        return {"prompts": [r["prompt"] for r in records],
                "responses": [r["chosen"] for r in records] + [r["rejected"] for r in records]}
    names = [k for k, v in rows[0].items() if isinstance(v, str) and not k.startswith("_")]
    return {k: [r[k] for r in rows if isinstance(r.get(k), str)] for k in names}


def _add_leaf_reports(sets: dict[str, Any], texts: dict[str, list[str]], row_leaves: list[str | None],
                      seeds: list[dict[str, Any]], reference: list[str], embedding: EmbeddingKind) -> None:
    """Each text set made one text per row gets its per-leaf figures (text_leaves.py)."""
    from synthloom.evaluate.text_leaves import leaf_report
    from synthloom.models.embeddings import embedder

    seeds_by_leaf: dict[str, list[str]] = {}
    for row in seeds:
        if "leaf" in row:
            seeds_by_leaf.setdefault(row["leaf"], []).extend(_strings(row))
    for name, column in texts.items():
        if name in sets and len(column) == len(row_leaves):
            model = embedder(embedding, column + reference)
            report = leaf_report(column, row_leaves, seeds_by_leaf, model)
            if report is not None:
                sets[name]["leaves"] = report


def _leaf_of(lineage: dict[str, Any] | None) -> str | None:
    """The taxonomy leaf a row was made from (its first seed reference that names one)."""
    refs = (lineage or {}).get("seed") or []
    return next((ref["leaf"] for ref in refs if isinstance(ref, dict) and "leaf" in ref), None)


def judge_scores(recipe: Any, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per judge column and attribute: how often each score was given, and the mean."""
    out: dict[str, dict[str, Any]] = {}
    for col in recipe.columns:
        if col.kind != "judge":
            continue
        for attr in col.attributes:
            scores = [r[col.name][attr] for r in rows
                      if isinstance(r.get(col.name), dict) and isinstance(r[col.name].get(attr), int)]
            if scores:
                counts = {str(s): scores.count(s) for s in range(col.min_score, col.max_score + 1)}
                out[f"{col.name}.{attr}"] = {"counts": counts, "mean": sum(scores) / len(scores), "n": len(scores)}
    return out


def evaluate_run(run_dir: str | Path, *, seed: int = 0, embedding: EmbeddingKind = "auto") -> dict[str, Any]:
    with open_run(run_dir) as run:
        recipe = run.recipe
        rows = run.rows("evaluate")
        lineage = run.db.accepted_lineage_by_id()
        stamp = run.stamp(rows)  # export --gates and the card trust the report only for these rows
    seeds = _seed_rows(recipe)
    reference = [t for r in seeds for t in _strings(r)]
    leaves = [ref["leaf"] for lin in lineage.values() for ref in lin.get("seed", []) if "leaf" in ref]
    all_leaves = sorted({r["leaf"] for r in seeds if "leaf" in r}) or None
    text_sets = _text_sets(recipe, rows)
    sets = {name: text_report(texts, reference or None, seed=seed, leaves=leaves, all_leaves=all_leaves,
                              embedding=embedding)
            for name, texts in text_sets.items() if texts}
    if all_leaves:
        row_leaves = [_leaf_of(lineage.get(r["_row_id"])) for r in rows]
        _add_leaf_reports(sets, text_sets, row_leaves, seeds, reference, embedding)
    judged = judge_scores(recipe, rows)
    summary = text_summary(sets, judged)
    # which filter kept these rows: a judge on the embedded model gives way to grounding checks
    filters = {"applied": [{"name": f.label, "expr": f.expr} for f in recipe.active_filters()],
               "replaced": recipe.filter_notices()}
    return {"kind": "text", "seed": seed, "run": str(run_dir), "judged": stamp, "rows": len(rows),
            "reference_texts": len(reference), "filters": filters, "summary": summary,
            "definitions": definitions(summary), "sets": sets,
            "judge_scores": judged}
