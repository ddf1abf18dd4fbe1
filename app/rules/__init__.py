"""The rule engine: symptom detectors and cause rules over runs and models (pure Python)."""
