"""Benchmarks that print tables (time, reference, ratio). Never used as timed assertions."""
