"""A good run of the tiny campaign, rendered once per test session, and byte snapshots of trees.

Tests that must prove "bad input or a fault never touches a good report" copy
:func:`rendered_tiny` (the tiny campaign with the ``reports/`` of a successful
``run_reports``) and compare :func:`snapshot` of the copy before and after.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from evalkit.folder_lock import LOCK_FILE
from tests.tiny import copy_tiny

_RENDERED: dict[str, Path] = {}


def rendered_tiny(factory: pytest.TempPathFactory) -> Path:
    """The directory of a tiny campaign whose ``reports/`` holds a complete, successful run.

    Rendered once per session (serially, in this process) and shared: copy it
    (:func:`copy_rendered`) before changing anything.
    """
    if "tiny" not in _RENDERED:
        from evalkit.batch import run_reports
        from evalkit.load import load_campaign

        base = factory.mktemp("rendered-tiny")
        campaign = copy_tiny(base)
        summary = run_reports(load_campaign(campaign), jobs=1, progress=False)
        assert summary.exit_code == 0 and not summary.failed, summary.failed
        _RENDERED["tiny"] = campaign.parent
    return _RENDERED["tiny"]


def copy_rendered(factory: pytest.TempPathFactory, target: Path) -> Path:
    """A copy of :func:`rendered_tiny` at ``target``; returns its campaign file (up to date where it lies)."""
    shutil.copytree(rendered_tiny(factory), target, symlinks=True)
    return target / "campaign.yaml"


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (files by sha256, directories and links marked), by relative path."""
    entries = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            entries[name] = f"link -> {path.readlink()}"
        elif path.is_dir():
            entries[name] = "dir"
        else:
            entries[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def leftovers(root: Path) -> list[str]:
    """Temporary or partial files under ``root``: ``*.tmp``, hidden ``.name…`` files (but the
    report folder's lock file), ``*.part``."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.name != LOCK_FILE
                  and (p.name.startswith(".") or p.suffix in (".tmp", ".part", ".partial")))
