"""Curation: what happens to generated (or any) rows between generation and export. It owns the
curation steps (dedup exact / near / semantic, decontamination against benchmarks, PII, quality),
each an object registered by its config class in `step.STEP_FOR_CONFIG` that is prepared once and
applied to batches of rows, returning typed removals and rewrites; `pipeline.curate`, which runs
them in order and keeps every removed row with its reason; curating a run into `RUN/curation/`
and its lineage (`run_curation`); and `mix`, which combines runs and datasets into multi-phase
training data."""
