"""The Makefile as a newcomer meets it: `make help` reads as a table, and running installs less than testing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args: str, cwd: Path = REPO) -> str:
    done = subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_help_is_one_aligned_row_per_target_and_names_the_port_setting() -> None:
    rows = [line for line in make("help").splitlines() if line.startswith("  make ")]
    assert {"run", "test", "browser-deps", "screenshots"} <= {row.split()[1] for row in rows}
    columns = {re.match(r"  make \S+\s+", row).end() for row in rows}  # type: ignore[union-attr]
    assert len(columns) == 1, rows  # every description starts in the same column
    assert "make run PORT=8001" in make("help")


@pytest.fixture
def fresh_checkout(tmp_path: Path) -> Path:
    """The Makefile and pyproject.toml alone, with no virtual environment yet."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("target", ["run", "demo", "serve", "worker"])
def test_running_installs_the_package_without_the_development_tools(fresh_checkout: Path, target: str) -> None:
    plan = make("-n", target, cwd=fresh_checkout)
    assert "pip install --quiet -e .\n" in plan
    assert ".[dev]" not in plan


@pytest.mark.parametrize("target", ["test", "lint", "typecheck", "bench", "screenshots"])
def test_developing_installs_the_development_tools(fresh_checkout: Path, target: str) -> None:
    assert 'pip install --quiet -e ".[dev]"' in make("-n", target, cwd=fresh_checkout)
