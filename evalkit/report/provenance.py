"""What a result was made from: evalkit's version and code, key packages, input files.

The same facts appear in three places — the provenance block at the end of every report,
``manifest.json``, and the keys that decide whether a report is out of date — so they are
computed here, once.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from evalkit.campaign import Campaign
from evalkit.version import __version__

#: Packages whose version can change a report's numbers or its look.
KEY_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "openpyxl", "xlsxwriter", "orjson", "jinja2",
                "nbconvert", "nbclient", "papermill", "ipykernel", "mplfonts")
#: Seconds ``git`` may take to answer :func:`git_revision`.
GIT_TIMEOUT = 10
#: Files of the evalkit package that :func:`code_fingerprint` covers.
CODE_SUFFIXES = (".py", ".j2", ".css", ".js", ".yaml")


def evalkit_version() -> str:
    return __version__


@cache
def code_fingerprint() -> str:
    """sha256 over the evalkit package's own files (code, templates, CSS, packaged data).

    A development checkout keeps one version number while its code changes; this digest
    changes with every edit, so results made by different code are never mistaken for
    each other. Files are taken in sorted order of their path inside the package, each
    contributing its relative path and its bytes.
    """
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def package_versions() -> dict[str, str]:
    """Python and :data:`KEY_PACKAGES` versions, e.g. ``{"python": "3.11.9", "pandas": "3.1.1", …}``."""
    versions = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@cache
def git_revision() -> dict[str, Any] | None:
    """The git commit of the evalkit checkout: ``{"revision": "<40 hex>", "dirty": bool}``, or None.

    None when evalkit does not run from a git checkout of its own (an installed package, a
    source archive), when ``git`` is not installed, or when it fails or takes longer than
    :data:`GIT_TIMEOUT` seconds. ``dirty`` is true when the checkout has uncommitted changes
    (untracked files included) under ``evalkit/`` or ``notebooks/`` — the code and report
    notebooks that outputs depend on; the digest :func:`code_fingerprint` says exactly
    which code ran either way.

    ``git`` runs without a shell, in the checkout, with ``GIT_OPTIONAL_LOCKS=0`` so that
    ``git status`` never takes the index lock of a checkout others are working in.
    """
    package = Path(__file__).resolve().parents[1]
    checkout = package.parent
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    environment.update(GIT_OPTIONAL_LOCKS="0", LC_ALL="C")

    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=checkout, env=environment, capture_output=True,
                              text=True, timeout=GIT_TIMEOUT, check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != checkout:
            return None  # evalkit is installed inside somebody else's repository
        revision = git("rev-parse", "--verify", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=normal", "--", package.name, "notebooks")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return {"revision": revision, "dirty": bool(status)}


def platform_name() -> str:
    """The operating system and machine, e.g. ``Linux-6.1.0-x86_64-with-glibc2.36`` (for the manifest)."""
    return platform.platform()


def input_records(campaign: Campaign) -> list[dict[str, Any]]:
    """Every input file of the campaign: ``{"role", "path", "sha256"}``, in :meth:`Campaign.input_files` order."""
    hashes = campaign.input_hashes()
    return [{"role": role, "path": str(path), "sha256": hashes[role]}
            for role, path in campaign.input_files().items()]
