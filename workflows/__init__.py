"""The durable shell: one workflow per case, and the supervisors' daily digest."""

from workflows.digest import SupervisorDigest
from workflows.mediation_case import TASK_QUEUE, WORKFLOW_TYPE, MediationCase

WORKFLOWS = [MediationCase, SupervisorDigest]

__all__ = ["TASK_QUEUE", "WORKFLOWS", "WORKFLOW_TYPE", "MediationCase", "SupervisorDigest"]
