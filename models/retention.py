"""How long party data is kept once a case is closed, and what erasing it leaves (PIPL Arts. 19, 47).

The default keeps party data for three years after a case closes: the general limitation period
for civil claims (Civil Code Art. 188), within which a party may still sue on the agreement or its
breach and the committee may be asked for its record. Counties set their own term with
PARTY_DATA_RETENTION_DAYS. Erasing removes the parties (names, ID numbers, phones), the free text
that can name them (reasons, agreement terms, event notes, notification texts) and the intake's
keyed fingerprint; the case, its stages, outcomes, levels, committees and dates stay, so the
statistics stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

DEFAULT_RETENTION_DAYS = 3 * 365
ERASURE_HOUR = 3  # 03:00 China time, before the 08:00 digests
# case_events.data keys that can name people (the same as crypto.fields.EVENT_TEXT seals)
EVENT_TEXT_KEYS = ("reason", "notes", "terms")


class ErasureSweep(BaseModel):
    """The daily erasure workflow's input."""

    retain_days: int = Field(default=DEFAULT_RETENTION_DAYS, ge=1)


class ErasureJob(BaseModel):
    """The erasure activity's input: the sweep, at the instant the workflow ran."""

    sweep: ErasureSweep
    now: datetime


class ErasureResult(BaseModel):
    erased: list[str] = Field(description="case ids whose party data was erased")
    requests_done: list[int] = Field(default_factory=list, description="erasure requests completed")


def closed_before(job: ErasureJob) -> datetime:
    """Cases closed before this instant are past retention."""
    return job.now - timedelta(days=job.sweep.retain_days)
