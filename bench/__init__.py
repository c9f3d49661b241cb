"""Benchmark scripts: `.venv/bin/python -m bench.<name>`; figures in docs/benchmarks.md."""
