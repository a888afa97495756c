"""Free text a person types: names, summaries, reasons, notes."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# C0 controls but tab, newline and carriage return: PostgreSQL refuses NUL in text and JSON, so a
# NUL would reach the database only to fail the recording activity on every retry.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]
"""Text that is not blank and has no control characters (length limits stay with each field)."""
