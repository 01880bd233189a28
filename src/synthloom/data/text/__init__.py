"""Text analysis that several stages need: personal details (`pii.py`, `person_names.py`,
`spans.py`), similarity for the novelty pool and dedup (`similarity.py`), shingles and MinHash
near pairs over whole corpora (`shingles.py`, `minhash.py`), the longest run of words shared
with reference texts (`shared_span.py`), and word-overlap grounding of a text in its source
(`grounding.py`). Functions over strings; no models."""
