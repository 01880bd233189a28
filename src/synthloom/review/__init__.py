"""People's review of a run or dataset: `synthloom review`. What is reviewed and where its
review.sqlite lives (`target.py`); the store, agreement and sampling it builds on are in
data/review/."""
