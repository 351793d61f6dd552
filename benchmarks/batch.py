"""Benchmarks of ``evalkit run`` against plain papermill + nbconvert, at scale, and with nothing to do.

Everything runs on the same machine in the same invocation, on campaigns written by
``evalkit demo``; each comparison alternates its two sides ``--repeat`` times and the
fastest of each counts, so a burst of load on a shared machine hits both alike. The load
average is printed at the start and the end.

``pages`` (default) — ten pilot pages:

* *papermill + nbconvert loop* — the obvious shell loop: for each pilot, sequentially,
  ``papermill notebooks/pilot_report.ipynb tmp.ipynb -p campaign C -p pilot_id X`` then
  ``jupyter nbconvert --to html --no-input tmp.ipynb``, each a subprocess;
* ``evalkit run C --jobs 2 --force --only <the ids>``, twice: into a fresh report directory
  (the same pilot pages plus the index and quality pages, which a run always brings up to
  date), then again into the folder that left — re-rendering the pilots' pages there, the
  index and quality pages being up to date.

  Printed: seconds, the ratios loop ÷ evalkit (the aim: ≥ 8 for ten pages).

``one`` — one pilot page: one papermill + nbconvert against ``evalkit run C --jobs 1
--force --only ID`` (the aim: ≥ 2).

``scale`` — a whole campaign (default 2,000 pilots): ``evalkit run C --jobs 2`` into a fresh
report directory, every page it renders by default (pilots, districts, the index and the
default standard pages) — the aim: ≤ 300 s for 2,000 pilots — and the peak resident memory
of the whole process tree (the command and all its descendants, sampled every 0.2 s).

``noop`` — ``evalkit run`` again on a campaign of 100 rendered pages (83 pilots, 16
districts, the index; no standard pages) with nothing changed: the best of 3 runs.

Usage::

    python benchmarks/batch.py pages [--pilots 10] [--repeat 3]
    python benchmarks/batch.py one [--repeat 3]
    python benchmarks/batch.py scale [--pilots 2000]
    python benchmarks/batch.py noop
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
#: Pilots of the demo campaign the page benchmarks render pages of (as many as the shipped demo).
CAMPAIGN_PILOTS = 48
PAGES_AIM, ONE_AIM, SCALE_AIM, NOOP_AIM = 8.0, 2.0, 300.0, 2.0
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


def run(command: list[str], cwd: Path) -> Measured:
    """Run a command to completion; wall seconds, CPU seconds and peak RSS of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, "PYTHONWARNINGS": "ignore"}, cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = PeakRss(process.pid)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the whole tree: every process was waited for
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return Measured(seconds, peak, cpu=cpu)


def demo(directory: Path, pilots: int) -> Path:
    if not (directory / "campaign.yaml").is_file():
        subprocess.run([str(BIN / "evalkit"), "demo", "--out", str(directory), "--pilots", str(pilots)],
                       check=True, capture_output=True)
    return directory / "campaign.yaml"


def pilot_ids(campaign: Path) -> list[str]:
    import csv

    with open(campaign.parent / "pilots.csv", encoding="utf-8-sig", newline="") as stream:
        return [row["pilot_id"] for row in csv.DictReader(stream)]


def naive(campaign: Path, work: Path, ids: list[str]) -> Measured:
    """The shell loop: papermill then nbconvert, one subprocess each, pilot after pilot."""
    folder = work / "naive"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    total, peak, cpu = 0.0, 0.0, 0.0
    for pilot_id in ids:
        step = run([str(BIN / "papermill"), str(NOTEBOOK), "tmp.ipynb", "-p", "campaign", str(campaign),
                    "-p", "pilot_id", pilot_id, "--no-progress-bar"], folder)
        html = run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", "tmp.ipynb"], folder)
        (folder / "tmp.html").rename(folder / f"{pilot_id}.html")
        total += step.seconds + html.seconds
        cpu += step.cpu + html.cpu
        peak = max(peak, step.peak_mib, html.peak_mib)
    return Measured(total, peak, len(ids), cpu)


def rendered(campaign: Path) -> int:
    manifest = json.loads((campaign.parent / "reports" / "manifest.json").read_text(encoding="utf-8"))
    return sum(1 for entry in manifest["reports"] if entry["status"] == "rendered")


def evalkit_run(campaign: Path, jobs: int, *, force: bool = True, fresh: bool = True,
                only: list[str] | None = None) -> Measured:
    if fresh:
        shutil.rmtree(campaign.parent / "reports", ignore_errors=True)
    command = [str(BIN / "evalkit"), "run", str(campaign), "--jobs", str(jobs), *(["--force"] if force else []),
               *(["--only", *only] if only else [])]
    measured = run(command, ROOT)
    measured.reports = rendered(campaign)
    return measured


def without_standard_pages(campaign: Path) -> None:
    """Switch the campaign's per-standard pages off (``standard_reports_min_pilots`` out of reach)."""
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(re.sub(r"standard_reports_min_pilots: \d+", "standard_reports_min_pilots: 1000000", text),
                        encoding="utf-8")


def compare(campaign: Path, work: Path, ids: list[str], jobs: int, repeat: int) -> tuple[Measured, Measured, Measured]:
    """The loop and ``evalkit run --force --only ids``, alternating ``repeat`` times; the fastest of each.

    ``evalkit run`` twice: into a fresh report folder (where it renders the index and quality
    pages too) and into the folder that run left (the everyday case of re-rendering some
    pilots' pages: the index and quality pages are up to date and left alone).
    """
    loops, fresh_runs, again_runs = [], [], []
    for attempt in range(repeat):
        loops.append(naive(campaign, work, ids))
        fresh_runs.append(evalkit_run(campaign, jobs, only=ids))
        again_runs.append(evalkit_run(campaign, jobs, only=ids, fresh=False))
        print(f"  run {attempt + 1}: loop {loops[-1].seconds:.1f} s, evalkit into a fresh folder "
              f"{fresh_runs[-1].seconds:.1f} s, again {again_runs[-1].seconds:.1f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
    return tuple(min(runs, key=lambda m: m.seconds) for runs in (loops, fresh_runs, again_runs))


def table(rows: list[tuple[str, Measured]]) -> None:
    print(f"\n{'':44} {'pages':>6} {'seconds':>9} {'s/page':>8} {'CPU s':>8} {'peak RSS':>10}")
    for label, measured in rows:
        print(f"{label:44} {measured.reports:>6} {measured.seconds:>9.2f} {measured.seconds / measured.reports:>8.3f} "
              f"{measured.cpu:>8.1f} {measured.peak_mib:>6.0f} MiB")


def pages(args: argparse.Namespace, work: Path) -> None:
    campaign = demo(work / f"demo-{CAMPAIGN_PILOTS}", CAMPAIGN_PILOTS)
    ids = pilot_ids(campaign)[:args.pilots]
    loop, fresh, again = compare(campaign, work, ids, args.jobs, args.repeat)
    command = f"evalkit run --jobs {args.jobs} --force --only <ids>"
    table([(f"papermill + nbconvert loop, {len(ids)} pilots", loop), (f"{command}, fresh folder", fresh),
           (f"{command}, again", again)])
    ratios(f"{len(ids)} pilot pages", loop, fresh, again, PAGES_AIM)


def one(args: argparse.Namespace, work: Path) -> None:
    campaign = demo(work / f"demo-{CAMPAIGN_PILOTS}", CAMPAIGN_PILOTS)
    ids = pilot_ids(campaign)[:1]
    loop, fresh, again = compare(campaign, work, ids, 1, args.repeat)
    table([("papermill + nbconvert, one pilot", loop), ("evalkit run --jobs 1 --force --only ID, fresh folder", fresh),
           ("evalkit run --jobs 1 --force --only ID, again", again)])
    ratios("one pilot page", loop, fresh, again, ONE_AIM)


def ratios(what: str, loop: Measured, fresh: Measured, again: Measured, aim: float) -> None:
    print(f"\n{what}: evalkit run is {loop.seconds / again.seconds:.1f}x faster than the loop re-rendering it in "
          f"its report folder (aim >= {aim:g}x), {loop.seconds / fresh.seconds:.1f}x into a fresh folder (where it "
          f"renders the index and quality pages too)")


def scale(args: argparse.Namespace, work: Path) -> None:
    campaign = demo(work / f"pilots-{args.pilots}", args.pilots)
    measured = evalkit_run(campaign, args.jobs, force=False)
    table([(f"evalkit run --jobs {args.jobs}, {args.pilots} pilots", measured)])
    print(f"\n{measured.reports} pages in {measured.seconds:.0f} s (aim <= {SCALE_AIM:g} s for 2,000 pilots), "
          f"peak RSS {measured.peak_mib:.0f} MiB for the whole process tree")


def noop(args: argparse.Namespace, work: Path, repeat: int = 3, attempts: int = 8) -> None:
    """Render a campaign of 100 pages, then time ``evalkit run`` with nothing to do (best of ``repeat``).

    A run that re-renders (evalkit's code changed in between, e.g. in a checkout being
    edited) does not count; after ``attempts`` runs the benchmark gives up.
    """
    campaign = demo(work / "noop", 100 - 1 - DISTRICTS)
    without_standard_pages(campaign)
    evalkit_run(campaign, args.jobs)
    count = len(json.loads((campaign.parent / "reports" / "manifest.json").read_text(encoding="utf-8"))["reports"])
    quiet = []
    for _ in range(attempts):
        measured = evalkit_run(campaign, args.jobs, force=False, fresh=False)
        if measured.reports == 0:
            quiet.append(measured)
            if len(quiet) == repeat:
                break
    if not quiet:
        raise SystemExit("every no-op run re-rendered: is evalkit's code being edited meanwhile?")
    best = min(quiet, key=lambda measured: measured.seconds)
    print(f"no-op re-run of {count} pages: {best.seconds:.2f} s (aim < {NOOP_AIM:g} s), peak RSS {best.peak_mib:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", choices=("pages", "one", "scale", "noop"), default="pages")
    parser.add_argument("--pilots", type=int, help="pilot pages (pages: 10) or pilots of the campaign (scale: 2000)")
    parser.add_argument("--jobs", type=int, default=2, help="evalkit run --jobs (default 2; one: always 1)")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each side; the fastest counts")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    args = parser.parse_args(argv)
    args.pilots = args.pilots or {"scale": 2000}.get(args.what, 10)
    sys.stdout.reconfigure(line_buffering=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="evalkit-batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
          f"load average {os.getloadavg()[0]:.1f}; work in {work}")
    {"pages": pages, "one": one, "scale": scale, "noop": noop}[args.what](args, work)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
