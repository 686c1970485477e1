"""Many liaisons at once: every update lands in the history or is refused as a conflict to
its writer, none vanishes, and no "database is locked" reaches anyone. On both engines."""

import multiprocessing
import threading
from collections import defaultdict

import pytest
from sqlalchemy import select

from tracker.store.models import Assignment, StatusUpdate

from .concurrency_worker import liaison

PROCESSES = 8
UPDATES = 500


@pytest.mark.slow
def test_eight_liaisons_five_hundred_updates_each(loaded_db):
    context = multiprocessing.get_context("spawn")  # fresh interpreters, like separate users
    with context.Pool(PROCESSES) as pool:
        reports = pool.starmap(liaison, [(loaded_db.url, n, UPDATES) for n in range(PROCESSES)])

    errors = [e for r in reports for e in r["errors"]]
    assert errors == [], errors[0]
    landed = [entry for r in reports for entry in r["landed"]]
    conflicts = sum(r["conflicts"] for r in reports)
    assert len(landed) + conflicts == PROCESSES * UPDATES  # every attempt accounted for
    assert conflicts > 0 and len(landed) > 0  # the writers did collide

    with loaded_db.reading() as session:
        history = dict(session.execute(select(StatusUpdate.id, StatusUpdate.assignment_id)).all())
        versions = dict(session.execute(select(Assignment.id, Assignment.version)).all())
    # none vanished, none invented: the history is exactly what the writers were told landed
    assert sorted(history) == sorted(entry_id for _, _, entry_id in landed)
    per_assignment = defaultdict(list)
    for assignment_id, expected, entry_id in landed:
        assert history[entry_id] == assignment_id
        per_assignment[assignment_id].append((entry_id, expected))
    for assignment_id, entries in per_assignment.items():
        # each assignment's version counts its updates, and each update made from a view was made
        # from the version just before it: no two writers both passed the same check
        assert versions[assignment_id] == len(entries)
        for position, (_, expected) in enumerate(sorted(entries)):
            assert expected is None or expected == position


def test_updates_without_a_view_all_land_however_many_write_at_once(loaded_db):
    """`tracker status set` names no version: on PostgreSQL (READ COMMITTED) a writer that committed
    between this one's read and its update must be followed, not reported as "updated meanwhile".
    Threads on their own connections, all on one assignment, started together."""
    from tracker import service
    from tracker.errors import Conflict

    writers, each = 6, 25
    with loaded_db.reading() as session:
        unit = service.find_unit(session, "市发改委", "吉林市")
        assignment_id = service.find_assignment(session, "jilin-2021-cluster-upgrade", "3.1.1", unit.id)
    start = threading.Barrier(writers)
    refused, failed, landed = [], [], []

    def write(number: int) -> None:
        start.wait()
        for attempt in range(each):
            try:
                with loaded_db.transaction() as session:  # as status_set does it: no expected version
                    entry = service.record_status(session, assignment_id=assignment_id, acting_unit_id=None,
                                                  status="in_progress", percent=attempt, note=f"{number}/{attempt}")
                landed.append(entry.id)
            except Conflict as exc:
                refused.append(str(exc))
            except Exception as exc:  # noqa: BLE001  # anything else would reach the user
                failed.append(repr(exc))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and refused == [], (failed or refused)[:3]
    with loaded_db.reading() as session:
        history = session.scalars(select(StatusUpdate.id).where(StatusUpdate.assignment_id == assignment_id)).all()
        version = session.scalar(select(Assignment.version).where(Assignment.id == assignment_id))
    assert sorted(history) == sorted(landed) and len(landed) == writers * each == version
    # and the history's chain holds: each entry links to the one before it
    from tracker.service.operations import broken_histories

    with loaded_db.reading() as session:
        assert broken_histories(session)[1] == []
