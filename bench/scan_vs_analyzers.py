"""Wall time of a full scan next to each analyzer run alone on the same tree.

    python bench/scan_vs_analyzers.py [PATH ...] [--repeat N]

Prints, per path, the median wall time of `reviewbot.pipeline.scan` and of each registered
analyzer run alone (same inventory, same settings), and the ratio of the full scan to the
slowest analyzer alone. Medians of N runs: machines are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.pipeline import scan
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def bench(path: Path, repeat: int) -> None:
    settings = Settings()
    book = default_rulebook()
    full = []
    for _ in range(repeat):
        began = time.perf_counter()
        scan(str(path), settings)
        full.append(time.perf_counter() - began)
    inventory = build_inventory(path)
    alone: dict[str, float] = {}
    for analyzer in ANALYZERS:
        samples = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as work:
                ctx = ScanContext(inventory, book, settings, Path(work), 300.0)
                began = time.perf_counter()
                analyzer.run(ctx)
                samples.append(time.perf_counter() - began)
        alone[analyzer.name] = _median(samples)
    slowest = max(alone, key=lambda name: alone[name])
    print(f"\n{path}  ({len(inventory.modules)} Python files, {inventory.python_loc} lines)")
    print(f"  {'full scan':<16} {_median(full):7.2f} s")
    for name, seconds in sorted(alone.items(), key=lambda item: -item[1]):
        print(f"  {name:<16} {seconds:7.2f} s alone")
    print(f"  full / slowest ({slowest}) = {_median(full) / alone[slowest]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("paths", nargs="*", type=Path, default=[Path()])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for path in args.paths:
        bench(path, args.repeat)


if __name__ == "__main__":
    main()
