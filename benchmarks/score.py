"""Benchmark of ``evalkit score`` against pandas reading the same CSV files.

For each campaign size (default 1,000, 3,000 and 10,000 pilots; 10,000 pilots is about
1M survey rows) the script writes a demo campaign with ``evalkit demo``, then runs in
fresh child processes

* ``read``  — ``pandas.read_csv`` of every table of the campaign (the floor: reading the
  data and nothing else);
* ``score`` — what ``evalkit score`` does: ``load_campaign`` (read, convert, validate),
  ``score`` of the pilots (and of the standards, when the campaign has a standard
  scheme, as the demo does) and ``write_scores`` (scores.csv, scores.xlsx,
  scorecards.jsonl, standards_scores.csv, standards_scorecards.jsonl);

and prints the seconds of each (the best of ``--repeat`` runs, interpreter start-up and
imports excluded), their ratio, the phases of ``evalkit score``, the peak resident memory
of each child (``getrusage``) and seconds per million CSV rows, which stays flat when the
cost is linear in rows. The CPU seconds of each child and their ratio are printed too: on
a shared machine they move much less than the wall-clock ones.

Last comes the **floor**: pandas reading the tables plus putting on disk as many bytes as
``evalkit score`` wrote, and nothing else — what no implementation can go below, since the
files (docs/outputs.md) must be written — and its ratio to the reading alone.

``--without-standards`` scores the pilots only (as for a campaign without
``standard_scheme``). With ``--work DIR``, campaigns already generated there are reused.

``--processes`` times whole processes instead, start-up and imports included and
alternating: ``evalkit score`` against a Python process reading the same CSV files with
pandas (the aims: ratio ≤ 4, peak RSS < 2 GiB).

Usage::

    python benchmarks/score.py [--pilots 1000 3000 10000] [--repeat 3] [--work DIR] [--without-standards]
    python benchmarks/score.py --processes --pilots 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = ("pilots", "standards", "surveys", "inspections", "kpis", "experts")
RATIO_AIM = 2.0
PEAK_AIM_MIB = 3 * 1024
#: The aims for whole processes: ``evalkit score`` within 4 times a Python process reading the
#: CSV files with pandas, under 2 GiB.
PROCESS_RATIO_AIM, PROCESS_PEAK_AIM_MIB = 4.0, 2 * 1024


def cpu_seconds() -> float:
    """CPU seconds of this process and of its ended children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_read(campaign_dir: Path) -> dict[str, float]:
    """Time pandas alone reading every table of the campaign."""
    import pandas as pd

    start, cpu = time.perf_counter(), cpu_seconds()
    for name in TABLES:
        pd.read_csv(campaign_dir / f"{name}.csv")
    return {"seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu}


def child_score(campaign_dir: Path, with_standards: bool = True) -> dict[str, float]:
    """Time the steps of ``evalkit score``: load and validate, score, write the files."""
    from evalkit.load import load_campaign
    from evalkit.outputs import write_scores
    from evalkit.scoring import score, score_campaign

    start, cpu = time.perf_counter(), cpu_seconds()
    campaign = load_campaign(campaign_dir / "campaign.yaml")
    loaded = time.perf_counter()
    if with_standards:
        scores, standards = score_campaign(campaign)
    else:
        scores, standards = score(campaign), None
    scored = time.perf_counter()
    files = write_scores(scores, campaign_dir / "reports", standards)
    written = time.perf_counter()
    return {"seconds": written - start, "cpu": cpu_seconds() - cpu,
            "load": loaded - start, "score": scored - loaded, "write": written - scored,
            "bytes": sum(path.stat().st_size for path in files)}


def child_floor(campaign_dir: Path, size: int) -> dict[str, float]:
    """The least any implementation of ``evalkit score`` takes: reading the tables as pandas
    does and putting ``size`` bytes (what ``evalkit score`` wrote) on disk beside its files,
    with no converting, checking, scoring or encoding at all."""
    import pandas as pd

    chunk = b"x" * (8 << 20)
    start, cpu = time.perf_counter(), cpu_seconds()
    for name in TABLES:
        pd.read_csv(campaign_dir / f"{name}.csv")
    with tempfile.NamedTemporaryFile(dir=campaign_dir / "reports", suffix=".floor") as out:
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write(chunk[:size % len(chunk)])
        out.flush()
    return {"seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu}


CHILDREN = {"read": child_read, "score": child_score, "floor": child_floor,
            "score-pilots": lambda campaign_dir: child_score(campaign_dir, with_standards=False)}


def run_child(kind: str, campaign_dir: Path, *arguments: object) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; its result plus its peak RSS in MiB."""
    output = subprocess.run([sys.executable, __file__, "--child", kind, str(campaign_dir), *map(str, arguments)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def best_of(kind: str, campaign_dir: Path, repeat: int, *arguments: object) -> dict[str, float]:
    runs = [run_child(kind, campaign_dir, *arguments) for _ in range(repeat)]
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "peak_mib": max(run["peak_mib"] for run in runs), "cpu_best": min(run["cpu"] for run in runs)}


PANDAS_PROCESS = ("import sys, pandas as pd\n"
                  "for path in sys.argv[1:]:\n"
                  "    pd.read_csv(path)\n")


def whole_process(command: list[str]) -> dict[str, float]:
    """Wall and CPU seconds and peak RSS (MiB) of one process run to its end, start-up included."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode(errors='replace')[-2000:]}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}


def processes(campaign_dir: Path, repeat: int) -> None:
    """``evalkit score`` as a whole process against a Python process reading the same CSV files
    with pandas, alternating ``repeat`` times; the fastest of each (the aim: ratio ≤ 4, peak RSS < 2 GiB)."""
    read = [sys.executable, "-c", PANDAS_PROCESS, *(str(campaign_dir / f"{name}.csv") for name in TABLES)]
    score = [str(Path(sys.executable).parent / "evalkit"), "score", str(campaign_dir / "campaign.yaml"),
             "--out", str(campaign_dir / "reports")]
    runs: dict[str, list[dict[str, float]]] = {"read": [], "score": []}
    for attempt in range(repeat):
        runs["read"].append(whole_process(read))
        runs["score"].append(whole_process(score))
        print(f"  run {attempt + 1}: pandas {runs['read'][-1]['seconds']:.2f} s, evalkit score "
              f"{runs['score'][-1]['seconds']:.2f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
    read_best = min(runs["read"], key=lambda run: run["seconds"])
    score_best = min(runs["score"], key=lambda run: run["seconds"])
    print(f"whole processes: pandas reading {read_best['seconds']:.2f} s (CPU {read_best['cpu']:.2f} s), "
          f"evalkit score {score_best['seconds']:.2f} s (CPU {score_best['cpu']:.2f} s): ratio "
          f"{score_best['seconds'] / read_best['seconds']:.2f} (CPU {score_best['cpu'] / read_best['cpu']:.2f}; "
          f"aim <= {PROCESS_RATIO_AIM:g}); evalkit score peak RSS {max(r['peak_mib'] for r in runs['score']):.0f} MiB "
          f"(aim < {PROCESS_PEAK_AIM_MIB} MiB)")


def write_demo_campaign(directory: Path, pilots: int) -> Path:
    if (directory / "campaign.yaml").is_file():
        return directory
    subprocess.run([sys.executable, "-m", "evalkit.cli", "demo", "--out", str(directory), "--pilots", str(pilots)],
                   check=True, capture_output=True)
    return directory


def csv_rows(campaign_dir: Path) -> int:
    return sum(sum(1 for _ in open(campaign_dir / f"{name}.csv", "rb")) - 1 for name in TABLES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pilots", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--without-standards", action="store_true",
                        help="score the pilots only, not the standards of the campaign's standard scheme")
    parser.add_argument("--work", type=Path, help="directory for the demo campaigns (default: a temporary one)")
    parser.add_argument("--processes", action="store_true",
                        help="time whole processes (start-up included): evalkit score against python + pandas")
    parser.add_argument("--child", nargs="+", metavar="KIND DIR [BYTES]", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, directory, *arguments = args.child
        result = CHILDREN[kind](Path(directory), *map(int, arguments))
        # Linux: KiB (a child process's, if any, added: an upper bound of their sum at any time)
        result["peak_mib"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                              + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        print(json.dumps(result))
        return 0

    work = args.work or Path(tempfile.mkdtemp(prefix="evalkit-bench-"))
    if args.processes:
        for pilots in args.pilots:
            print(f"{pilots} pilots, load average {os.getloadavg()[0]:.1f}:", flush=True)
            processes(write_demo_campaign(work / f"pilots-{pilots}", pilots), args.repeat)
        return 0
    kind = "score-pilots" if args.without_standards else "score"
    header = (f"{'pilots':>7} {'CSV rows':>10} {'read_csv s':>10} {'score s':>8} {'ratio':>6} "
              f"{'load':>6} {'score':>6} {'write':>6} {'s/1M rows':>9} {'peak score':>11} {'peak read':>10} "
              f"{'cpu read':>8} {'cpu score':>9} {'cpu ratio':>9} {'output MB':>9} {'floor s':>7} {'floor ratio':>11}")
    print(header)
    print("-" * len(header))
    worst_ratio, worst_peak, worst_cpu_ratio = 0.0, 0.0, 0.0
    for pilots in args.pilots:
        campaign_dir = write_demo_campaign(work / f"pilots-{pilots}", pilots)
        rows = csv_rows(campaign_dir)
        read = best_of("read", campaign_dir, args.repeat)
        scored = best_of(kind, campaign_dir, args.repeat)
        floor = best_of("floor", campaign_dir, args.repeat, scored["bytes"])
        ratio = scored["seconds"] / read["seconds"]
        worst_ratio, worst_peak = max(worst_ratio, ratio), max(worst_peak, scored["peak_mib"])
        worst_cpu_ratio = max(worst_cpu_ratio, scored["cpu_best"] / read["cpu_best"])
        print(f"{pilots:>7} {rows:>10,} {read['seconds']:>10.2f} {scored['seconds']:>8.2f} {ratio:>6.2f} "
              f"{scored['load']:>6.2f} {scored['score']:>6.2f} {scored['write']:>6.2f} "
              f"{scored['seconds'] / rows * 1e6:>9.2f} {scored['peak_mib']:>7.0f} MiB {read['peak_mib']:>6.0f} MiB "
              f"{read['cpu_best']:>8.2f} {scored['cpu_best']:>9.2f} {scored['cpu_best'] / read['cpu_best']:>9.2f} "
              f"{scored['bytes'] / 1e6:>9.0f} {floor['seconds']:>7.2f} {floor['seconds'] / read['seconds']:>11.2f}",
              flush=True)
    print(f"\nworst ratio {worst_ratio:.2f} (aim ≤ {RATIO_AIM:g}; CPU seconds: {worst_cpu_ratio:.2f}); worst peak {worst_peak:.0f} MiB "
          f"(aim < {PEAK_AIM_MIB} MiB); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"campaigns in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
