"""Cause rules: one module per TAXONOMY cause id."""
