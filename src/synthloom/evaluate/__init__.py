"""Evaluation of synthetic data against real data: fidelity, privacy, bias; reports; gates.

It judges data, whoever made it: it never imports generate or tabular."""
