"""Another client drives a case with only the `temporal` CLI and plain JSON.

The script is scripts/drive_with_temporal_cli.sh, documented in the README. Encryption is on, as
in production: the CLI seals and opens payloads through the codec server, which holds the keys and
checks the CLI's token.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from crypto.tokens import mint
from tests.system.conftest import ROOT, Stack, free_port

SECRET = "temporal-cli-test-secret"


def _codec_server(stack: Stack, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "crypto.server", "--port", str(port)],
        cwd=ROOT,
        env={**stack.env, "CODEC_AUTH_SECRET": SECRET},
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            assert server.poll() is None, "the codec server exited"
            time.sleep(0.05)
    raise AssertionError("the codec server did not listen")


def test_a_case_driven_end_to_end_by_the_temporal_cli(stack: Stack) -> None:
    port = free_port()
    codec = _codec_server(stack, port)
    token = mint(SECRET, "O-0001", party_data=True)  # drives the case: reads its own input back
    try:
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "drive_with_temporal_cli.sh"), "case-431199-2026-990001"],
            env={**stack.env, "CODEC_ENDPOINT": f"http://127.0.0.1:{port}", "CODEC_TOKEN": token},
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    finally:
        codec.terminate()
        codec.wait(30)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert '"status": "awaiting_acceptance"' in out or '"status":"awaiting_acceptance"' in out
    assert "M-9999 is not a member" in out
    assert "performed" in out.split("== result")[1]
