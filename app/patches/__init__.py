"""Patches: small declarative edits of model, compile and training configs (pure Python)."""
