"""The party look-up's limits on guessing (`/track`, web/reads.py): per device and case, per
device over every case, per case over every device; wrong tries from one device never lock the
case for its parties."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from web.reads import (
    TRACK_CASE_FAILURES,
    TRACK_CLIENT_FAILURES,
    TRACK_FAILURES,
    TRACK_WINDOW,
    device_of,
    record_track,
    start_track,
    track_locked,
    track_matched,
)


def a_case() -> str:
    return f"case-431199-2026-{uuid.uuid4().hex[:8]}"


def device() -> str:
    """A client address of its own (the column holds what `client_address` gives)."""
    return f"device-{uuid.uuid4().hex[:12]}"


async def wrong(engine: AsyncEngine, case_id: str, client: str, times: int) -> None:
    for _ in range(times):
        await record_track(engine, case_id, client, False)


async def test_a_device_that_guesses_is_stopped_on_that_case_but_the_parties_are_not(
    engine: AsyncEngine,
) -> None:
    case_id, guesser, party = a_case(), device(), device()
    await wrong(engine, case_id, guesser, TRACK_FAILURES - 1)
    assert await track_locked(engine, case_id, guesser) is None
    await wrong(engine, case_id, guesser, 1)
    assert await track_locked(engine, case_id, guesser) == "track_locked"
    assert await track_locked(engine, case_id, party) is None  # the parties' phones still look it up
    assert await track_locked(engine, a_case(), guesser) is None  # and the guesser another case
    later = datetime.now(UTC) + TRACK_WINDOW + timedelta(seconds=1)
    assert await track_locked(engine, case_id, guesser, later) is None  # the window passes


async def test_a_device_trying_case_after_case_is_stopped_everywhere(engine: AsyncEngine) -> None:
    guesser = device()
    tried = [a_case() for _ in range(TRACK_CLIENT_FAILURES // (TRACK_FAILURES - 1) + 1)]
    for case_id in tried:  # under each case's own limit
        await wrong(engine, case_id, guesser, TRACK_FAILURES - 1)
    assert await track_locked(engine, a_case(), guesser) == "track_client_locked"
    assert await track_locked(engine, tried[0], device()) is None


async def test_many_devices_guessing_one_case_pause_its_look_ups(engine: AsyncEngine) -> None:
    case_id = a_case()
    devices, rest = divmod(TRACK_CASE_FAILURES - 1, TRACK_FAILURES - 1)
    for _ in range(devices):  # each under its own limit
        await wrong(engine, case_id, device(), TRACK_FAILURES - 1)
    await wrong(engine, case_id, device(), rest)
    assert await track_locked(engine, case_id, device()) is None  # one short of the case's limit
    await wrong(engine, case_id, device(), 1)
    assert await track_locked(engine, case_id, device()) == "track_case_locked"
    assert await track_locked(engine, a_case(), device()) is None


def test_an_ipv6_device_is_its_64_network() -> None:
    """A phone's IPv6 privacy addresses change within its /64: they count as one device."""
    assert device_of("2001:db8:1:2:aaaa::1") == device_of("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert device_of("2001:db8:1:3::1") != device_of("2001:db8:1:2::1")
    assert device_of("::ffff:10.1.2.3") == device_of("10.1.2.3") == "10.1.2.3"
    assert device_of("testclient") == "testclient"  # not an address (a test transport's): as given


async def test_rotating_ipv6_addresses_do_not_escape_the_device_limit(engine: AsyncEngine) -> None:
    case_id = a_case()
    for n in range(TRACK_FAILURES):
        await record_track(engine, case_id, f"2001:db8:7:7:{n + 1:x}::1", False)
    assert await track_locked(engine, case_id, "2001:db8:7:7:ffff::2") == "track_locked"
    assert await track_locked(engine, case_id, "2001:db8:7:8::2") is None


async def test_look_ups_sent_at_once_are_counted_one_after_another(engine: AsyncEngine) -> None:
    """A burst from one device gets its tries, not one each: the count and the try are one
    transaction under the case's and the device's locks (web/reads.py, `start_track`)."""
    case_id, guesser = a_case(), device()
    burst = [start_track(engine, case_id, guesser) for _ in range(3 * TRACK_FAILURES)]
    started = await asyncio.gather(*burst)
    tries = [attempt for _, attempt in started if attempt is not None]
    assert len(tries) == TRACK_FAILURES
    assert {refused for refused, attempt in started if attempt is None} == {"track_locked"}
    assert await track_locked(engine, case_id, guesser) == "track_locked"  # the refused ones left no try


async def test_a_matching_look_up_is_not_a_wrong_try(engine: AsyncEngine) -> None:
    case_id, party = a_case(), device()
    for _ in range(TRACK_FAILURES):
        refused, attempt = await start_track(engine, case_id, party)
        assert refused is None and attempt is not None
        await track_matched(engine, attempt)  # the right digits, each time
    assert await track_locked(engine, case_id, party) is None
