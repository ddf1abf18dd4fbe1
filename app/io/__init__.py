"""Readers for training logs and model files (pure Python: no Qt, no TensorFlow)."""
