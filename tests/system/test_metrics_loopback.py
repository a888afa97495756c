"""The worker's metrics endpoint listens on loopback unless METRICS_HOST says otherwise."""

from __future__ import annotations

import psutil

from tests.system.conftest import Stack


def test_the_metrics_endpoint_listens_on_loopback_only(stack: Stack) -> None:
    port = int(stack.env["METRICS_PORT"])
    listening = [
        c.laddr
        for c in psutil.Process(stack.worker.pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]
    assert [address.ip for address in listening] == ["127.0.0.1"]
