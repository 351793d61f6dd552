"""The bad-input corpus (``tests/corpus``): every class is reported, exit 2, and touches nothing.

Each directory of the corpus is one class of bad input: the files that differ from the tiny
campaign and ``expect.txt``, the ``file:row:column: message`` line(s) expected on stderr
(see ``tests/corpus/README.md``); ``note: file: message`` lines are expected too. A class
whose lines are all notes is input that is read with a guess, not refused: ``evalkit
validate`` and ``evalkit score`` succeed and print the notes. The case is laid over a copy of the tiny campaign whose
``reports/`` holds a previous good run; ``evalkit validate``, ``evalkit score --out reports``
and ``evalkit run`` must each exit 2, print the expected lines and no traceback, and leave
the whole campaign directory — inputs and every report — byte-identical (docs/commands.md: bad input
never leaves a half-written file and never overwrites a good report with a broken one).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalkit.cli import main
from tests.reports_tree import copy_rendered, snapshot

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
SPECIAL = ("expect.txt", "delete.txt")
COMMANDS = (
    ["validate", "campaign.yaml"],
    ["score", "campaign.yaml", "--out", "reports"],
    ["run", "campaign.yaml", "--jobs", "1"],
)


def expected_lines(case: Path) -> list[str]:
    return [line for line in (case / "expect.txt").read_text(encoding="utf-8").splitlines() if line.strip()]


def overlay(case: Path, campaign_dir: Path) -> None:
    """Lay the corpus case over the campaign directory."""
    for path in case.iterdir():
        if path.name not in SPECIAL:
            shutil.copyfile(path, campaign_dir / path.name)
    if (case / "delete.txt").is_file():
        for name in (case / "delete.txt").read_text(encoding="utf-8").split():
            (campaign_dir / name).unlink()


def noted_only(case: Path) -> bool:
    """A class of input read with a guess (every expected line is a note), not refused."""
    return all(line.startswith("note: ") for line in expected_lines(case))


@pytest.mark.parametrize("name", [name for name in CASES if noted_only(CORPUS / name)])
def test_guessed_input_is_read_and_noted(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tiny import copy_tiny

    campaign = copy_tiny(tmp_path)
    overlay(CORPUS / name, campaign.parent)
    monkeypatch.chdir(campaign.parent)
    for argv in (["validate", "campaign.yaml"], ["score", "campaign.yaml", "--out", "reports"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 0, f"evalkit {argv[0]} exited {code}\n{out}{err}"
        for line in expected_lines(CORPUS / name):
            assert line in err.splitlines(), f"evalkit {argv[0]}: expected {line!r} in\n{err}"


@pytest.mark.parametrize("name", [name for name in CASES if not noted_only(CORPUS / name)])
def test_bad_input_is_reported_and_touches_nothing(
    name: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    case = CORPUS / name
    campaign = copy_rendered(tmp_path_factory, tmp_path / "tiny")
    overlay(case, campaign.parent)
    monkeypatch.chdir(campaign.parent)
    before = snapshot(campaign.parent)
    assert any(key.startswith("reports/pilots/") for key in before), "the copy holds a previous good run"
    for argv in COMMANDS:
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2, f"evalkit {argv[0]} exited {code}\n{out}{err}"
        for line in expected_lines(case):
            assert line in err, f"evalkit {argv[0]}: expected {line!r} in\n{err}"
        assert "Traceback" not in err and "Traceback" not in out
        assert err.splitlines()[-1].endswith("nothing was written."), err
        assert snapshot(campaign.parent) == before, f"evalkit {argv[0]} changed files"
    assert not (tmp_path / "cache").exists(), "nothing is cached from bad input"


def test_the_corpus_covers_at_least_thirty_classes() -> None:
    assert len(CASES) >= 30
    for name in CASES:
        case = CORPUS / name
        assert expected_lines(case), f"{name}: expect.txt names no problem line"
        assert all(":" in line for line in expected_lines(case)), f"{name}: lines read file:row:column: message"
        assert [p for p in case.iterdir() if p.name not in SPECIAL] or (case / "delete.txt").is_file(), name


def test_every_problem_is_reported_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Three classes at once (a table, the scheme, the questionnaire): all reported together."""
    from tests.tiny import copy_tiny

    campaign = copy_tiny(tmp_path)
    for name in ("unknown-pilot-reference", "non-numeric-kpi-value", "scheme-unknown-metric", "yaml-not-utf8"):
        overlay(CORPUS / name, campaign.parent)
    monkeypatch.chdir(campaign.parent)
    assert main(["validate", "campaign.yaml"]) == 2
    err = capsys.readouterr().err
    for name in ("unknown-pilot-reference", "non-numeric-kpi-value", "yaml-not-utf8"):
        for line in expected_lines(CORPUS / name):
            assert line in err
    assert "scheme.yaml:28:metric" not in err, "no construct check against an unreadable questionnaire"
    assert "3 problems found" in err
