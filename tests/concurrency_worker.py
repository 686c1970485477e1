"""One liaison's process in the stress test (tests/test_concurrency.py): read the task, then
record an update made from that view, many times over; report what landed and what was refused."""

from __future__ import annotations

import random
import traceback

# (plan, task, unit, jurisdiction): a handful of assignments, so the writers keep colliding
ASSIGNMENTS = [
    ("jilin-2021-cluster-upgrade", "3.1.1", "市发改委", "吉林市"),
    ("jilin-2021-cluster-upgrade", "3.2.1", "市商务局", "吉林市"),
    ("jilin-2021-cluster-upgrade", "3.5.1", "市科技局", "吉林市"),
    ("jilin-2021-cluster-upgrade", "5.3.1", "市统计局", "吉林市"),
    ("qingdao-2020-service-clusters", "3.3.2", "市商务局", "青岛市"),
    ("qingdao-2020-service-clusters", "3.1.2", "市发展改革委", "青岛市"),
]


def liaison(url: str, number: int, updates: int) -> dict:
    """Returns {"landed": [(assignment id, expected version, history id)], "conflicts": n,
    "errors": [text]} for `updates` attempts."""
    from tracker import service
    from tracker.errors import Conflict
    from tracker.store.db import Database

    rng = random.Random(number)
    db = Database(url, migrate=False)
    landed, conflicts, errors = [], 0, []
    try:
        for attempt in range(updates):
            plan, task, unit_name, jurisdiction = rng.choice(ASSIGNMENTS)
            blind = attempt % 4 == 3  # now and then an update that names no version (the CLI's way)
            try:
                with db.reading() as session:
                    unit = service.find_unit(session, unit_name, jurisdiction)
                    seen = next(r for r in service.unit_tasks(session, unit, plan_key=plan) if r.key == task)
                with db.transaction() as session:
                    unit = service.find_unit(session, unit_name, jurisdiction)
                    entry = service.record_status(
                        session, assignment_id=seen.assignment_id, acting_unit_id=unit.id, status="in_progress",
                        percent=rng.randrange(0, 101), note=f"进程{number}第{attempt}次", by=f"联络员{number}",
                        expected_version=None if blind else seen.version)
                landed.append((seen.assignment_id, None if blind else seen.version, entry.id))
            except Conflict:
                conflicts += 1
                if blind:  # an update from no view has nothing to be stale against
                    errors.append(f"an update without a view was refused (attempt {attempt})")
            except Exception:  # anything else would reach the user: the test fails on it
                errors.append(traceback.format_exc(limit=3))
    finally:
        db.dispose()
    return {"landed": landed, "conflicts": conflicts, "errors": errors}
