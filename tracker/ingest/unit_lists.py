"""A list of units as a plan writes it → the unit names it holds.

    split_units("市经贸委、国土房管局等按职责分工负责")  → ["市经贸委", "市国土房管局"]
    split_units("市交通委(科信处、宣传处),各区、市政府")  → ["市交通委(科信处、宣传处)", "各区、市政府"]

The rules, each one a habit of the published texts:
- 、 , , ; ; separate names; so do 及/以及/和/与, but only between two names of bodies
  (市财政局和市税务局), never inside one (市自然资源和规划局, 市文化和旅游局).
- Nothing inside brackets is split: 市交通委(科信处、宣传处), 各相关县<市>区政府.
- A piece that names no body (各区, 各区(市)) shares the suffix of the piece after it, so it
  stays with it: 各区、市政府 and 各区(市)、功能区发展改革部门 are one group each.
- A group written with 各/有关/相关 keeps a 及 part that starts afresh without a level or
  quantifier (各相关县<市>区政府及开发区管委会 is one group; 市委宣传部及各相关部门 is two).
- A level prefix carries across the list: 市经贸委、国土房管局 → 市国土房管局. A piece that
  names its own place (胶州市政府, 青岛西海岸新区管委) or that the caller knows as a name
  (`is_name`, e.g. the unit registry: 青岛海关) keeps its own.
- 等, 按职责分工负责, 负责, 牵头, 配合 … are not part of a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .normalise import fold

# The text is folded first (normalise.fold: （）［］＜＞，；： are their ASCII twins), so only
# ASCII brackets and the CJK ones outside the full-width block need naming here:
# 〈〉《》【】〔〕 are U+3008–3011 and U+3014–3015.
OPENERS = "([<{\u3008\u300a\u3010\u3014"
CLOSERS = ")]>}\u3009\u300b\u3011\u3015"
LIST_SEPARATORS = "\u3001,;"  # 、 , ;
JOINING_WORDS = ("以及", "会同", "及", "和", "与")
LEVEL_PREFIXES = ("市", "省", "区", "县")
QUANTIFIERS = ("各", "有关", "相关", "全市", "全省", "全区", "市直", "省直", "区直", "属地")

# How the name of a body (a unit that can be assigned work) ends.
BODY_SUFFIXES = (
    "局", "委", "办", "厅", "部", "府", "会", "中心", "单位", "部门", "关", "院", "处", "所", "队", "行",
    "公司", "集团", "馆", "站", "社", "组", "室", "署", "联", "协", "校", "大学", "企业", "机构",
    "台", "科", "股", "街道", "镇", "乡", "管委", "园区管理机构", "主管部门", "职能单位", "专班", "团中央",
    "开发区", "经开区", "新区", "园区", "高新区", "保税区", "示范区",
)
# Words that are whole names on their own only as the tail of a collective (各有关部门和单位).
_BARE_SUFFIXES = ("单位", "部门", "机构", "企业")
# A level prefix carries only onto the name of a department of that level (市经贸委、国土房管局 →
# 市国土房管局), never onto a ministry (工业和信息化部), a customs office (济南海关), a branch
# (公安青浦分局) or a kind of body (公共机构, 属地街镇).
_DEPARTMENT_SUFFIXES = ("局", "委", "办", "厅", "委员会", "办公室")
# Words that start with a level's character without naming the level (市场监管总局 is national).
_NOT_A_LEVEL = ("市场", "区域", "县域", "省份", "市民")
# 等 closes an open list; 等和/等及 then adds one more name: …、全国妇联等和各省级人民政府.
_OPEN_LIST_THEN_MORE = re.compile(r"等(?:有关|相关)?(?:部门|单位)?(?:以及|和|及|与)(?=各|有关|相关|[\u4e00-\u9fff]{2})")

# Words written after the names that are not part of any name; longest first.
_TRAILERS = sorted((
    "按职责分工负责", "按照职责分工负责", "按职能分工负责", "按职责分工落实", "按职责负责", "按职责落实",
    "按职责分工负责落实", "按职责组织落实", "按职责组织配合", "按职责分工牵头负责", "按职责牵头负责",
    "组织落实", "组织配合", "组织实施", "分别负责", "共同负责", "负责落实", "牵头负责", "配合落实", "具体负责",
    "负责", "落实", "牵头", "配合", "参与", "协助", "指导", "等单位", "等部门", "等有关单位", "等相关单位",
    "等有关部门", "等相关部门", "等有关部门和单位", "等相关部门和单位", "等有关方面", "等", "按职责分工", "按职责",
), key=len, reverse=True)
_TRAILER_ENDS = tuple({t[-1] for t in _TRAILERS})  # a quick test before trying each

_SPACE = re.compile(r"\s+")


def _without_trailing_brackets(name: str) -> str:
    """市交通委(科信处) → 市交通委; 各区(市) → 各区: what the name ends with outside brackets."""
    while name and name[-1] in CLOSERS:
        depth, i = 0, len(name) - 1
        while i >= 0:
            if name[i] in CLOSERS:
                depth += 1
            elif name[i] in OPENERS:
                depth -= 1
                if depth == 0:
                    break
            i -= 1
        if i <= 0:
            return name
        name = name[:i]
    return name


def names_a_body(name: str) -> bool:
    """Whether a written name ends the way the name of a unit does (局, 委, 政府, 部门 …)."""
    core = _without_trailing_brackets(name.strip())
    return bool(core) and core.endswith(BODY_SUFFIXES)


def strip_trailers(text: str) -> str:
    """Remove 等, 按职责分工负责, 负责 … from the end of a list or a name (repeatedly: 等按职责分工负责)."""
    text = text.strip().rstrip("\u3002.")
    if text in _TRAILERS:
        return ""
    changed = True
    while changed and text.endswith(_TRAILER_ENDS):
        changed = False
        for trailer in _TRAILERS:
            if text.endswith(trailer) and len(text) > len(trailer):
                text = text[: -len(trailer)].rstrip()
                changed = True
                break
    return text


def _top_level_pieces(text: str) -> list[str]:
    """Split at list separators outside brackets."""
    pieces: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS and depth:
            depth -= 1
        if depth == 0 and char in LIST_SEPARATORS:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _depth_map(text: str) -> list[int]:
    depth, out = 0, []
    for char in text:
        if char in OPENERS:
            depth += 1
        out.append(depth)
        if char in CLOSERS and depth:
            depth -= 1
    return out


def _starts_a_group(name: str) -> bool:
    return name.startswith(QUANTIFIERS)


def _split_joined(piece: str, is_name: Callable[[str], bool] | None) -> list[str]:
    """Split 市财政局和市税务局 at 和/及/以及/与, where both sides name bodies."""
    if is_name and is_name(piece):
        return [piece]
    depths = _depth_map(piece)
    for i in range(1, len(piece)):
        if depths[i] != 0:
            continue
        for word in JOINING_WORDS:
            if not piece.startswith(word, i):
                continue
            left, right = piece[:i].strip(), piece[i + len(word):].strip()
            if not left or not right or not names_a_body(left):
                continue
            if not (names_a_body(right) or _starts_a_group(right)) or right in _BARE_SUFFIXES:
                continue  # 各有关部门和单位 is one collective
            known = is_name is not None and is_name(left) and is_name(right)
            # 各相关县<市>区政府及开发区管委会: the quantifier governs both sides; one group.
            if (not known and _starts_a_group(left) and not _starts_a_group(right)
                    and not right.startswith(LEVEL_PREFIXES)):
                continue
            return [left, *_split_joined(right, is_name)]
    return [piece]


def _has_own_place(name: str) -> bool:
    """胶州市政府, 青岛西海岸新区管委, 开发区管委会: the name says where it is."""
    return any(level in _without_trailing_brackets(name) for level in LEVEL_PREFIXES)


def _takes_level(name: str) -> bool:
    core = _without_trailing_brackets(name)
    return core.endswith(_DEPARTMENT_SUFFIXES) and not core.endswith("分局")


def split_units(text: str, *, is_name: Callable[[str], bool] | None = None) -> list[str]:
    """The unit names in a written list, cleaned, in order, without repeats.

    The list may be written with full-width punctuation; the names come back folded
    (normalise.fold), which the unit registry compares equal to the published form.
    `is_name`, when given, says whether a string is a known unit name (the registry's lookup);
    it settles the cases the writing alone cannot: a known name is never split or prefixed.
    """
    text = _OPEN_LIST_THEN_MORE.sub("\u3001", fold(_SPACE.sub("", text or "")))
    text = strip_trailers(text)
    if not text:
        return []
    pieces: list[str] = []
    for raw in _top_level_pieces(text):
        raw = strip_trailers(raw)
        if raw:
            pieces.extend(_split_joined(raw, is_name))

    # 各区、市政府: a piece that names no body shares the next piece's suffix.
    joined: list[str] = []
    pending = ""
    for piece in pieces:
        candidate = f"{pending}、{piece}" if pending else piece
        if names_a_body(piece) or (is_name and is_name(piece)):
            joined.append(candidate)
            pending = ""
        else:
            pending = candidate
    if pending:
        joined.append(pending)

    # 市经贸委、国土房管局 → 市国土房管局
    names: list[str] = []
    level = None
    for name in joined:
        name = strip_trailers(name)
        if not name:
            continue
        if name.startswith(LEVEL_PREFIXES) and not name.startswith(QUANTIFIERS + _NOT_A_LEVEL):
            level = name[0]
        elif (level and not _starts_a_group(name) and not _has_own_place(name)
              and not (is_name and is_name(name)) and _takes_level(name)):
            name = level + name
        if name not in names:
            names.append(name)
    return names
