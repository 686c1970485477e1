"""Many liaisons at once: every update lands in the history or is refused as a conflict to
its writer, none vanishes, and no "database is locked" reaches anyone. On both engines."""

import multiprocessing
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
