"""The durable shell: one workflow per case."""

from workflows.mediation_case import TASK_QUEUE, WORKFLOW_TYPE, MediationCase

WORKFLOWS = [MediationCase]

__all__ = ["TASK_QUEUE", "WORKFLOWS", "WORKFLOW_TYPE", "MediationCase"]
