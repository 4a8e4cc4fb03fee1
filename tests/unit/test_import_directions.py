"""The import directions of STYLE.md (the contracts in ``.importlinter``) hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONTRACTS = Path(__file__).resolve().parents[2] / ".importlinter"
# In a process of its own: import-linter configures logging, which disables the loggers
# already made (the tests of what Reprieve logs would then see nothing).
LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
)


def test_the_code_imports_only_inward() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LINT, str(CONTRACTS)], capture_output=True, text=True, timeout=300, check=False
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "0 broken" in report, report
