"""What the stages of some of a report's cases add up to, and how such parts add up.

A county's report can be counted in shards, each a part of the cases with every stage of theirs
(`service.reports` counts each shard in a process of its own); a shard's `Partial` holds sums, and
`merge` adds the shards' sums up into the Partial of all their cases. What `models.performance`
counts per case (closed, reached, settled) is summed as is, which is exact because no case is in
two shards; what it counts per committee is summed too, but a committee's level is that of its
first stage, the least (case number, stage number) of all shards, wherever it falls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

FirstStage = tuple[str, int, str]
"""The case and stage number of a committee's first stage counted, and its level."""


class Partial(NamedTuple):
    """The sums of the stages of some cases (see `models.performance._Tally`), by level where keyed
    by level. The lists of days are sorted."""

    closed: int  # cases closed in the period
    settled: Counter[str]  # of those, settled, by the level of their last agreement
    reached: Counter[str]  # of those, the cases that reached each level
    agreed: Counter[str]  # agreements reached in the period
    ended: dict[str, list[float]]  # days from handoff to outcome of the period's stages that ended
    accepted: dict[str, list[float]]  # days from handoff to acceptance of those accepted
    causes: dict[str, Counter[str | None]]  # the causes of those that passed their case up
    outcomes: Counter[tuple[str, str | None]]  # (committee, outcome) of the period's stages
    late: Counter[str]  # the committee of each of the period's stages past its deadline
    first: dict[str, FirstStage]  # each committee's first stage of the period


def merge(parts: Iterable[Partial]) -> Partial:
    """The Partial of the cases of all `parts`, which hold no case in common."""
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    levels = list(parts[0].ended)
    first: dict[str, FirstStage] = {}
    for part in parts:
        for committee, stage in part.first.items():
            if committee not in first or stage[:2] < first[committee][:2]:
                first[committee] = stage
    return Partial(
        closed=sum(p.closed for p in parts),
        settled=sum((p.settled for p in parts), Counter()),
        reached=sum((p.reached for p in parts), Counter()),
        agreed=sum((p.agreed for p in parts), Counter()),
        # each list is sorted: sorting their concatenation merges the sorted runs
        ended={lv: sorted([d for p in parts for d in p.ended[lv]]) for lv in levels},
        accepted={lv: sorted([d for p in parts for d in p.accepted[lv]]) for lv in levels},
        causes={lv: sum((p.causes[lv] for p in parts), Counter()) for lv in levels},
        outcomes=sum((p.outcomes for p in parts), Counter()),
        late=sum((p.late for p in parts), Counter()),
        first=first,
    )
