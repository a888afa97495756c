"""Keeps `make run`'s processes up: a worker or the service that dies is started again, after a
pause that doubles with each quick death (1 s, 2 s, 4 s … at most a minute)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
STABLE_S = 60.0  # a process that ran this long starts the backoff afresh when it dies


def restart_delay(quick_deaths: int) -> float:
    """The pause before a restart, after `quick_deaths` deaths in a row of a process that had not
    yet run STABLE_S (the first death of a stable process waits FIRST_DELAY_S)."""
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** max(0, quick_deaths - 1))


@dataclass
class Supervised:
    name: str
    command: Sequence[str]
    env: dict[str, str]
    say: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        self.process = subprocess.Popen(list(self.command), env=self.env, start_new_session=True)
        self.started_at = self.clock()
        self.restart_at = None

    def check(self) -> None:
        """Notice a death and schedule the restart; restart when its time has come."""
        now = self.clock()
        if self.restart_at is None and self.process is not None and self.process.poll() is not None:
            code = self.process.returncode
            self.quick_deaths = 1 if now - self.started_at >= STABLE_S else self.quick_deaths + 1
            delay = restart_delay(self.quick_deaths)
            self.say(f"  {self.name} exited with code {code}; restarting in {delay:g} s")
            self.restart_at = now + delay
        if self.restart_at is not None and now >= self.restart_at:
            self.restarts += 1
            self.start()
            self.say(f"  {self.name} restarted (pid {self.process.pid if self.process else '?'})")

    def stop(self, timeout: float = 40) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        self.say(f"  stopping {self.name} …")
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
