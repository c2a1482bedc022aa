"""Benchmarks: dataset loaders, metrics, runners and reports."""
