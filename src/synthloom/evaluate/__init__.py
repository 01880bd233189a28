"""Evaluation of synthetic data, whoever made it: tables against real tables (fidelity, privacy
and attack risks, representation of sensitive groups), text runs against their seeds (diversity,
fidelity, copies, PII), the report files (`report.json`, self-contained `report.html`) and the
release gates' rules.

It judges data, whoever made it: it never imports generate or tabular."""
