"""What is known about a table without fitting anything: its column kinds (`metadata.py`) and the
exact nearest rows under SDMetrics' record distance (`nearest_rows.py`), which the tabular copy
guard and the privacy metrics share."""
