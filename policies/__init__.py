"""County policies as data files, and the working-day calendars they refer to.

Read when a case opens; the parsed `Policy` (calendar included) is snapshotted
into the case, so editing a file here never changes a running case.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from models.policy import Policy
from policies.calendar_files import CalendarFileError, load_calendar

HERE = Path(__file__).parent


class PolicyError(ValueError):
    """A policy that cannot be found or does not validate."""


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.json"))


def load_policy(name_or_path: str) -> Policy:
    """A policy by name (`gaotai-4x7`) or by the path of a policy file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = HERE / f"{name_or_path}.json"
    if not path.is_file():
        raise PolicyError(f"unknown policy {name_or_path!r}; available: {', '.join(available())}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        calendar_name = raw.get("calendar")
        if isinstance(calendar_name, str):
            raw["calendar"] = load_calendar(calendar_name)
        return Policy.model_validate(raw)
    except (OSError, json.JSONDecodeError, ValidationError, CalendarFileError) as err:
        raise PolicyError(f"policy {path.name} is invalid: {err}") from err
