"""Benchmarks: a city-scale dataset generator (`python -m bench.generate`) and the measurements
(`python -m bench.run`). Figures are recorded in docs/benchmarks.md."""

import os
from pathlib import Path

# Where generated benchmark databases live: TRACKER_BENCH_DATA, else bench/data/ (not committed).
# `python -m bench.generate --scale city --db sqlite:///bench/data/city.sqlite3` fills it.
DATA = Path(os.environ.get("TRACKER_BENCH_DATA") or Path(__file__).resolve().parent / "data")
