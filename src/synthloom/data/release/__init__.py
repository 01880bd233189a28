"""What leaves synthloom: a run's kept rows as training records in TRL's shapes
(`training_records.py`), written as JSONL, Parquet or a Hugging Face folder (`export.py`), with a
dataset card rendered from the run itself (`card.py`, `templates/`)."""
