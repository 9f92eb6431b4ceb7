"""rnnviz: see recurrent neural networks compute, step by step, and watch their gradients."""

__version__ = "0.1.0"
