"""What several features share about data at rest, and nothing that decides. One subpackage per
concern:

- `files/`: tables in and out (CSV / Parquet / JSONL as Arrow, pandas / polars at the edges),
  atomic writes, and the folders synthloom may write into;
- `runs/`: the run directory: the store generation writes, run.sqlite, the read-only reader
  every later stage opens, and the stamp that ties a report to the rows it judged;
- `sources/`: what generation reads: InstructLab taxonomies, knowledge documents, seed rows;
- `text/`: text analysis several stages need: PII spans, person names, similarity, grounding;
- `table_analysis/`: column kinds of a table and its exact nearest rows;
- `review/`: people's review of a run: its store of decisions, agreement between reviewers,
  and what a reviewed sample says about the whole;
- `release/`: training records, export files and the dataset card.

It imports only `config` (and may use `workers`); features build on it."""
