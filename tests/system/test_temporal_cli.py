"""Another client drives a case with only the `temporal` CLI and plain JSON.

The script is scripts/drive_with_temporal_cli.sh, documented in the README.
"""

from __future__ import annotations

import subprocess

from tests.system.conftest import ROOT, Stack


def test_a_case_driven_end_to_end_by_the_temporal_cli(stack: Stack) -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "drive_with_temporal_cli.sh"), "case-431199-2026-990001"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert '"status": "awaiting_acceptance"' in out or '"status":"awaiting_acceptance"' in out
    assert "M-9999 is not a member" in out
    assert "performed" in out.split("== result")[1]
