"""The import directions of STYLE.md (the contracts in ``.importlinter``) hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

CONTRACTS = Path(__file__).resolve().parents[2] / ".importlinter"


def test_the_code_imports_only_inward(capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(config_filename=str(CONTRACTS), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report, report
