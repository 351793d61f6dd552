"""What reading through table specs costs ``evalkit validate``, against a baseline revision.

Writes a synthetic campaign with ``evalkit demo`` (default 10,000 pilots: about a million
survey rows) and a second campaign file naming the same CSV files as table specs
(``{path: surveys.csv, columns: {respondent_id: respondent_id}}`` …, docs/importing.md).
Then, in one run and interleaved, ``--repeat`` times each:

* **baseline** — ``evalkit validate`` of the plain campaign by the code of ``--baseline``
  (a git revision, checked out into a temporary worktree; default ``main``);
* **paths** — the same by this checkout's code;
* **specs** — this checkout's code on the campaign file with table specs.

Each run is a fresh ``python -m evalkit.cli validate`` child (start-up and imports
included). It prints each run's wall-clock and CPU seconds (the CPU time, user + system of
the child and of any process it starts, is the steadier figure on a shared machine), the median
of each, and the ratios paths ÷ baseline and specs ÷ baseline measured in this run. No
thresholds: numbers to read.

Usage::

    python benchmarks/table_specs.py [--pilots 10000] [--repeat 3] [--baseline main] [--work DIR]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from validate_scale import demo_arguments, demo_campaign, validate_once  # (benchmarks/, beside this script)

ROOT = Path(__file__).resolve().parents[1]


def validate(campaign: Path, code: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``evalkit validate`` child importing evalkit from
    ``code``; it must succeed."""
    seconds, _, status, output, cpu = validate_once(campaign, code)
    if status != 0:
        raise SystemExit(f"validate {campaign} with {code} failed: {output}")
    return seconds, cpu


def spec_campaign(campaign: Path) -> Path:
    """A copy of the campaign file naming each table as a table spec."""
    data = yaml.safe_load(campaign.read_text(encoding="utf-8"))
    data["data"] = {name: {"path": path} for name, path in data["data"].items()}
    data["data"]["surveys"]["columns"] = {"respondent_id": "respondent_id"}
    target = campaign.with_name("campaign-specs.yaml")
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def main() -> int:
    parser = demo_arguments(__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git revision to compare with (default: main)")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="evalkit-table-specs-"))
    plain = demo_campaign(work, args.pilots, args.seed) / "campaign.yaml"
    specs = spec_campaign(plain)
    baseline = Path(tempfile.mkdtemp(prefix="evalkit-baseline-")) / "code"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline], check=True,
                   capture_output=True)
    revision = subprocess.run(["git", "-C", str(baseline), "rev-parse", "--short", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
    try:
        runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "paths": [], "specs": []}
        for _ in range(args.repeat):  # interleaved, so that a drift of the machine's speed hits all alike
            runs["baseline"].append(validate(plain, baseline))
            runs["paths"].append(validate(plain, ROOT))
            runs["specs"].append(validate(specs, ROOT))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)
        shutil.rmtree(baseline.parent, ignore_errors=True)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    wall = {name: statistics.median(w for w, _ in seconds) for name, seconds in runs.items()}
    cpu = {name: statistics.median(c for _, c in seconds) for name, seconds in runs.items()}
    print(f"evalkit validate, {args.pilots} pilots, {args.repeat} runs each (baseline {args.baseline} = {revision})")
    for name, seconds in runs.items():
        print(f"  {name:<9} median wall {wall[name]:6.2f} s, CPU {cpu[name]:6.2f} s   runs (wall/CPU) "
              + " ".join(f"{w:.2f}/{c:.2f}" for w, c in seconds))
    for name in ("paths", "specs"):
        print(f"  {name} ÷ baseline: wall {wall[name] / wall['baseline']:.3f}, CPU {cpu[name] / cpu['baseline']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
