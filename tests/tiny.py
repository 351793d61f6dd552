"""A copy of the tiny file-based campaign in ``tests/data/tiny``, for tests that mutate it."""

from __future__ import annotations

import shutil
from pathlib import Path

TINY = Path(__file__).parent / "data" / "tiny"


def copy_tiny(tmp_path: Path) -> Path:
    """Copy the tiny campaign into ``tmp_path/tiny`` and return its campaign file."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target, ignore=shutil.ignore_patterns("reports"))
    return target / "campaign.yaml"


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact occurrence of ``old`` in a UTF-8 file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
