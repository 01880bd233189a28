"""Text analysis that several stages need: personal details (`pii.py`, `person_names.py`,
`spans.py`), similarity for the novelty pool and dedup (`similarity.py`), and word-overlap
grounding of a text in its source (`grounding.py`). Pure functions over strings; no models."""
