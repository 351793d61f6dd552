"""How long ``evalkit validate`` takes on a large campaign, and how much memory it needs.

Writes a synthetic campaign with ``evalkit demo`` (default 10,000 pilots: about a million
survey rows), then runs ``evalkit validate`` on it in a fresh child process, ``--repeat``
times, and prints the wall-clock seconds of each run (interpreter start-up and imports
included: what a user waits for) and the child's peak resident memory (``getrusage`` of the
finished child). With ``--broken`` it also validates a copy with one bad cell in the survey
table, which must be reported as ``file:row:column`` with exit code 2 as fast.

No thresholds: the numbers are for reading and comparing (unit tests never time anything).

Usage::

    python benchmarks/validate_scale.py [--pilots 10000] [--repeat 3] [--broken] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def validate_once(campaign: Path, code: Path | None = None) -> tuple[float, float, int, str, float]:
    """(seconds, peak RSS in MiB, exit code, first and last line of output, CPU seconds) of one
    ``evalkit validate`` child (``ru_maxrss`` is in KiB on Linux; CPU = user + system, with any
    process the child starts); with ``code``, evalkit is imported from that checkout."""
    environment = None if code is None else {**os.environ, "PYTHONPATH": str(code)}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as output:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "evalkit.cli", "validate", str(campaign)], env=environment,
                                 cwd=code, stdout=output, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        lines = output.read().strip().splitlines()
    return (seconds, usage.ru_maxrss / 1024, child.returncode, " / ".join(lines[:1] + lines[-1:]) if lines else "",
            usage.ru_utime + usage.ru_stime)


def demo_arguments(description: str) -> argparse.ArgumentParser:
    """A parser with the options of a benchmark on a generated demo campaign."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pilots", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--work", type=Path, help="directory for the generated campaign (default: a temporary one)")
    return parser


def demo_campaign(work: Path, pilots: int, seed: int) -> Path:
    """The folder of an ``evalkit demo`` campaign of ``pilots`` pilots under ``work``, generated
    unless it is there already."""
    campaign_dir = work / f"demo-{pilots}"
    if not (campaign_dir / "campaign.yaml").is_file():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "evalkit.cli", "demo", "--out", str(campaign_dir),
                        "--pilots", str(pilots), "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
        print(f"generated {pilots} pilots in {time.perf_counter() - started:.1f} s -> {campaign_dir}")
    return campaign_dir


def main() -> int:
    parser = demo_arguments(__doc__.splitlines()[0])
    parser.add_argument("--broken", action="store_true", help="also validate a copy with one bad survey cell")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="evalkit-validate-scale-"))
    campaign_dir = demo_campaign(work, args.pilots, args.seed)
    rows = {path.stem: sum(1 for _ in path.open(encoding="utf-8-sig")) - 1 for path in sorted(campaign_dir.glob("*.csv"))}
    size = sum(path.stat().st_size for path in campaign_dir.glob("*.csv")) / 2**20
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()) + f" ({size:.0f} MiB of CSV)")

    print(f"evalkit validate, {args.repeat} runs (each a fresh process; seconds include start-up and imports):")
    for run in range(1, args.repeat + 1):
        seconds, peak, code, last, _ = validate_once(campaign_dir / "campaign.yaml")
        print(f"  run {run}: {seconds:6.2f} s  exit {code}  peak RSS {peak:,.0f} MiB")
    if args.broken:
        broken = work / f"broken-{args.pilots}"
        if broken.exists():
            shutil.rmtree(broken)
        shutil.copytree(campaign_dir, broken)
        surveys = broken / "surveys.csv"
        lines = surveys.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        middle = len(lines) // 2
        cells = lines[middle].rstrip("\n").split(",")
        cells[-1] = "9"  # outside the 1–5 scale (the last column is a Likert item)
        lines[middle] = ",".join(cells) + "\n"
        surveys.write_text("".join(lines), encoding="utf-8")
        seconds, peak, code, last, _ = validate_once(broken / "campaign.yaml")
        print(f"  one bad cell on row {middle + 1}: {seconds:6.2f} s  exit {code}  peak RSS {peak:,.0f} MiB  ({last})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
