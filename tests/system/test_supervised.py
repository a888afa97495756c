"""`make run` keeps its worker and service up: one killed with -9 comes back, with backoff."""

from __future__ import annotations

import os
import signal
import sys

from supervise import MAX_DELAY_S, STABLE_S, Supervised, restart_delay


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_pause_doubles_with_each_quick_death_up_to_a_minute() -> None:
    assert [restart_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert restart_delay(50) == MAX_DELAY_S


def test_a_process_killed_with_sigkill_is_started_again_after_the_backoff() -> None:
    clock, said = Clock(), list[str]()
    sleeper = Supervised(
        "worker", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ), said.append, clock
    )
    sleeper.start()
    try:
        first = sleeper.process
        assert first is not None
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        sleeper.check()
        assert sleeper.process is first and "restarting in 1 s" in said[-1]
        clock.now += 0.5
        sleeper.check()
        assert sleeper.process is first  # still waiting out the pause
        clock.now += 0.5
        sleeper.check()
        second = sleeper.process
        assert second is not first and second is not None and second.poll() is None
        os.kill(second.pid, signal.SIGKILL)  # dies again at once: twice the pause
        second.wait(10)
        sleeper.check()
        assert "restarting in 2 s" in said[-1]
        clock.now += 2
        sleeper.check()
        assert sleeper.restarts == 2
        third = sleeper.process
        assert third is not None
        clock.now += STABLE_S  # ran long enough: the next death starts the backoff afresh
        os.kill(third.pid, signal.SIGKILL)
        third.wait(10)
        sleeper.check()
        assert "restarting in 1 s" in said[-1]
    finally:
        sleeper.stop()
