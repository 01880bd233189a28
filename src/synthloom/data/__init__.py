"""What several features share about data at rest, and nothing that decides: reading and writing
tables (CSV / Parquet / JSONL / Hugging Face folders, atomically), the run directory (the store
that generation writes, the read-only reader every later stage opens, run.sqlite, the folders
synthloom may write into), the sources generation reads (InstructLab taxonomies, knowledge
documents, seed rows), text analysis several stages need (PII spans, person names, similarity,
grounding), nearest rows of a table, and release files (training records, export, the dataset
card, report stamps). It imports only `config` (and may use `workers`); features build on it."""
