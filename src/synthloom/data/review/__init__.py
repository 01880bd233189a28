"""The review of a run or dataset by people: its store (`store.py`: rows, reviewers, append-only
decision events, in review.sqlite), JSON pointers to the fields an edit changes (`pointer.py`),
agreement between reviewers (`agreement.py`) and what a reviewed sample says about the whole and
how samples are drawn (`sampling.py`)."""
