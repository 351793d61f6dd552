"""Benchmark of ``evalkit run`` against the plain papermill loop, a no-op re-run, and memory.

Everything runs on the same machine in the same invocation, on campaigns written by
``evalkit demo``:

* ``naive`` — the obvious shell loop: for each of the campaign's N pilots, sequentially,
  ``papermill notebooks/pilot_report.ipynb tmp.ipynb -p campaign C -p pilot_id X`` then
  ``jupyter nbconvert --to html --no-input tmp.ipynb``, each a subprocess (N pilot reports);
* ``evalkit`` — ``evalkit run C --jobs 2 --force --only <the N pilot ids>`` into a fresh
  report directory: the same N pilot reports, plus the index page, which a run always
  brings up to date (N + 1 pages); ``--all-pages`` renders every page of the campaign
  instead (district and standard pages too);
* ``no-op`` — ``evalkit run`` again on a campaign of 100 pages already rendered (83 pilots,
  16 districts, the index; standard pages switched off), nothing changed: the best of 3
  runs (a run that finds evalkit's code changed meanwhile re-renders and does not count);

each with its own empty score cache (``EVALKIT_CACHE_DIR``). Printed: wall seconds, reports,
seconds per report, the throughput ratio (seconds per report of the naive loop ÷ those of
``evalkit run``) and the plain wall-time ratio (naive ÷ evalkit), and the peak resident memory of each command's whole process tree (the
command and all its descendants — workers, kernels — sampled every 0.2 s and summed).

With ``--repeat R`` the naive loop and ``evalkit run`` alternate R times and the fastest of
each counts, so a burst of load on a shared machine hits both alike.

Usage::

    python benchmarks/batch.py [--pilots 24] [--jobs 2] [--repeat 1] [--all-pages]
    python benchmarks/batch.py --pilots 2000 --all-pages --no-standard-pages --skip-naive --skip-noop
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "pilot_report.ipynb"
BIN = Path(sys.executable).parent
RATIO_AIM = 5.0
NOOP_AIM = 2.0
#: Pages of a demo campaign besides its pilots: the index and 16 districts (plus standards).
DISTRICTS = 16


@dataclass
class Measured:
    seconds: float
    peak_mib: float
    reports: int = 0
    cpu: float = 0.0


class PeakRss:
    """Samples the summed RSS of a process and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def run(command: list[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run a command to completion; wall seconds and peak RSS of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = PeakRss(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the whole tree: every process was waited for
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return Measured(seconds, peak, cpu=cpu)


def environment(cache: Path) -> dict[str, str]:
    if cache.exists():
        shutil.rmtree(cache)
    return {**os.environ, "EVALKIT_CACHE_DIR": str(cache), "PYTHONWARNINGS": "ignore"}


def demo(directory: Path, pilots: int) -> Path:
    if not (directory / "campaign.yaml").is_file():
        subprocess.run([str(BIN / "evalkit"), "demo", "--out", str(directory), "--pilots", str(pilots)],
                       check=True, capture_output=True)
    return directory / "campaign.yaml"


def pilot_ids(campaign: Path) -> list[str]:
    import csv

    with open(campaign.parent / "pilots.csv", encoding="utf-8-sig", newline="") as stream:
        return [row["pilot_id"] for row in csv.DictReader(stream)]


def naive(campaign: Path, work: Path) -> Measured:
    """The shell loop: papermill then nbconvert, one subprocess each, pilot after pilot."""
    folder = work / "naive"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = environment(work / "cache-naive")
    total, peak, cpu = 0.0, 0.0, 0.0
    ids = pilot_ids(campaign)
    for pilot_id in ids:
        step = run([str(BIN / "papermill"), str(NOTEBOOK), "tmp.ipynb", "-p", "campaign", str(campaign),
                    "-p", "pilot_id", pilot_id, "--no-progress-bar"], env, folder)
        html = run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", "tmp.ipynb"], env, folder)
        (folder / "tmp.html").rename(folder / f"{pilot_id}.html")
        total += step.seconds + html.seconds
        cpu += step.cpu + html.cpu
        peak = max(peak, step.peak_mib, html.peak_mib)
    return Measured(total, peak, len(ids), cpu)


def rendered(campaign: Path) -> int:
    manifest = json.loads((campaign.parent / "reports" / "manifest.json").read_text(encoding="utf-8"))
    return sum(1 for entry in manifest["reports"] if entry["status"] == "rendered")


def evalkit_run(campaign: Path, work: Path, jobs: int, *, force: bool = True, fresh: bool = True,
                cache: str = "cache-evalkit", only: list[str] | None = None) -> Measured:
    if fresh:
        shutil.rmtree(campaign.parent / "reports", ignore_errors=True)
    env = environment(work / cache) if fresh else {**os.environ, "EVALKIT_CACHE_DIR": str(work / cache)}
    command = [str(BIN / "evalkit"), "run", str(campaign), "--jobs", str(jobs), *(["--force"] if force else []),
               *(["--only", *only] if only else [])]
    measured = run(command, env, ROOT)
    measured.reports = rendered(campaign)
    return measured


def without_standard_pages(campaign: Path) -> None:
    """Switch the campaign's per-standard pages off (``standard_reports_min_pilots`` out of reach)."""
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(re.sub(r"standard_reports_min_pilots: \d+", "standard_reports_min_pilots: 1000000", text),
                        encoding="utf-8")


def noop(work: Path, jobs: int, repeat: int = 3, attempts: int = 8) -> tuple[Measured, int]:
    """Render a campaign of 100 pages, then time ``evalkit run`` with nothing to do (best of ``repeat``).

    A run that re-renders (evalkit's code changed in between, e.g. in a checkout being
    edited) does not count; after ``attempts`` runs the benchmark gives up.
    """
    campaign = demo(work / "noop", 100 - 1 - DISTRICTS)
    without_standard_pages(campaign)
    evalkit_run(campaign, work, jobs, cache="cache-noop")
    manifest = json.loads((campaign.parent / "reports" / "manifest.json").read_text(encoding="utf-8"))
    pages = len(manifest["reports"])
    quiet = []
    for _ in range(attempts):
        measured = evalkit_run(campaign, work, jobs, force=False, fresh=False, cache="cache-noop")
        if measured.reports == 0:
            quiet.append(measured)
            if len(quiet) == repeat:
                break
    if not quiet:
        raise SystemExit("every no-op run re-rendered: is evalkit's code being edited meanwhile?")
    return min(quiet, key=lambda measured: measured.seconds), pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pilots", type=int, default=24, help="pilots of the campaign (default 24)")
    parser.add_argument("--jobs", type=int, default=2, help="evalkit run --jobs (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="alternating runs of each; the fastest counts")
    parser.add_argument("--all-pages", action="store_true",
                        help="evalkit run renders every page of the campaign, not only the pilots' (and the index)")
    parser.add_argument("--no-standard-pages", action="store_true",
                        help="switch the demo campaign's per-standard pages off (pilots, districts, index)")
    parser.add_argument("--skip-naive", action="store_true", help="only time evalkit run")
    parser.add_argument("--skip-noop", action="store_true", help="no no-op re-run")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)

    work = args.work or Path(tempfile.mkdtemp(prefix="evalkit-batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
          f"load average {os.getloadavg()[0]:.1f}; work in {work}")
    campaign = demo(work / f"pilots-{args.pilots}", args.pilots)
    ids = pilot_ids(campaign)
    if args.no_standard_pages:
        without_standard_pages(campaign)

    naive_runs, evalkit_runs = [], []
    for _ in range(args.repeat):
        if not args.skip_naive:
            naive_runs.append(naive(campaign, work))
        evalkit_runs.append(evalkit_run(campaign, work, args.jobs, only=None if args.all_pages else ids))
    fast = min(evalkit_runs, key=lambda measured: measured.seconds)
    rows = [("evalkit run --jobs %d" % args.jobs, fast)]
    if naive_runs:
        rows.insert(0, ("papermill + nbconvert loop", min(naive_runs, key=lambda measured: measured.seconds)))
    print(f"\n{'':28} {'reports':>8} {'seconds':>9} {'s/report':>9} {'CPU s':>8} {'CPU s/report':>12} {'peak RSS':>10}")
    for label, measured in rows:
        print(f"{label:28} {measured.reports:>8} {measured.seconds:>9.1f} {measured.seconds / measured.reports:>9.3f} "
              f"{measured.cpu:>8.1f} {measured.cpu / measured.reports:>12.3f} {measured.peak_mib:>6.0f} MiB")
    if naive_runs:
        slow = rows[0][1]
        throughput = (slow.seconds / slow.reports) / (fast.seconds / fast.reports)
        print(f"\nthroughput ratio {throughput:.1f}x (aim >= {RATIO_AIM:g}x); wall-time ratio "
              f"{slow.seconds / fast.seconds:.1f}x ({slow.reports} pilot reports vs {fast.reports} pages); "
              f"CPU per report ratio {(slow.cpu / slow.reports) / (fast.cpu / fast.reports):.1f}x")
    if not args.skip_noop:
        quiet, pages = noop(work, args.jobs)
        print(f"no-op re-run of {pages} reports: {quiet.seconds:.2f} s (aim < {NOOP_AIM:g} s), "
              f"peak RSS {quiet.peak_mib:.0f} MiB")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
