"""Benchmarks: a city-scale dataset generator (`python -m bench.generate`) and the measurements
(`python -m bench.run`). Figures are recorded in docs/benchmarks.md."""
