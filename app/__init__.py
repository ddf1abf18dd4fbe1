"""TrainDoc: a diagnosis assistant for deep-learning training runs that went wrong."""

__version__ = "0.1.0"
