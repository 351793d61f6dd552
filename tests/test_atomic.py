"""evalkit.atomic: files replaced all together or not at all, never half written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pytest

from evalkit import atomic
from evalkit.atomic import remove_stray_temporaries, write_all_atomic, write_atomic


def test_files_are_written_with_their_content_and_ordinary_permissions(tmp_path: Path) -> None:
    first, second = tmp_path / "一.csv", tmp_path / "two.json"
    assert write_all_atomic({first: b"1", second: lambda stream: stream.write("二".encode())}) == [first, second]
    assert first.read_bytes() == b"1" and second.read_text(encoding="utf-8") == "二"
    assert (first.stat().st_mode & 0o777) == atomic.FILE_MODE and sorted(tmp_path.iterdir()) == sorted([first, second])


def test_a_failing_content_replaces_nothing_and_leaves_no_temporary(tmp_path: Path) -> None:
    first, second = tmp_path / "scores.csv", tmp_path / "scorecards.json"
    first.write_bytes(b"good csv")
    second.write_bytes(b"good json")

    def full_disk(stream: BinaryIO) -> None:
        stream.write(b"[{")  # half a file is already in its temporary
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_all_atomic({first: b"new csv", second: full_disk})
    assert (first.read_bytes(), second.read_bytes()) == (b"good csv", b"good json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scorecards.json", "scores.csv"]


def test_write_atomic_cleans_up_after_a_failing_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "scores.csv"
    target.write_bytes(b"good")

    def failing_replace(src: str, dst: Path) -> None:
        raise OSError("cross-device")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"good" and [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_a_dead_writers_temporaries_are_removed_and_a_live_writers_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    (tmp_path / "pilots").mkdir()
    stray = tmp_path / "pilots" / f".P1.html.{dead.stdout.strip()}.abcd1234.tmp"
    live = tmp_path / f".scores.csv.{os.getpid()}.abcd1234.tmp"
    other = tmp_path / ".notes.tmp"  # not one of ours
    for path in (stray, live, other):
        path.write_bytes(b"partial")
    assert remove_stray_temporaries(tmp_path) == [stray]
    assert not stray.exists() and live.exists() and other.exists()
