"""The durable shell: one workflow per case, and the supervisors' daily digest.

The names below load on first use. The workflow sandbox re-imports a workflow's module, and so
this package, for every case it loads; importing both workflows here made each new case pay
for re-executing `digest` too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflows.digest import SupervisorDigest
    from workflows.erasure import PartyDataErasure
    from workflows.mediation_case import TASK_QUEUE, WORKFLOW_TYPE, MediationCase

    WORKFLOWS: list[type]

_WHERE = {
    "MediationCase": "workflows.mediation_case",
    "TASK_QUEUE": "workflows.mediation_case",
    "WORKFLOW_TYPE": "workflows.mediation_case",
    "SupervisorDigest": "workflows.digest",
    "PartyDataErasure": "workflows.erasure",
}

__all__ = [
    "TASK_QUEUE",
    "WORKFLOWS",
    "WORKFLOW_TYPE",
    "MediationCase",
    "PartyDataErasure",
    "SupervisorDigest",
]


def __getattr__(name: str) -> Any:
    if name == "WORKFLOWS":
        return [
            __getattr__("MediationCase"),
            __getattr__("SupervisorDigest"),
            __getattr__("PartyDataErasure"),
        ]
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'workflows' has no attribute {name!r}")
