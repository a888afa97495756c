"""Only the product goes in the wheel: what setuptools' build_py (the step that fills the wheel)
would copy, read from pyproject.toml by setuptools itself, holds every product package and none of
bench/, tests/, scripts/ or registry/; the `mediation` console script runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_PRODUCT = {"bench", "tests", "scripts", "registry"}  # registry/: the demo county and its scripts
PRODUCT = {"activities", "api", "cli", "crypto", "db", "migrations", "models", "notify", "policies"}
PRODUCT |= {"front", "service", "web", "workflows"}
MODULES = {"starter.py", "worker.py", "settings.py", "clients.py", "devstack.py", "supervise.py"}

BUILD_PY = """
import json
from setuptools.config.pyprojecttoml import apply_configuration
from setuptools.dist import Distribution

dist = apply_configuration(Distribution(), "pyproject.toml")
dist.script_name = "setup.py"
build_py = dist.get_command_obj("build_py")
build_py.ensure_finalized()
modules = [m[-1] for m in build_py.find_all_modules()]
data = [f"{src}/{name}" for _, src, _, names in build_py.data_files for name in names]
print(json.dumps({"packages": dist.packages, "files": modules + data, "scripts": dist.entry_points}))
"""


def _wheel() -> dict[str, list[str]]:
    found = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", BUILD_PY],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    wheel: dict[str, list[str]] = json.loads(found.stdout)
    return wheel


def test_the_wheel_holds_the_product_and_nothing_else() -> None:
    wheel = _wheel()
    tops = {Path(f).parts[0] for f in wheel["files"]}
    assert tops == PRODUCT | MODULES
    assert "policies/calendars/cn.json" in wheel["files"] and "web/templates/base.html" in wheel["files"]
    assert wheel["scripts"] == {"console_scripts": ["mediation = starter:app"]}
    # every package of the repository is in the wheel, or under a folder that is not the product
    folders = [d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name != "data"]
    packages = {".".join(p.parent.relative_to(ROOT).parts) for d in folders for p in d.glob("**/__init__.py")}
    assert packages - {p for p in packages if p.split(".")[0] in NOT_PRODUCT} == set(wheel["packages"])


def test_the_console_script_runs() -> None:
    mediation = Path(sys.executable).parent / "mediation"
    shown = subprocess.run([mediation, "--help"], capture_output=True, text=True, timeout=60, check=True)
    assert "open" in shown.stdout and "calendar" in shown.stdout
