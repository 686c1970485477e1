"""Benchmark: the format readers on the corpus's largest documents, as published files.

    python bench/formats.py           # prints the figures recorded in docs/benchmarks.md (## File formats)

For qp_cdw_2025 (18,800 characters, a 26-row task table over pages) and sh_gas_2023 (11,000
characters): the .docx, .html and .pdf that tests/formats_support.py writes from the corpus text
(the PDF: A4, 16 and 8 pages), each read into text by tracker.ingest.formats.read_document, in
process, median of 7 runs after one warm-up, wall clock and CPU time.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import formats_support as F  # noqa: E402
from tracker.ingest.formats import read_document  # noqa: E402

DOCUMENTS = ("qp_cdw_2025", "sh_gas_2023")
RUNS = 7


def measure(path: Path) -> tuple[float, float, int]:
    read_document(path)
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        text = read_document(path).text
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), len(text)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print("| document | format | file size | characters read | wall (median) | CPU (median) |")
        print("|---|---|---|---|---|---|")
        for name in DOCUMENTS:
            for fmt, write in (("docx", F.write_docx), ("html", F.write_html), ("pdf", F.write_pdf)):
                path = write(name, Path(folder) / f"{name}.{fmt}")
                wall, cpu, chars = measure(path)
                print(f"| {name} | .{fmt} | {path.stat().st_size / 1024:.0f} KiB | {chars:,} | {wall * 1000:.0f} ms "
                      f"| {cpu * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
