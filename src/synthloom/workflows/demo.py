"""`synthloom demo`'s stages: knowledge QA generated from the bundled example taxonomy on the
embedded model, curated, evaluated and exported with its card, then a real table (RAND's Health
Insurance Experiment, shipped with statsmodels) synthesized and evaluated beside it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthloom.config import Recipe, load_recipe
from synthloom.config.errors import SynthloomError
from synthloom.generate import RunSummary, generate_run, run_dir_of
from synthloom.recipes import builtin_recipe_path
from synthloom.workflows.release import Release, evaluate_and_release

RECIPE = "demo_knowledge_qa"
EXPORT_FORMATS = ["sft", "parquet"]


@dataclass(frozen=True)
class TabularDemo:
    rows: int
    columns: int
    seconds: float
    data: Path  # the synthetic table
    model: Path
    report: Path
    summary: dict[str, Any]
    redrawn: int  # sampled rows that copied a training row, drawn again


@dataclass
class DemoResult:
    """What each stage made; a stage that did not run (the run stopped short) is None."""

    recipe: Recipe
    generated: RunSummary
    curated: Any = None  # curate's CurationResult
    released: Release | None = None  # the evaluation (released.gates.report) and the exported files
    tabular: TabularDemo | None = None
    stages: list[str] = field(default_factory=list)  # the stages done, in order

    @property
    def run_dir(self) -> Path:
        return run_dir_of(self.recipe)


def demo_recipe(taxonomy: Path | None, output_dir: Path, rows: int) -> tuple[Recipe, Path]:
    """The demo recipe for `rows` rows under `output_dir` (optionally on another taxonomy), and
    the taxonomy it reads. The recipe names the example taxonomy relative to itself, so this
    works from any folder."""
    overrides = [f"target_rows={rows}", f"output_dir={output_dir.resolve()}"]
    if taxonomy is not None:
        overrides.append(f"columns.seed.taxonomy={taxonomy.resolve()}")
    recipe = load_recipe(builtin_recipe_path(RECIPE), overrides)
    seed = next(c for c in recipe.columns if c.name == "seed")
    return recipe, recipe.resolve_path(seed.taxonomy)


def run_demo(recipe: Recipe, *, fresh: bool = True, reporter: Any = None,
             on_stage: Callable[[str, DemoResult], None] | None = None) -> DemoResult:
    """Generate, curate, evaluate and export the run, then the tabular demo. `on_stage` is
    called after each stage ("generated", "curated", "released", "tabular") with the result so
    far; a run that stops short of its target ends the demo after "generated"."""
    from synthloom.curate.run_curation import curate_run

    summary = asyncio.run(generate_run(recipe, resume=False, overwrite=fresh, reporter=reporter))
    result = DemoResult(recipe, summary)
    _done(result, "generated", on_stage)
    if summary.status != "complete":
        return result
    result.curated, _ = curate_run(result.run_dir, None)
    _done(result, "curated", on_stage)
    result.released = evaluate_and_release(result.run_dir, EXPORT_FORMATS)
    _done(result, "released", on_stage)
    result.tabular = tabular_demo(result.run_dir / "tabular")
    _done(result, "tabular", on_stage)
    return result


def _done(result: DemoResult, stage: str, on_stage: Callable[[str, DemoResult], None] | None) -> None:
    result.stages.append(stage)
    if on_stage is not None:
        on_stage(stage, result)


def tabular_demo(out: Path) -> TabularDemo:
    """Synthesize the RAND Health Insurance Experiment table with the default synthesizer, 20% held
    out for the privacy metrics, and evaluate it; files go into `out`."""
    try:
        import statsmodels.api as sm
    except ImportError:
        raise SynthloomError("the tabular demo needs statsmodels (pip install 'synthloom[data]')") from None
    import pyarrow as pa

    from synthloom.tabular import default_synthesizer
    from synthloom.workflows.gates import gate_tables
    from synthloom.workflows.tabular_synth import write_table

    data = sm.datasets.randhie.load_pandas().data
    holdout = data.sample(frac=0.2, random_state=0)  # rows the synthesizer never sees, for privacy
    real = data.drop(holdout.index)
    started = time.perf_counter()
    synth = default_synthesizer(seed=0).fit(real)
    fake = synth.sample(len(real))
    elapsed = time.perf_counter() - started
    written = out / "randhie_synthetic.parquet"
    write_table(pa.Table.from_pandas(fake, preserve_index=False), written)
    model = out / f"randhie_{synth.name}.slm"
    synth.save(model)
    evaluated = gate_tables(real, fake, output=out / "report", holdout=holdout, sensitive=["hlthp"])
    return TabularDemo(real.shape[0], real.shape[1], elapsed, written, model, evaluated.path, evaluated.report["summary"],
                       synth.report["last_sample"]["copies"].get("redrawn_rows", 0))
