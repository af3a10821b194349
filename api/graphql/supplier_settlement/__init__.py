"""Supplier settlement in the API: statements, disputes, pay batches."""
