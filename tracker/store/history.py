"""A status history that shows tampering: each history row carries a SHA-256 over its content and
the previous row's hash of the same assignment (a chain), so editing or deleting a row breaks
the chain from that row on, and `tracker doctor` names the first broken one.

The supervision history (督办) is chained the same way, in two chains per assignment: its
requests (REQUEST_CHAINED, anchored in assignment.request_hash) and the coordinator's decisions
on them (DECISION_CHAINED, in assignment.decision_hash), migration 0006.

The formula is written twice: here (SQLite rows, the migrations' backfill, and every check) and
in PostgreSQL's insert triggers (migrations/versions/0002_history_chain_and_access.py and
0006_supervision_chain.py), which set the hash themselves so a client cannot choose it. Both
must give the same bytes, and a test holds them to it; changing the formula invalidates every
stored chain, so it never changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# the columns the hash covers, in this order (not the id: a bulk load inserts without one)
CHAINED = ("assignment_id", "status", "percent", "note", "liaison_id", "recorded_by_unit_id", "author",
           "recorded_at", "undoes_id")
REQUEST_CHAINED = ("assignment_id", "kind", "due_on", "previous_due_on", "note", "liaison_id", "recorded_by_unit_id",
                   "author", "recorded_at")
DECISION_CHAINED = ("request_id", "decision", "reason", "liaison_id", "recorded_by_unit_id", "author",
                    "recorded_at")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def microseconds(moment: datetime) -> int:
    """An instant as microseconds since 1970 UTC. SQLite hands instants back without their zone
    (they are written in UTC), PostgreSQL with it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _field(value) -> str:
    # length-prefixed, so no value can pass for two (a note holding "," or ":"); a date as ISO
    if value is None:
        return "-"
    text = str(microseconds(value)) if isinstance(value, datetime) else \
        value.isoformat() if isinstance(value, date) else str(value)
    return f"{len(text)}:{text}"


def chain_hash(previous: str | None, row: Mapping, columns: tuple[str, ...] = CHAINED) -> str:
    """The hash of one history row, given the hash of the row before it on the same assignment;
    `columns`: the ones its table chains (CHAINED, REQUEST_CHAINED, DECISION_CHAINED)."""
    payload = (previous or "") + "\n" + ",".join(_field(row[column]) for column in columns)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BrokenChain:
    """The first row of an assignment's history whose hash does not follow from the row before
    it; or (row_id None) a history whose latest row is not the one the assignment last recorded:
    deleted, or replaced."""

    assignment_id: int
    row_id: int | None


def verify(rows: Iterable[Mapping], anchors: Mapping[int, str],
           columns: tuple[str, ...] = CHAINED) -> tuple[int, list[BrokenChain]]:
    """Check every chain. `rows`: history rows with id, chain_hash and the `columns` chained,
    ordered by assignment and id; `anchors`: each assignment's history_hash, the link of the
    latest row it recorded. A row edited, or deleted from the middle, shows as the first row
    that does not follow the one before it; a latest row deleted, as a chain that ends short of
    its anchor. Returns how many rows were checked, and the broken chains."""
    broken: list[BrokenChain] = []
    checked = 0
    seen: set[int] = set()
    current, previous, failed = None, None, False

    def close() -> None:
        if current is not None and not failed and anchors.get(current) != previous:
            broken.append(BrokenChain(current, None))

    for row in rows:
        checked += 1
        if row["assignment_id"] != current:
            close()
            current, previous, failed = row["assignment_id"], None, False
            seen.add(current)
        if failed:
            continue
        if chain_hash(previous, row, columns) != row["chain_hash"]:
            failed = True
            broken.append(BrokenChain(current, row["id"]))
        previous = row["chain_hash"]
    close()
    # an assignment that recorded history and has none left: all of it deleted
    broken += [BrokenChain(a, None) for a, anchor in anchors.items() if anchor and a not in seen]
    return checked, sorted(broken, key=lambda b: b.assignment_id)
