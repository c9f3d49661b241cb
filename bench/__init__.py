"""Benchmark scripts: run with `.venv/bin/python -m bench.<name>`; figures go to docs/benchmarks.md."""
