"""A city-scale dataset: one jurisdiction's unit registry, its action plans, and years of progress.

    python -m bench.generate --scale city --db sqlite:///city.sqlite3 [--seed 1] [--plans-dir DIR]

writes `units.toml` and one plan file per plan into a folder (a temporary one unless
--plans-dir is given), loads them with the real loader (`tracker plan load` does the same),
then appends the status history: history is what liaisons record, not part of any plan file,
so it goes in through bulk inserts. Everything but the load timestamps follows from the seed.

    scale   units   plans   tasks    assignments   status updates
    city      200     300   50,000   ~150,000      ~300,000
    10k       200      60   10,000    ~30,000       ~60,000
    small     200       6      300       ~900        ~1,800
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from tracker.planfile import Deadline, PlanFile, Section, Target, Task, dump_plan

from . import vocabulary as v

# History is written as of this day, so the same seed gives the same history whenever it runs.
AS_OF = date(2026, 11, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Scale:
    name: str
    plans: int
    tasks: int


SCALES = {s.name: s for s in (Scale("city", 300, 50_000), Scale("10k", 60, 10_000), Scale("small", 6, 300))}


# ---------------------------------------------------------------------- the unit registry


@dataclass(frozen=True)
class UnitSpec:
    name: str
    full_name: str
    aliases: tuple[str, ...]
    kind: str
    weight: float  # how often plans name it, relative to the others


@dataclass(frozen=True)
class GroupSpec:
    name: str
    aliases: tuple[str, ...]
    members: tuple[str, ...]
    choose: bool = False


@dataclass
class City:
    units: list[UnitSpec]
    groups: list[GroupSpec]
    liaisons: dict[str, list[tuple[str, str]]]  # unit → [(name, title)]

    @property
    def district_governments(self) -> GroupSpec:
        return self.groups[0]


def build_city(rng: random.Random) -> City:
    units: list[UnitSpec] = []
    for name, full, aliases, weight in v.DEPARTMENTS:
        units.append(UnitSpec(name, v.CITY + full, aliases, "department", weight))
    for name, full, aliases, weight in v.AGENCIES:
        units.append(UnitSpec(name, full, aliases, "agency", weight))
    for name, full, aliases, weight in v.ZONES:
        units.append(UnitSpec(name, full, aliases, "zone", weight))
    for district, level in v.DISTRICTS:
        units.append(UnitSpec(f"{district}政府", f"{district}人民政府", (f"{district}人民政府",), "district",
                              v.DISTRICT_WEIGHT))
    for district, _ in v.DISTRICTS:
        for short, full, alias in v.DISTRICT_BUREAUS:
            units.append(UnitSpec(district + short, district + full, tuple({district + full, district + alias} - {district + short}),
                                  "department", v.BUREAU_WEIGHT))

    governments = tuple(f"{d}政府" for d, _ in v.DISTRICTS)
    groups = [GroupSpec("各区(市)县政府", ("各区市县政府", "各区(市)县人民政府", "各区、市、县政府"), governments)]
    for short, _, alias in v.DISTRICT_BUREAUS:
        groups.append(GroupSpec(f"各区(市)县{short}", (f"各区市县{short}", f"各区(市)县{alias}"),
                                tuple(d + short for d, _ in v.DISTRICTS)))
    groups.append(GroupSpec("各开发区管委会", ("各功能区管委会",), tuple(z[0] for z in v.ZONES)))
    groups.append(GroupSpec("各相关职能单位", ("各相关职能部门", "市有关部门"), (), choose=True))

    liaisons: dict[str, list[tuple[str, str]]] = {}
    taken: set[str] = set()
    for unit in units:
        people = []
        for _ in range(1 if unit.weight < 1 else 2 if unit.weight < 5 else 3):
            while True:
                name = rng.choice(v.SURNAMES) + "".join(rng.choice(v.GIVEN) for _ in range(rng.choice((1, 2))))
                if name not in taken:
                    taken.add(name)
                    break
            people.append((name, rng.choice(v.TITLES)))
        liaisons[unit.name] = people
    return City(units, groups, liaisons)


def _toml(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def registry_toml(city: City) -> str:
    out = [f"# {v.CITY}: a generated city for benchmarks (bench/generate.py).", "",
           "[[jurisdictions]]", f"name = {_toml(v.CITY)}", 'timezone = "Asia/Shanghai"', ""]
    for unit in city.units:
        out += ["[[units]]", f"jurisdiction = {_toml(v.CITY)}", f"name = {_toml(unit.name)}",
                f"full_name = {_toml(unit.full_name)}"]
        if unit.aliases:
            out.append(f"aliases = {_toml(sorted(unit.aliases))}")
        out += [f"kind = {_toml(unit.kind)}", ""]
    for group in city.groups:
        out += ["[[groups]]", f"jurisdiction = {_toml(v.CITY)}", f"name = {_toml(group.name)}",
                f"aliases = {_toml(list(group.aliases))}"]
        if group.choose:
            out += ["choose = true", 'candidates = "department"']
        else:
            out.append(f"members = {_toml(list(group.members))}")
        out.append("")
    for unit in city.units:
        for number, (name, title) in enumerate(city.liaisons[unit.name]):
            out += ["[[liaisons]]", f"jurisdiction = {_toml(v.CITY)}", f"unit = {_toml(unit.name)}",
                    f"name = {_toml(name)}", f"title = {_toml(title)}",
                    f"contact = {_toml(office_phone(unit.name, number))}", ""]
    return "\n".join(out)


def office_phone(unit: str, number: int) -> str:
    # a stable made-up office number (Python's str hash is salted per process, so not that)
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(unit)) * 7 + number
    return f"0771-8{seed % 10**7:07d}"


# ---------------------------------------------------------------------- plans


def plan_sizes(rng: random.Random, plans: int, tasks: int) -> list[int]:
    """Plans differ in size (a yearly work list has 20 tasks, a five-year programme 600),
    adding up to exactly `tasks`."""
    weights = [rng.lognormvariate(0, 0.8) for _ in range(plans)]
    total = sum(weights)
    floor = max(1, min(10, tasks // plans))
    sizes = [max(floor, round(tasks * w / total)) for w in weights]
    order = sorted(range(plans), key=lambda i: -sizes[i])
    i = 0
    while sum(sizes) != tasks:
        step = 1 if sum(sizes) < tasks else -1
        j = order[i % plans]
        if sizes[j] + step >= floor:
            sizes[j] += step
        i += 1
    return sizes


class UnitPicker:
    """Weighted choice of units for one plan: its policy area's departments come up far more."""

    def __init__(self, city: City, favoured: tuple[str, ...]):
        self.names = [u.name for u in city.units]
        weights = [u.weight * (6 if u.name in favoured else 1) for u in city.units]
        self.cumulative = []
        running = 0.0
        for w in weights:
            running += w
            self.cumulative.append(running)

    def pick(self, rng: random.Random, k: int = 1) -> list[str]:
        return rng.choices(self.names, cum_weights=self.cumulative, k=k)


def _deadline(rng: random.Random, start: date, end: date) -> Deadline:
    roll = rng.random()
    if roll < 0.17:
        return Deadline("ongoing", phrase=rng.choice(("长期坚持", "持续推进", "长期")))
    if roll < 0.29:
        return Deadline("plan_end")
    if roll < 0.39:
        month = rng.choice((2, 3, 6, 12, 12, 12))
        day = "-1" if month == 2 else str(calendar.monthrange(2001, month)[1])
        return Deadline("rule", rule=f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}",
                        phrase=f"每年{month}月底前" if month != 12 else "每年年底前")
    if roll < 0.42:
        return Deadline("rule", rule="FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1", phrase="每季度末")
    year = rng.randint(start.year, end.year)
    month = rng.choice((3, 6, 6, 9, 12, 12, 12, 12))
    due = date(year, month, calendar.monthrange(year, month)[1])
    if due < start or due > end:
        due = end
    phrase = f"{due.year}年底前" if due.month == 12 else f"{due.year}年{due.month}月底前"
    return Deadline("date", due_on=due, phrase=phrase)


def _task_text(rng: random.Random, domain: str) -> tuple[str, tuple[str, str, int] | None]:
    verb, verb2 = rng.sample(v.VERBS, 2)
    obj, obj2 = (o.format(d=domain) for o in rng.sample(v.OBJECTS, 2))
    text = f"{verb}{obj},{rng.choice(v.MEASURES)},{verb2}{obj2}。"
    target = None
    if rng.random() < 0.45:
        indicator, measure, (low, high) = rng.choice(v.INDICATORS)
        value = rng.randint(low, high)
        year = rng.randint(2022, 2028)
        comparator = rng.choice(v.COMPARATORS)
        amount = f"{comparator}{value}{measure}" if comparator in v.COMPARATORS_BEFORE else f"{value}{measure}{comparator}"
        text += f"到{year}年,{indicator.format(d=domain)}{amount}。"
        target = (indicator.format(d=domain), measure, value, year)
    if rng.random() < 0.2:
        text += rng.choice(v.SUBSIDIES).format(d=domain, n=rng.choice((10, 20, 50, 100, 200, 500)))
    return text, target


def build_plan(rng: random.Random, city: City, number: int, size: int) -> PlanFile:
    domain, coordinator, involved = v.DOMAINS[number % len(v.DOMAINS)]
    written = date(rng.randint(2021, 2026), rng.randint(1, 12), rng.randint(1, 28))
    if written > AS_OF - timedelta(days=30):
        written = AS_OF - timedelta(days=rng.randint(30, 200))
    end = date(min(2028, written.year + rng.choice((0, 1, 2, 2, 3, 4))), 12, 31)
    title = rng.choice(v.PLAN_TITLES).format(city=v.CITY, domain=domain, y1=written.year, y2=end.year)
    number_template = rng.choice(v.DOCUMENT_NUMBERS)
    plan = PlanFile(
        key=f"binjiang-{written.year}-{number:03d}", title=title, jurisdiction=v.CITY,
        document_number=number_template.format(y=written.year, n=rng.randint(1, 180), tag=rng.choice("服产规投")),
        issuer=v.ISSUERS[v.DOCUMENT_NUMBERS.index(number_template)],
        coordinator=coordinator if rng.random() < 0.85 else "市发展改革委",
        written_on=written, published_on=written + timedelta(days=rng.randint(1, 20)),
        period_start=written, period_end=end,
    )
    picker = UnitPicker(city, (coordinator, *involved))

    tops = rng.sample(v.TOP_SECTIONS, rng.randint(3, min(7, max(3, size // 6 + 1))))
    flat = rng.random() < 0.3 or size < 12
    slots: list[str] = []  # the section each task goes into
    for t, heading in enumerate(tops, start=1):
        plan.sections.append(Section(str(t), heading.format(d=domain)))
        if flat:
            slots.append(str(t))
            continue
        for s, sub in enumerate(rng.sample(v.SUB_SECTIONS, rng.randint(2, 5)), start=1):
            plan.sections.append(Section(f"{t}.{s}", sub))
            slots.append(f"{t}.{s}")
    counts = {slot: 0 for slot in slots}
    for position in range(size):
        # tasks spread over the sections in order, a few more in some than others
        slot = slots[min(len(slots) - 1, position * len(slots) // size + (1 if rng.random() < 0.1 else 0))]
        counts[slot] += 1
        text, target = _task_text(rng, domain)
        task = Task(key=f"{slot}.{counts[slot]}", text=text, section=slot, deadline=_deadline(rng, written, end))
        _assign(rng, city, picker, coordinator, task)
        plan.tasks.append(task)
        if target and rng.random() < 0.15:
            indicator, measure, value, year = target
            plan.targets.append(Target(indicator=indicator, value=value, measure=measure, year=year,
                                       comparator="以上", task=task.key))
    return plan


_BUREAU_GROUP_BY_DOMAIN = {"现代服务业": "发展改革局", "外贸外资": "商务局", "招商引资": "商务局", "科技创新": "科技局",
                           "先进制造业": "工业和信息化局", "教育": "教育局", "城市更新": "住房城乡建设局",
                           "质量强市": "市场监管局", "乡村振兴": "农业农村局", "文化旅游": "文化和旅游局"}


def _group_for(rng: random.Random, city: City, plan_coordinator: str) -> str:
    roll = rng.random()
    if roll < 0.55:
        return city.district_governments.name
    if roll < 0.7:
        return "各开发区管委会"
    domain = next((d for d, c, _ in v.DOMAINS if c == plan_coordinator), "")
    bureau = _BUREAU_GROUP_BY_DOMAIN.get(domain) or rng.choice(v.DISTRICT_BUREAUS)[0]
    return f"各区(市)县{bureau}"


def _assign(rng: random.Random, city: City, picker: UnitPicker, coordinator: str, task: Task) -> None:
    roll = rng.random()
    if roll < 0.025:
        task.lead = [_group_for(rng, city, coordinator)]
    elif roll < 0.3:
        task.lead = [coordinator]
    elif roll < 0.4:
        task.lead = list(dict.fromkeys(picker.pick(rng, 2)))
    else:
        task.lead = picker.pick(rng)
    count = rng.choices((0, 1, 2, 3, 4), weights=(27, 32, 23, 11, 7))[0]
    responsible = [n for n in dict.fromkeys(picker.pick(rng, count)) if n not in task.lead]
    roll = rng.random()
    if roll < 0.03:
        responsible.append(_group_for(rng, city, coordinator))
    elif roll < 0.033:
        responsible.append("各相关职能单位")
    task.responsible = responsible
    if rng.random() < 0.02:
        task.inherited_responsible = [n for n in picker.pick(rng) if n not in task.lead and n not in responsible]


def build_plans(seed: int, scale: Scale, city: City) -> list[PlanFile]:
    sizes = plan_sizes(random.Random(f"{seed}-sizes"), scale.plans, scale.tasks)
    return [build_plan(random.Random(f"{seed}-plan-{n}"), city, n, size) for n, size in enumerate(sizes, start=1)]


def write_plan_files(seed: int, scale: Scale, folder: Path) -> Path:
    """units.toml and one plan file per plan, as a person would keep them in plans/."""
    folder.mkdir(parents=True, exist_ok=True)
    city = build_city(random.Random(f"{seed}-city"))
    (folder / "units.toml").write_text(registry_toml(city), encoding="utf-8")
    for plan in build_plans(seed, scale, city):
        header = f"{plan.title}\n{plan.document_number}: generated by bench/generate.py (seed {seed}, scale {scale.name})"
        (folder / f"{plan.key}.toml").write_text(dump_plan(plan, header=header), encoding="utf-8")
    return folder


# ---------------------------------------------------------------------- status history


def _moments(rng: random.Random, start: date, count: int) -> list[datetime]:
    """`count` office-hours instants between `start` and AS_OF, oldest first, in UTC."""
    span = max(1, (AS_OF - start).days)
    days = sorted(rng.randrange(span) for _ in range(count))
    out = []
    for offset in days:
        day = start + timedelta(days=offset)
        local = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randrange(60), rng.randrange(60),
                         tzinfo=SHANGHAI)
        out.append(local.astimezone(timezone.utc))
    return out


def _progress(rng: random.Random, kind: str, due_on: date | None, count: int) -> list[tuple[str, int | None]]:
    """A plausible series of (status, percent) reports, ending where tasks like this end up."""
    if kind == "ongoing":
        return [("in_progress" if i == 0 and rng.random() < 0.3 else "ongoing", None) for i in range(count)]
    past_due = due_on is not None and due_on < AS_OF
    final = rng.choices(("done", "behind", "in_progress"), weights=(65, 20, 15) if past_due else (15, 10, 75))[0]
    percents = sorted(rng.randrange(5, 96, 5) for _ in range(count))
    series = [("in_progress", p) for p in percents]
    if final == "done":
        series[-1] = ("done", 100)
    elif final == "behind":
        series[-1] = ("behind", percents[-1])
    if count > 2 and rng.random() < 0.15:
        series[count // 2] = ("behind", series[count // 2][1])
    return series


def write_history(db, seed: int, *, chunk: int = 20_000) -> int:
    """Append years of status updates to every assignment, and bring each assignment's latest
    status and version in line with its history. Core bulk statements, one transaction."""
    from sqlalchemy import bindparam, insert, select, update

    from tracker.store.history import chain_hash
    from tracker.store.models import Assignment, Liaison, Plan, StatusUpdate, Task, Unit

    rng = random.Random(f"{seed}-history")
    updates_table = StatusUpdate.__table__
    assignments_table = Assignment.__table__
    written = 0
    with db.transaction() as session:
        liaisons: dict[int, list[tuple[int, str]]] = {}
        for liaison_id, unit_id, name in session.execute(select(Liaison.id, Liaison.unit_id, Liaison.name).order_by(Liaison.id)):
            liaisons.setdefault(unit_id, []).append((liaison_id, name))
        query = (select(Assignment.id, Assignment.unit_id, Task.deadline_kind, Task.due_on, Plan.published_on,
                        Plan.coordinator_id)
                 .join(Task, Task.id == Assignment.task_id).join(Plan, Plan.id == Task.plan_id)
                 .join(Unit, Unit.id == Assignment.unit_id)
                 .order_by(Plan.key, Task.position, Assignment.role, Unit.name))
        rows = session.execute(query).all()
        pending_updates: list[dict] = []
        pending_latest: list[dict] = []

        def flush() -> None:
            if pending_updates:
                session.execute(insert(updates_table), pending_updates)
            if pending_latest:
                session.execute(
                    update(assignments_table).where(assignments_table.c.id == bindparam("a_id"))
                    .values(status=bindparam("a_status"), percent=bindparam("a_percent"),
                            status_at=bindparam("a_at"), version=bindparam("a_version"),
                            history_hash=bindparam("a_hash")),
                    pending_latest)
            pending_updates.clear()
            pending_latest.clear()

        for assignment_id, unit_id, kind, due_on, published_on, coordinator_id in rows:
            count = rng.choices(range(7), weights=(22, 22, 20, 15, 10, 7, 4))[0]
            start = published_on or date(2021, 1, 1)
            if count == 0 or start >= AS_OF:
                continue
            moments = _moments(rng, start, count)
            series = _progress(rng, kind, due_on, count)
            chained = None  # each assignment's history is new, and chained as store/history.py says
            for at, (status, percent) in zip(moments, series):
                by_unit = coordinator_id if coordinator_id and rng.random() < 0.06 else unit_id
                people = liaisons.get(by_unit) or [(None, None)]
                liaison_id, author = rng.choice(people)
                note = rng.choice(v.NOTES[status]) if status == "behind" or rng.random() < 0.7 else None
                entry = {"assignment_id": assignment_id, "status": status, "percent": percent, "note": note,
                         "liaison_id": liaison_id, "recorded_by_unit_id": by_unit, "author": author,
                         "recorded_at": at, "undoes_id": None}
                chained = entry["chain_hash"] = chain_hash(chained, entry)
                pending_updates.append(entry)
            pending_latest.append({"a_id": assignment_id, "a_status": series[-1][0], "a_percent": series[-1][1],
                                   "a_at": moments[-1], "a_version": count, "a_hash": chained})
            written += count
            if len(pending_updates) >= chunk:
                flush()
        flush()
    return written


# ---------------------------------------------------------------------- summary and command


def unit_sizes(db) -> list[tuple[str, int, int]]:
    """(unit, live assignments, of which dated) for every unit, largest first."""
    from sqlalchemy import func, select

    from tracker.store.models import Assignment, Task, Unit

    query = (select(Unit.name, func.count(), func.count().filter(Task.deadline_kind != "ongoing"))
             .join(Assignment, Assignment.unit_id == Unit.id).join(Task, Task.id == Assignment.task_id)
             .where(Assignment.archived.is_(False), Task.archived.is_(False))
             .group_by(Unit.name).order_by(func.count().desc(), Unit.name))
    with db.reading() as session:
        return [tuple(row) for row in session.execute(query)]


def counts(db) -> dict[str, int]:
    from sqlalchemy import func, select

    from tracker.store.models import Assignment, Plan, StatusUpdate, Task, Unit

    with db.reading() as session:
        return {name: session.scalar(select(func.count()).select_from(model))
                for name, model in (("units", Unit), ("plans", Plan), ("tasks", Task),
                                    ("assignments", Assignment), ("status updates", StatusUpdate))}


def generate(url: str, scale: Scale, seed: int, plans_dir: Path) -> dict:
    from sqlalchemy import func, select

    from tracker.service.loading import load_paths
    from tracker.store.db import Database
    from tracker.store.models import Plan

    db = Database(url)
    try:
        with db.reading() as session:
            if session.scalar(select(func.count()).select_from(Plan)):
                raise SystemExit(f"{url}: the database already holds plans; generate into an empty one")
        started = time.perf_counter()
        write_plan_files(seed, scale, plans_dir)
        written_at = time.perf_counter()
        load_paths(db, [plans_dir])
        loaded_at = time.perf_counter()
        write_history(db, seed)
        done_at = time.perf_counter()
        summary = counts(db)
        summary["seconds"] = {"plan files": round(written_at - started, 1), "plan load": round(loaded_at - written_at, 1),
                              "history": round(done_at - loaded_at, 1)}
        summary["largest units"] = unit_sizes(db)[:12]
        return summary
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--db", help="database URL to fill (an empty one); without it only plan files are written")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plans-dir", type=Path, help="where to write units.toml and the plan files (kept)")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    if not args.db:
        if not args.plans_dir:
            parser.error("give --db, --plans-dir or both")
        write_plan_files(args.seed, scale, args.plans_dir)
        print(f"plan files for scale {scale.name} (seed {args.seed}) in {args.plans_dir}")
        return
    if args.plans_dir:
        summary = generate(args.db, scale, args.seed, args.plans_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="tracker-bench-") as folder:
            summary = generate(args.db, scale, args.seed, Path(folder))
    for key, value in summary.items():
        if key == "largest units":
            print("largest units (assignments, of which dated):")
            for name, total, dated in value:
                print(f"  {name}  {total}  {dated}")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    sys.exit(main())
