"""A notification sender for the drills: a channel that writes each delivered key to a file.

Like an SMS gateway given a client message id, the channel delivers a delivery's token once: one
handed over again is recorded as handed over but not delivered twice. A line is the message key
and the recipient (one message reaches each member of a committee). So the drill can tell apart
what people received (`DRILL_SENT_FILE`) from what the dispatcher sent (`<that file>.handed`).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from notify.senders import Outgoing

FILE_VARIABLE = "DRILL_SENT_FILE"
# Once this file exists (empty), the next delivery writes its key into it and hangs before the
# dispatcher can mark it sent: the drill kills the worker there, when a message is in doubt.
STALL_VARIABLE = "DRILL_SENDER_STALL_FILE"


class FileSender:
    def __init__(self) -> None:
        self._path = Path(os.environ[FILE_VARIABLE])
        self._delivered = set(keys(self._path))
        stall = os.environ.get(STALL_VARIABLE)
        self._stall = Path(stall) if stall else None

    async def send(self, outgoing: Outgoing) -> str | None:
        line = f"{outgoing.message_key} {outgoing.recipient}"
        _append(handed_file(self._path), line)
        if line not in self._delivered:
            _append(self._path, line)
            self._delivered.add(line)
        if self._stall is not None and self._stall.exists() and not self._stall.read_text("utf-8"):
            self._stall.write_text(line, "utf-8")
            await asyncio.Event().wait()
        return None


def handed_file(path: Path) -> Path:
    return path.with_name(path.name + ".handed")


def keys(path: Path) -> list[str]:
    """The keys in a sender file, in order: one line per delivery (or hand-over)."""
    if not path.exists():
        return []
    return path.read_text("utf-8").splitlines()


def _append(path: Path, key: str) -> None:
    """One O_APPEND write, so a line is whole even when the worker is killed."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{key}\n".encode())
    finally:
        os.close(fd)
