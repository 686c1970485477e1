"""The catalogue of standard departments (departments.toml, shipped with the package): how the
units nearly every Chinese province, city, district and the State Council have are named, so
a plan from a jurisdiction the registry does not know yet can still have its unit names
recognised and registry entries proposed for them.

A written name is matched by taking off the jurisdiction (济南市, 松江区, or its bare name 济南)
and the level (市, 区, 县, 省; 市委, 区委 … for the Party's organs) and looking up what is left
among every department's forms: 市发改委, 济南市发展和改革委员会 and 市发展改革委 are all the
发展和改革委员会 form, whose 规范简称 makes the canonical name 市发展改革委.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .units import normalise_name

DATA = Path(__file__).with_name("departments.toml")
NATIONAL, PROVINCE, CITY, DISTRICT = "national", "province", "city", "district"
_LEVEL_CHARS = {PROVINCE: "省", CITY: "市", DISTRICT: "区"}
_NATIONAL_NAMES = ("国务院", "全国", "中华人民共和国", "中国", "国家", "中央")
_GROUP_START = re.compile(r"^(?:各|属地|相关|有关|所在|涉及)")
_COLLECTIVE = re.compile(r"(?:政府|部门|单位|街镇|街道|乡镇|园区|机关|企业|委办局)(?:[(\uff08].*[)\uff09])?$")
_CHOOSE = re.compile(r"有关|相关|属地|所在|涉及|牵头|承担")


@dataclass(frozen=True)
class Form:
    full: str  # 发展和改革委员会
    short: str  # 发展改革委 (规范简称)
    also: tuple[str, ...]  # 发改委 …


@dataclass(frozen=True)
class Department:
    forms: tuple[Form, ...]
    kind: str  # department | agency
    party: bool = False  # an organ of the Party committee: 区委组织部
    full: str | None = None  # a full-name pattern ({j}, {b}) when not jurisdiction + form
    name: str | None = None  # a canonical-name pattern ({b}) when not level + 规范简称: {b}海关


@dataclass(frozen=True)
class Match:
    """What a written name is, in a jurisdiction."""

    written: str
    name: str  # the canonical name to register: 市发展改革委
    full_name: str  # 济南市发展和改革委员会
    kind: str
    department: Department


def level_of(jurisdiction: str) -> str:
    """国务院 → national; 山东省, 广西壮族自治区 → province; 济南市 → city; 松江区, 长清县 → district."""
    if jurisdiction in _NATIONAL_NAMES or jurisdiction.startswith(("国务院", "中华人民共和国")):
        return NATIONAL
    if jurisdiction.endswith(("省", "自治区")):
        return PROVINCE  # 北京市, 上海市 … are province-level but name their units 市…, as cities do
    if jurisdiction.endswith(("区", "县", "旗", "镇", "乡", "街道")) and not jurisdiction.endswith("自治区"):
        return DISTRICT
    return CITY


def _last_part(jurisdiction: str) -> str:
    """上海市松江区 → 松江区: the jurisdiction itself, without the ones above it."""
    return re.split(r"(?<=[省市])(?=.)", jurisdiction)[-1]


def bare(jurisdiction: str) -> str:
    """济南市 → 济南, 松江区 → 松江, 上海市松江区 → 松江 (the name as 济南海关 writes it)."""
    last = _last_part(jurisdiction)
    stripped = re.sub(r"(?:壮族|回族|维吾尔)?(?:自治区|自治州|省|市|区|县|旗)$", "", last)
    return stripped if len(stripped) >= 2 else last


class Catalogue:
    def __init__(self, data: dict):
        self.provinces: tuple[str, ...] = tuple(data.get("provinces", ()))
        self.local = [self._department(e) for e in data.get("local", [])]
        self.national = [self._department(e) for e in data.get("national", [])]
        self._local_index = self._index(self.local)
        self._national_index = self._index(self.national)

    @staticmethod
    def _department(entry: dict) -> Department:
        forms = tuple(Form(names[0], names[1], tuple(names[2:])) for names in entry["names"])
        return Department(forms, entry.get("kind", "department"), bool(entry.get("party", False)), entry.get("full"),
                          entry.get("name"))

    @staticmethod
    def _index(departments: list[Department]) -> dict[str, tuple[Department, Form]]:
        index: dict[str, tuple[Department, Form]] = {}
        for department in departments:
            for form in department.forms:
                for name in (form.short, form.full, *form.also):
                    index.setdefault(normalise_name(name), (department, form))
        return index

    # ------------------------------------------------------------------ matching

    def match(self, written: str, jurisdiction: str) -> Match | None:
        """The standard department a written name stands for in the jurisdiction, if any."""
        name = normalise_name(written)
        if level_of(jurisdiction) == NATIONAL:
            found = self._national_index.get(re.sub(r"^(?:国务院|国家)(?=.{2,})", "", name)) or \
                self._national_index.get(name)
            if found is None:
                return None
            department, form = found
            return Match(written, form.short, form.full, department.kind, department)
        for prefix, core in self._cores(name, jurisdiction):
            found = self._local_index.get(core)
            if found is None:
                continue
            department, form = found
            if department.party != prefix.endswith("委"):
                continue  # 区委办公室 is the Party's office, 区政府办公室 the government's
            name = department.name.format(b=bare(jurisdiction)) if department.name else prefix + form.short
            return Match(written, name, self._full_name(department, form, jurisdiction), department.kind, department)
        return None

    def _cores(self, name: str, jurisdiction: str) -> list[tuple[str, str]]:
        """(level prefix, the rest) readings of a written name, most likely first."""
        level = _LEVEL_CHARS.get(level_of(jurisdiction), "市")
        if jurisdiction.endswith(("县", "旗")):
            level = jurisdiction[-1]
        out = []
        for own in sorted({jurisdiction, _last_part(jurisdiction), bare(jurisdiction)}, key=len, reverse=True):
            name = name.replace(own, level, 1) if name.startswith(own) else name.replace(own, "")
        for prefix in (level + "委", level):
            if name.startswith(prefix) and len(name) > len(prefix):
                out.append((prefix, name[len(prefix):]))
        out.append((level, name))
        # 区委宣传部（区文明办）: the unit, with the offices it speaks for in brackets
        plain = re.sub(r"[(\uff08].*?[)\uff09]", "", name)
        return out + (self._cores(plain, jurisdiction) if plain != name and plain else [])

    @staticmethod
    def _full_name(department: Department, form: Form, jurisdiction: str) -> str:
        if department.full:
            return department.full.format(j=jurisdiction, b=bare(jurisdiction))
        return jurisdiction + ("委" if department.party else "") + form.full

    # ------------------------------------------------------------------ groups

    @staticmethod
    def is_group(written: str) -> bool:
        """各区政府, 各有关部门, 属地街镇, 相关街镇: a collective, not one unit."""
        return bool(_GROUP_START.match(normalise_name(written)))

    @staticmethod
    def is_choice(written: str) -> bool:
        """各有关部门, 属地街镇: the relevant ones among the members, chosen by a person."""
        return bool(_CHOOSE.search(normalise_name(written)))

    def recognises(self, written: str, jurisdiction: str) -> bool:
        """A name the reader may take as one unit: a standard department, or a collective that
        names what it collects (各区政府, 各有关部门; not 各区 alone, which 各区、县级市 continues)."""
        if self.is_group(written):
            return bool(_COLLECTIVE.search(normalise_name(written)))
        return self.match(written, jurisdiction) is not None


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    with DATA.open("rb") as data:
        return Catalogue(tomllib.load(data))
