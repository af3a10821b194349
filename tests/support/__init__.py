"""Factories and helpers the tests share: one module per area, no fixtures
with state shared between tests."""
