"""Benchmark of the workbench's what-if re-scoring and ``ek.robustness`` against one plain re-score.

For each campaign size (default 500 pilots) the script writes a demo campaign with
``evalkit demo``, loads it once, and times in this process (best of ``--repeat`` runs):

* ``score`` — one plain ``ek.score(campaign)``: the baseline every other figure is divided by;
* ``what-if`` — the workbench's what-if: one expert's scores changed,
  ``ek.score(campaign.replace(experts=...))`` and ``ek.compare(before, after)``;
* ``robustness`` — ``ek.robustness(campaign, draws=1000, scores=before)``: 1,000 perturbed
  re-scorings of every pilot (weights, AHP judgements and expert panels), vectorised;
* ``expert flags`` — ``quality.expert_flags(campaign, before)``: agreement, outliers and the
  leave-one-expert-out re-scoring of every pilot.

It prints the seconds, the ratio to the baseline, and for robustness what the same 1,000
re-scorings would cost done one by one (1,000 × the baseline) and the speed-up.

Usage::

    python benchmarks/whatif.py [--pilots 500] [--draws 1000] [--repeat 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import evalkit as ek
from evalkit import quality


def best(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs of ``work``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def campaign_file(work: Path, pilots: int) -> Path:
    target = work / f"demo-{pilots}"
    if not (target / "campaign.yaml").is_file():
        subprocess.run([sys.executable, "-m", "evalkit.cli", "demo", "--out", str(target), "--pilots", str(pilots),
                        "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
    return target / "campaign.yaml"


def measure(path: Path, draws: int, repeat: int) -> None:
    campaign = ek.load_campaign(path)
    before = ek.score(campaign)
    experts = campaign.tables["experts"].copy()
    first = sorted(experts["expert_id"].unique())[0]
    experts.loc[experts["expert_id"] == first, "score"] -= 1
    changed = campaign.replace(experts=experts)

    baseline = best(repeat, lambda: ek.score(campaign))
    rows = [
        ("score (baseline)", baseline),
        ("what-if: replace experts, score, compare", best(repeat, lambda: ek.compare(before, ek.score(changed)))),
        (f"robustness: {draws} draws", best(repeat, lambda: ek.robustness(campaign, draws=draws, scores=before))),
        ("expert flags (leave one out)", best(repeat, lambda: quality.expert_flags(campaign, before))),
    ]
    pilots = len(before.table)
    print(f"\n{pilots} pilots, {len(campaign.tables['experts'])} expert scores, "
          f"{len(campaign.tables['surveys'])} survey rows (best of {repeat}, cpu count {os.cpu_count()})")
    print(f"{'':44} {'seconds':>9} {'× score':>9}")
    for label, seconds in rows:
        print(f"{label:44} {seconds:9.3f} {seconds / baseline:9.2f}")
    robust = rows[2][1]
    print(f"{draws} re-scorings one by one would take about {draws * baseline:.1f} s: robustness is "
          f"{draws * baseline / robust:.0f}× faster ({robust / draws * 1000:.2f} ms per draw of all {pilots} pilots)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pilots", type=int, nargs="+", default=[500])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or Path(temporary)
        for pilots in args.pilots:
            measure(campaign_file(work, pilots), args.draws, args.repeat)


if __name__ == "__main__":
    main()
