"""Curation: dedup, decontamination, PII, filters, and mixing into multi-phase data."""
