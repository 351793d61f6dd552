"""The ``evalkit`` command line: a thin layer over the Python API (docs/commands.md).

Exit codes: 0 success, 1 some work failed or did not reproduce, 2 bad input or usage.
Bad input is printed as ``file:row:column: message`` lines on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from evalkit.campaign import Campaign
from evalkit.errors import DataError, UsageError
from evalkit.version import __version__

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep its message on stderr."""


def _campaign_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("campaign", nargs="?", default="params/demo.yaml",
                        help="campaign file (default: params/demo.yaml)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="evalkit", description="Evaluate standardization pilot projects and standard implementation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check every table, the questionnaire and the scheme")
    _campaign_argument(validate)
    validate.set_defaults(handler=cmd_validate)

    score = commands.add_parser("score", help="score all pilots (and standards): scores.csv, scores.xlsx, "
                                           "scorecards.jsonl")
    _campaign_argument(score)
    score.add_argument("--out", help="output directory (default: the campaign's reports directory)")
    score.set_defaults(handler=cmd_score)

    run = commands.add_parser("run", help="validate, score and render every report, in parallel")
    _campaign_argument(run)
    run.add_argument("--jobs", type=int, help="worker processes (default: one per core)")
    run.add_argument("--only", nargs="+", metavar="ID", help="render only these pilots, districts and/or standard codes")
    run.add_argument("--force", action="store_true", help="re-render even what is up to date (with --only: the pages named)")
    run.add_argument("--scheduler", metavar="ADDR",
                     help="render on the Dask cluster of this scheduler (tcp://HOST:PORT) instead of local workers")
    run.add_argument("--pdf", action="store_true",
                     help="also print every pilot, district and standard report to PDF (headless Chromium; "
                          "also on with 'pdf: true' in the campaign file)")
    run.set_defaults(handler=cmd_run)

    verify = commands.add_parser(
        "verify", help="re-score a published evaluation from its inputs and compare (exit 0, 1 or 2)",
        description=VERIFY_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("report_dir", metavar="REPORT_DIR", help="report directory holding manifest.json")
    verify.add_argument("--inputs", metavar="DIR",
                        help="your own copy of the input files (looked up by their published layout, then by "
                             "file name); their bytes may differ, only the scores count")
    verify.set_defaults(handler=cmd_verify)

    forms = commands.add_parser("forms", help="write blank 专家打分表, 现场检查表 and 标准明细表 workbooks for the "
                                              "campaign, read back as they are filled in")
    _campaign_argument(forms)
    forms.add_argument("--out", default="forms", help="output directory (default: forms)")
    forms.add_argument("--experts", nargs="+", metavar="NAME",
                       help="one 专家打分表 per expert (default: the experts of the campaign's experts table)")
    forms.set_defaults(handler=cmd_forms)

    demo = commands.add_parser("demo", help="write a self-contained synthetic campaign")
    demo.add_argument("--out", default="demo-campaign", help="output directory (default: demo-campaign)")
    demo.add_argument("--pilots", type=int, default=48, help="number of pilots (default: 48)")
    demo.add_argument("--seed", type=int, default=2021, help="random seed (default: 2021)")
    demo.set_defaults(handler=cmd_demo)
    return parser


VERIFY_DESCRIPTION = """\
Re-score a published evaluation from the inputs its manifest.json names, and compare.

Checks that every input file (campaign, scheme, questionnaire, tables) has the sha256
recorded in manifest.json; that every output file listed there (scores.csv, scores.xlsx,
scorecards.jsonl, every report page, notebook and PDF) is unchanged; and that scoring the
inputs again gives the published score files, value for value and byte for byte
(scores.xlsx: cell value by cell value; an evaluation published in the first wave's format,
with one scorecards.json, value by value).

exit status:
  0  reproduced; prints one line
  1  not reproduced: lists each pilot and indicator whose published value differs from
     the recomputed one (published vs recomputed), each output file changed or missing
     since the run, and score files whose bytes differ although every value matches
  2  inputs missing or changed: names each input whose sha256 no longer matches (and
     lists the scores the change affects); also no or unreadable manifest.json

With --inputs DIR the input files are taken from DIR instead (each by its path below the
inputs' common folder, e.g. DIR/data/demo/pilots.csv, else by its name, DIR/pilots.csv).
They may differ in bytes from the published ones (another encoding, row order, a
re-export): that is reported but not held against the evaluation; exit 0 if they give the
same scores, 1 listing the differences if not, 2 if an input is missing or does not load.
See docs/reproducibility.md.
"""


def print_notes(campaign: Campaign) -> None:
    """Every guess and skip of reading the inputs, as ``note:`` lines on stderr (docs/importing.md)."""
    for note in campaign.notes:
        print(note, file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from evalkit.load import load_campaign
    from evalkit.validate import summary

    campaign = load_campaign(args.campaign)
    print_notes(campaign)
    if any(s is not None and s.missing == "error" for s in (campaign.scheme, campaign.standard_scheme)):
        from evalkit.scoring import score_campaign  # under 'missing: error' a missing metric is bad input

        score_campaign(campaign)
    width = max(len(label) for label, _ in summary(campaign))
    print(f"OK: {args.campaign} is valid")
    for label, value in summary(campaign):
        print(f"  {label:<{width}}  {value}")
    return EXIT_OK


def _output_directory(option: str, directory: str | None) -> Path | None:
    """``directory`` as a Path; a UsageError (exit 2) when it cannot be one."""
    from evalkit.load import directory_problem

    if directory is None:
        return None
    if reason := directory_problem(Path(directory)):
        raise UsageError(f"{option} {directory} {reason}")
    return Path(directory)


#: The score table of pilots and of standards, as the summary of ``evalkit score`` names them.
SCORE_TABLES = {"pilots": "scores.csv", "standards": "standards_scores.csv"}


def cmd_score(args: argparse.Namespace) -> int:
    from evalkit.atomic import remove_stray_temporaries
    from evalkit.batch.manifest import carried_reports, write_manifest
    from evalkit.folder_lock import folder_lock
    from evalkit.load import load_campaign
    from evalkit.outputs import write_scores
    from evalkit.scoring import score_campaign

    out_option = _output_directory("--out", args.out)
    campaign = load_campaign(args.campaign)
    print_notes(campaign)
    scores, standards = score_campaign(campaign)
    out = out_option or campaign.reports_dir
    with folder_lock(out, what="evalkit score"):  # not while an evalkit run writes there
        remove_stray_temporaries(out)  # left by a run that was killed while writing
        written = write_scores(scores, out, standards)
        written.append(write_manifest(campaign, written, carried_reports(campaign, out), out_dir=out))
    for result, what in ((scores, "pilots"), (standards, "standards")):
        if result is None:
            continue
        table = result.table
        grades = table["grade"].value_counts()
        print(f"scored {len(table)} {what} of {campaign.id}: {int(table['passed'].sum())} passed, "
              f"{int(table['vetoed'].sum())} vetoed")
        print("  grades: " + ", ".join(f"{grade} {grades.get(grade, 0)}" for grade in
                                       (g.label for g in result.scheme.grades)))
        incomplete = int((table["missing"] != "").sum())
        if incomplete:
            print(f"  {incomplete} {what[:-1] if incomplete == 1 else what} with indicators scored 0 for missing data "
                  f"(column missing of {SCORE_TABLES[what]})")
    for path in written:
        print(f"  wrote {path}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from evalkit.verify import verify

    if args.inputs is not None and not Path(args.inputs).is_dir():
        raise UsageError(f"--inputs {args.inputs}: no such directory")
    result = verify(args.report_dir, inputs=args.inputs)
    for line in result.lines():
        print(line)
    return result.status


def cmd_run(args: argparse.Namespace) -> int:
    from evalkit.batch import run_reports
    from evalkit.batch.processes import skip_unused_slow_imports
    from evalkit.load import load_campaign

    skip_unused_slow_imports()

    campaign = load_campaign(args.campaign)
    print_notes(campaign)
    client = None
    if args.scheduler:
        from evalkit.batch.executors import connect

        client = connect(args.scheduler)  # UsageError (exit 2) when unreachable
    try:
        summary = run_reports(campaign, jobs=args.jobs, only=args.only, force=args.force, pdf=args.pdf, client=client)
    finally:
        if client is not None:
            client.close()
    printed = f", {len(summary.pdfs)} PDF printed in {summary.pdf_seconds:.1f} s" if summary.pdfs else ""
    print(f"{campaign.id}: {len(summary.rendered)} rendered, {len(summary.skipped)} up to date{printed}, "
          f"{len(summary.failed)} failed in {summary.seconds:.1f} s -> {campaign.reports_dir}")
    for path, error in summary.failed:
        print(f"  FAILED {path}: {error}", file=sys.stderr)
    for path, text in summary.warnings:
        print(f"  WARNING {path}: {text}", file=sys.stderr)
    return summary.exit_code


def cmd_forms(args: argparse.Namespace) -> int:
    from evalkit.forms import campaign_lines, expert_columns, write_forms
    from evalkit.load import load_campaign

    out = _output_directory("--out", args.out)
    campaign = load_campaign(args.campaign)
    print_notes(campaign)
    written = write_forms(campaign, out, args.experts)  # type: ignore[arg-type]
    for path in written:
        print(f"  wrote {path}")
    print(f"wrote {len(written)} forms into {out}; once filled in, read them with these lines of the campaign file "
          f"(paths relative to it):")
    relative = Path(os.path.relpath(out.absolute(), campaign.path.parent)).as_posix()  # type: ignore[union-attr]
    print(campaign_lines(relative, bool(expert_columns(campaign))))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from evalkit.demo import write_demo

    if args.pilots < 1:
        print("evalkit demo: --pilots must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    path = write_demo(_output_directory("--out", args.out), pilots=args.pilots, seed=args.seed)  # type: ignore[arg-type]
    print(f"wrote {path} ({args.pilots} pilots, seed {args.seed})")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``evalkit`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        print(f"evalkit {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DataError as exc:
        for note in exc.notes:
            print(note, file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader of stdout has gone (evalkit validate | head -1): nobody to tell
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's flush is quiet too
        return EXIT_FAILED
    except OSError as exc:  # e.g. disk full or a read-only output directory: files are written atomically
        where = f": {exc.filename}" if exc.filename else ""
        print(f"evalkit {args.command}: {exc.strerror or exc}{where} (files already in place were left as "
              f"they were)", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
