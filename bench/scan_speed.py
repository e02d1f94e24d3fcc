"""reviewbot's scan speed at several repository sizes, next to the tools it wraps.

    python bench/scan_speed.py [--sizes 1000,10000,100000] [--repeat 3] [--work DIR]
                               [--prospector PATH/TO/prospector]

For each size it generates a repo with bench/make_repo.py (seeded) and measures, as medians
of `--repeat` runs: reviewbot cold (a fresh REVIEWBOT_CACHE_DIR), warm (the same cache dir
again), after changing one file; each analyzer alone (in a child process: inventory once,
then only that analyzer's run is timed); ruff, mypy, bandit and radon by hand one after
another with their default settings (what a learner would type); prospector when given.
Wall seconds, CPU seconds (user+sys of the process and its children) and peak RSS (the
largest process, from wait4) of each; then one table with the ratios. It prints, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reviewbot.analyzers.registry import ANALYZERS

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    rss_mb: float


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Run `command` to its end; its wall, CPU of it and its children, and peak RSS."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    wall = time.perf_counter() - began
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.rss_mb for s in samples),
    )


def reviewbot(repo: Path, cache: Path) -> list[str]:
    return [PYTHON, "-m", "reviewbot", "scan", str(repo), "-f", "json", "-q", "-o",
            str(cache / "report.json")]  # fmt: skip


def scan_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "REVIEWBOT_CACHE_DIR": str(cache)}


def change_one_file(repo: Path, step: int) -> None:
    target = sorted((repo / "app").glob("*/services.py"))[0]
    with target.open("a", encoding="utf-8") as handle:
        handle.write(f"\n\ndef bench_change_{step}(value: int) -> int:\n")
        handle.write(f"    return value + {step}\n")


def restore(repo: Path) -> None:
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=repo, check=True)


ALONE = """
import json, sys, tempfile, time
from pathlib import Path
from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings
from reviewbot.source.inventory import build_inventory
analyzer = next(a for a in ANALYZERS if a.name == sys.argv[2])
inventory = build_inventory(Path(sys.argv[1]))
with tempfile.TemporaryDirectory() as work:
    ctx = ScanContext(inventory, default_rulebook(), Settings(cache=False), Path(work), 3600.0)
    began = time.perf_counter()
    analyzer.run(ctx)
print(json.dumps(time.perf_counter() - began))
"""


def analyzer_alone(repo: Path, name: str) -> float:
    """Wall seconds of one analyzer's run alone (its inventory not counted)."""
    out = subprocess.run(
        [PYTHON, "-c", ALONE, str(repo), name], capture_output=True, text=True, check=True
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def by_hand(repo: Path, work: Path) -> list[list[str]]:
    """What a learner would type, with each tool's default settings (caches kept out)."""
    venv_bin = Path(PYTHON).parent
    return [
        [str(venv_bin / "ruff"), "check", "--no-cache", "."],
        [PYTHON, "-m", "mypy", "--cache-dir", str(work / "mypy-cache"), "."],
        [PYTHON, "-m", "bandit", "-q", "-r", "."],
        [PYTHON, "-m", "radon", "cc", "-s", "."],
    ]


def bench(lines: int, repeat: int, work: Path, prospector: Path | None) -> dict[str, float]:
    repo = work / f"repo-{lines}"
    subprocess.run([PYTHON, str(HERE / "make_repo.py"), "--lines", str(lines), "--out",
                    str(repo)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    cold, warm, one = [], [], []
    for step in range(repeat):
        cache = Path(tempfile.mkdtemp(dir=work, prefix="cache-"))
        cold.append(measure(reviewbot(repo, cache), repo, scan_env(cache)))
        warm.append(measure(reviewbot(repo, cache), repo, scan_env(cache)))
        change_one_file(repo, step)
        one.append(measure(reviewbot(repo, cache), repo, scan_env(cache)))
        restore(repo)
        shutil.rmtree(cache, ignore_errors=True)
    alone = {a.name: statistics.median(analyzer_alone(repo, a.name) for _ in range(repeat))
             for a in ANALYZERS}  # fmt: skip
    hand = []
    for _ in range(repeat):
        total = Sample(0.0, 0.0, 0.0)
        for command in by_hand(repo, work):
            shutil.rmtree(work / "mypy-cache", ignore_errors=True)
            s = measure(command, repo)
            total = Sample(total.wall + s.wall, total.cpu + s.cpu, max(total.rss_mb, s.rss_mb))
        hand.append(total)
    pro = None
    if prospector is not None:
        pro = median([measure([str(prospector)], repo) for _ in range(repeat)])
    c, w, o, h = median(cold), median(warm), median(one), median(hand)
    slowest = max(alone, key=lambda n: alone[n])
    cores = os.cpu_count() or 1
    print(f"\n## {lines:,} lines requested ({repo})")
    print(f"{'run':<28}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}")
    rows = [("reviewbot cold", c), ("reviewbot warm", w), ("reviewbot one file changed", o),
            ("ruff+mypy+bandit+radon", h)]  # fmt: skip
    if pro is not None:
        rows.append(("prospector", pro))
    for label, s in rows:
        print(f"{label:<28}{s.wall:>9.2f}{s.cpu:>9.2f}{s.rss_mb:>9.0f}")
    for name, seconds in sorted(alone.items(), key=lambda item: -item[1])[:6]:
        print(f"  {name + ' alone':<26}{seconds:>9.2f}")
    ratios = {
        f"cold / slowest alone ({slowest})": c.wall / alone[slowest],
        f"cold / (cold CPU / {cores} cores)": c.wall / (c.cpu / cores),
        "cold / four tools by hand": c.wall / h.wall,
        "warm / cold": w.wall / c.wall,
        "one file changed / cold": o.wall / c.wall,
    }
    if pro is not None:
        ratios["cold / prospector"] = c.wall / pro.wall
    for label, value in ratios.items():
        print(f"  {label:<40}{value:>6.2f}")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--prospector", type=Path, default=None)
    args = parser.parse_args()
    prospector = args.prospector
    if prospector is not None and not prospector.exists():
        print(f"note: {prospector} not found; prospector is skipped")
        prospector = None
    elif prospector is None:
        print("note: no --prospector given; prospector is skipped")
    work = args.work or Path(tempfile.mkdtemp(prefix="reviewbot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load {os.getloadavg()[0]:.2f} at start")  # fmt: skip
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, args.repeat, work, prospector)
    print(f"\nload {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
