"""Model collapse: self-consuming loops simulated generation after generation (`loop.py` says
what each mode trains on; `linear.py` and `gmm.py` are the published setups), so the signals of
collapse can be seen before they happen on real data."""
