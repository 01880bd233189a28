"""The run directory: what generation writes (`run_store.py`: resolved recipe, shards, rejected
rows, manifest), its database (`run_db.py`: committed batches, response cache, usage, lineage,
curation record), the one read-only way to open a finished run (`run_reader.py`), and the stamp
that ties an evaluation report to the rows it judged (`report_stamp.py`)."""
