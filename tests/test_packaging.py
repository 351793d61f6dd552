"""The project's packaging files agree with each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> tuple[str, str]:
    """('pandas', '>=2.2') from 'pandas>=2.2' (names compared as PEP 503 normalised)."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)", requirement)
    assert match, requirement
    name = re.sub(r"[-_.]+", "-", match.group(1).split("[")[0]).lower()
    return name, match.group(2).replace(" ", "")


def test_environment_yml_lists_the_pyproject_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = dict(_normalise(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    listed: dict[str, str] = {}
    for entry in env["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else [entry]:
            name, spec = _normalise(requirement)
            if name not in ("python", "pip"):
                listed[name] = spec
    assert listed == wanted


def test_python_version_agrees() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert f"python{project['requires-python']}" in env["dependencies"]


def test_every_package_and_the_report_notebooks_are_packaged() -> None:
    """The explicit package list misses no subpackage, and the wheel carries notebooks/ as
    evalkit/notebooks/ (where an installed evalkit finds them)."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    subpackages = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "evalkit").rglob("__init__.py")}
    assert set(setuptools["packages"]) == subpackages | {"evalkit.notebooks"}
    assert setuptools["package-dir"] == {"evalkit.notebooks": "notebooks"}
    assert setuptools["package-data"]["evalkit.notebooks"] == ["*.ipynb"]
    assert sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")) == \
        ["district_report.ipynb", "pilot_report.ipynb", "standard_report.ipynb", "workbench.ipynb"]


def test_an_installed_copy_renders_reports_with_the_notebooks_it_carries(tmp_path: Path) -> None:
    """evalkit laid out as the wheel installs it (no checkout around it) renders the tiny campaign."""
    import shutil
    import subprocess
    import sys

    from tests.tiny import copy_tiny

    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "evalkit", site / "evalkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks", site / "evalkit" / "notebooks", ignore=shutil.ignore_patterns(".*"))
    campaign = copy_tiny(tmp_path / "campaign")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(site)}
    script = ("import evalkit.batch.runner as runner, sys; print(runner.__file__); print(runner.NOTEBOOKS_DIR); "
              "from evalkit.cli import main; sys.exit(main(['run', sys.argv[1], '--jobs', '1']))")
    done = subprocess.run([sys.executable, "-c", script, str(campaign)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    module, notebooks, summary = done.stdout.splitlines()[:3]
    assert Path(module).is_relative_to(site) and Path(notebooks) == site / "evalkit" / "notebooks"
    assert "0 failed" in summary
    assert (campaign.parent / "reports" / "pilots" / "P1.html").is_file()
