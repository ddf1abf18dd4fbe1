"""Pure core types shared by every layer (no Qt, no TensorFlow)."""
