"""Symptom detectors: one module per TAXONOMY symptom id."""
