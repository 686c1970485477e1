"""The TOML files people write (plan files, the unit registry): read, checked against one
declared schema, and every refusal placed at its file and line.

    parse(text, name)          TOML -> dict; a syntax error or nesting past what the reader
                               allows is refused with the file and line
    Lines(text).line(path)     the line a key path (("tasks", 3, "deadline")) was written on
    SchemaErrors               every schema violation of one file, each with file:line and field,
                               in the user's language
    line, text, key, Date ...  the field types the schemas are declared with (pydantic v2)

pydantic checks every field's type (strictly: a number is not text, a date with a time is not a
date, true is not a number), its size and its characters; what the schema cannot say (a time
zone, a recurrence rule, a unit listed twice) the schemas check in their own validators and
report through `refuse()`, so every message goes through the one catalogue.
"""

from __future__ import annotations

import math
import re
import reprlib
import tomllib
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from .errors import N_, Phrase, Plural, TrackerError, shown, toml_error
from .i18n import gettext_in, language

# ---------------------------------------------------------------------- field types

# one line of text: no control characters (C0, DEL, C1) and no bidirectional overrides, which
# would break a mail header, a log line or a terminal, or make a name read as another
_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f" + "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069" + r"]*$"
# running text (a task's text, a section's title): line breaks and tabs, no other control character
_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# a key: a safe slug, usable as a file name (KEY.ics) and a URL segment
KEY_RE = r"^[0-9A-Za-z][0-9A-Za-z._-]*$"

TEXT_LIMIT = 20_000  # characters of a task's text or a section's title (the longest published: ~3,000)
MAX_DEPTH = 32  # arrays and inline tables nested deeper than this are refused before reading


def line(max_length: int, *, required: bool = False, strip: bool = False) -> StringConstraints:
    """One line of text of at most `max_length` characters (the database column's width);
    `required`: not empty (after stripping, with `strip`). Used as Annotated[str, line(64)]."""
    return StringConstraints(min_length=1 if required else 0, max_length=max_length, pattern=_LINE_PATTERN,
                             strip_whitespace=strip)


def text(max_length: int = TEXT_LIMIT, *, required: bool = False, strip: bool = False) -> StringConstraints:
    """Running text: line breaks allowed, no other control character."""
    return StringConstraints(min_length=1 if required else 0, max_length=max_length, pattern=_TEXT_PATTERN,
                             strip_whitespace=strip)


def key(max_length: int) -> StringConstraints:
    """A key (a safe slug): Annotated[str, key(64)]."""
    return StringConstraints(min_length=1, max_length=max_length, pattern=KEY_RE)


def refuse(message: Phrase) -> PydanticCustomError:
    """A validator's refusal (raise it); its message is worded when shown."""
    return PydanticCustomError("tracker", "{message}", {"message": message})


DateText = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
# a TOML date, or the same written as a string ("2022-12-31", turned into a date by the reader);
# never a datetime (a subclass of date in Python, refused by the strict check: a reload must
# compare like with like) nor a number
Date = date | DateText
Year = Annotated[int, Field(ge=1000, le=9999)]
# an int stays an int (15, not 15.0, when the plan is written back); true is not a number
Number = Annotated[int, Field(ge=-10**15, le=10**15)] | Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]


def date_problem(value: Any) -> Phrase:
    if isinstance(value, datetime):
        return Phrase(N_("must be a date like 2022-12-31, without a time of day"))
    return Phrase(N_("must be a date like 2022-12-31"))


def number_problem(value: Any) -> Phrase:
    if isinstance(value, float) and not math.isfinite(value):
        return Phrase(N_("must be a finite number, not nan or inf"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Phrase(N_("must be at most {limit}"), limit="1e15")
    return Phrase(N_("must be a number"))


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def _known_zone(value: Any) -> Any:
    if not isinstance(value, str):
        raise refuse(Phrase(N_("must be a time zone name in quotes, such as \"Asia/Shanghai\"")))
    if value not in _zones():
        raise refuse(Phrase(N_("unknown time zone {zone}; use an IANA name such as Asia/Shanghai"), zone=short(value)))
    return value


TimeZone = Annotated[str, BeforeValidator(_known_zone)]


def short(value: Any, limit: int = 60) -> str:
    """A value as it may be quoted in a message: its repr, cut, and bounded in depth (a list
    nested 10,000 deep has a repr Python cannot build)."""
    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother, r.maxlist, r.maxdict = 3, limit, limit, 4, 4
    return r.repr(value)


# ---------------------------------------------------------------------- reading


def parse(text: str, name: str) -> dict:
    """TOML -> dict. rtoml (Rust) reads a large file about ten times faster than tomllib; when it
    refuses a file, tomllib reads it again so the message and its line are tomllib's. Nesting
    deeper than either reader can follow is refused with the line it starts on."""
    try:
        import rtoml
    except ImportError:  # an installation without the accelerator still reads every file
        fast = False
    else:
        fast = True
    if fast:
        try:
            return rtoml.loads(text)
        except rtoml.TomlParsingError as exc:
            deep = "recursion" in str(exc)
            fast_error = str(exc)
        except (ValueError, OverflowError) as exc:  # a number past 64 bits: tomllib reads it, the schema bounds it
            deep, fast_error = False, str(exc)
    else:
        deep, fast_error = False, ""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, name) from None
    except RecursionError:
        deep = True
    if deep:
        found = re.search(r"at line (\d+)", fast_error)
        line = int(found.group(1)) if found else _deep_line(text)
        raise TrackerError(N_("arrays or tables nested more deeply than {n} levels"), n=MAX_DEPTH,
                           where=f"{name}:{line}")
    raise AssertionError("unreachable")  # pragma: no cover


def _deep_line(text: str) -> int:
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
        if depth > MAX_DEPTH:
            return number
    return 1


def read_text(path, what: Phrase) -> str:
    """A file's text, or a refusal naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrackerError(N_("cannot read {what}: {reason}"), what=what, reason=exc.strerror,
                           where=str(path)) from None
    except UnicodeDecodeError:
        raise TrackerError(N_("not a UTF-8 text file"), where=str(path)) from None


# ---------------------------------------------------------------------- where things are

_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")  # matched from a line's start
_INDENTED_HEADER = re.compile(r"\n[ \t]+\[")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[=.]""")


def _bare(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


class Lines:
    """Finds the line a value was written on, so refusals can name it (neither TOML reader keeps
    positions). The tables' header lines ([plan], the n-th [[tasks]]) are found on first use by
    a quick scan; the line of every key within them only when something is to be placed."""

    def __init__(self, text: str):
        self.text = text
        self._headers: dict[str, list[int]] | None = None
        self._keys: dict[int, dict[str, int]] | None = None

    @property
    def headers(self) -> dict[str, list[int]]:
        """"[[tasks]]" -> the lines of each [[tasks]] header, "[plan]" -> [line]."""
        if self._headers is None:
            headers: dict[str, list[int]] = {}
            text = self.text
            # the lines that open with "[": found by str.find (50,000 tasks in a few milliseconds),
            # indented ones (rare) by a regular expression
            starts = [0] if text.startswith("[") else []
            at = text.find("\n[")
            while at >= 0:
                starts.append(at + 1)
                at = text.find("\n[", at + 2)
            starts.extend(m.start() + 1 for m in _INDENTED_HEADER.finditer(text))
            number, last = 1, 0
            for start in sorted(starts):
                number += text.count("\n", last, start)
                last = start
                end = text.find("\n", start)
                header = _HEADER.match(text, start, len(text) if end < 0 else end)
                if header:
                    brackets, name = header.group(1), header.group(2)
                    if '"' in name or "'" in name or " " in name:
                        name = ".".join(_bare(p.strip()) for p in name.split("."))
                    headers.setdefault(f"{brackets}{name}{']' * len(brackets)}", []).append(number)
            self._headers = headers
        return self._headers

    @property
    def keys(self) -> dict[int, dict[str, int]]:
        """header line (0: before any table) -> key -> the first line it is written on."""
        if self._keys is None:
            keys: dict[int, dict[str, int]] = {0: {}}
            current = 0
            header_lines = {n for lines in self.headers.values() for n in lines}
            for number, line in enumerate(self.text.split("\n"), start=1):
                if number in header_lines:
                    current = number
                    keys[current] = {}
                    continue
                found = _KEY.match(line)
                if found:
                    keys[current].setdefault(_bare(found.group(1)), number)
            self._keys = keys
        return self._keys

    def header(self, table: str, index: int | None = None) -> int | None:
        """The line of [table], or of the index-th [[table]]."""
        if index is None:
            found = self.headers.get(f"[{table}]")
            return found[0] if found else None
        found = self.headers.get(f"[[{table}]]", [])
        return found[index] if index < len(found) else None

    def line(self, path: Iterable[Any]) -> int:
        """The line of a key path into the data: ("plan", "key"), ("tasks", 3, "deadline", "rrule"),
        ("units",). Falls back to the nearest enclosing table, then to line 1."""
        path = list(path)
        if not path:
            return 1
        top = str(path[0])
        if len(path) >= 2 and isinstance(path[1], int):
            start = self.header(top, path[1])
            rest = path[2:]
        else:
            start = self.header(top)
            rest = path[1:]
        if start is None:  # a top-level key (tasks = 5), or a table written some other way
            line = self.keys[0].get(top)
            if line is None:
                prefix = [n for h, lines in self.headers.items() for n in lines
                          if h.strip("[]") == top or h.strip("[]").startswith(top + ".")]
                line = min(prefix) if prefix else 1
            return line
        for key in rest:
            if isinstance(key, str):
                found = self.keys.get(start, {}).get(key)
                return found if found is not None else start
        return start


# ---------------------------------------------------------------------- messages


def _data_path(data: Any, loc: tuple, kind: str) -> list[Any]:
    """pydantic's location, keeping only the steps that index the data (a union's member names
    and validator tags are dropped); a missing key is named though it is not in the data."""
    path: list[Any] = []
    node = data
    for number, step in enumerate(loc):
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            path.append(step)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            path.append(step)
            node = node[step]
        elif kind == "missing" and number == len(loc) - 1 and isinstance(step, str):
            path.append(step)
    return path


def _node(data: Any, path: list[Any]) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def field_name(path: list[Any]) -> str:
    """tasks[3].deadline.rrule is written `deadline.rrule` (the line names the task); lead[2] keeps its index."""
    out = ""
    for i, step in enumerate(path):
        if isinstance(step, int):
            if i == 1:
                continue
            out += f"[{step}]"
        else:
            out += ("." if out else "") + step
    return out


def _problem(error: Any, arrays: tuple[str, ...], path: list[Any]) -> Message:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "tracker":
        return ctx.get("message", error["msg"])
    if kind == "missing":
        return Phrase(N_("required, but missing"))
    if kind == "extra_forbidden":
        return Phrase(N_("unknown field (check its spelling)"))
    if kind == "string_type":
        return Phrase(N_("must be text in quotes"))
    if kind == "string_too_short":
        return Phrase(N_("must not be empty"))
    if kind == "string_too_long":
        return Plural("may be at most {n} character long", "may be at most {n} characters long", n=ctx["max_length"])
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        if pattern == KEY_RE:
            return Phrase(N_("may hold only letters, digits, '.', '-' and '_' (starting with a letter or digit), on one line"))
        if pattern == _LINE_PATTERN:
            return Phrase(N_("must be one line without control characters"))
        return Phrase(N_("must not contain control characters (such as NUL)"))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Phrase(N_("must be a whole number"))
    if kind in ("greater_than_equal", "greater_than"):
        return Phrase(N_("must be at least {limit}"), limit=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return Phrase(N_("must be at most {limit}"), limit=ctx.get("le", ctx.get("lt")))
    if kind in ("float_type", "float_parsing"):
        return Phrase(N_("must be a number"))
    if kind == "finite_number":
        return Phrase(N_("must be a finite number, not nan or inf"))
    if kind == "bool_type":
        return Phrase(N_("must be true or false"))
    if kind == "list_type":
        if len(path) == 1 and path[0] in arrays:
            return Phrase(N_("must be written as [[{name}]] tables"), name=path[0])
        return Phrase(N_("must be a list [...]"))
    if kind == "too_long":
        return Plural("may hold at most {n} item", "may hold at most {n} items", n=ctx["max_length"])
    if kind == "too_short":
        return Phrase(N_("must not be empty"))
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        if len(path) == 2 and path[0] in arrays:
            return Phrase(N_("must be a [[{name}]] table"), name=path[0])
        return Phrase(N_("must be a table"))
    if kind == "literal_error":
        # pydantic says the choices in English ("'a' or 'b'"): listed again the language's way
        return Phrase(N_("must be one of: {choices}"), choices=re.findall(r"'[^']*'", ctx.get("expected", "")))
    if kind == "date_type":
        return Phrase(N_("must be a date like 2022-12-31"))
    return error["msg"]  # pragma: no cover - a constraint the schemas do not use


# what is wrong with a field: worded when shown (a refusal of another layer is worded as it words itself)
Message = Phrase | TrackerError | str


class SchemaErrors(TrackerError):
    """Every violation of one file's schema. `problems` is a list of (file:line, field, message),
    the message a Phrase worded when shown; `where` is the file."""

    SHOWN = 20

    def __init__(self, problems: list[tuple[str, str, Message]]):
        where = problems[0][0].rsplit(":", 1)[0] if problems else None  # the file, without its line
        super().__init__("", where=where, problems=tuple(problems))
        self.problems = problems

    def sentence(self, lang: str | None = None) -> str:
        lang = lang or language()
        said = []
        for where, field, message in self.problems[: self.SHOWN]:
            problem = shown(message, lang)
            if field:
                problem = gettext_in(lang, N_("{field}: {problem}")).format(field=field, problem=problem)
            said.append(gettext_in(lang, N_("{where}: {message}")).format(where=where, message=problem))
        if len(self.problems) > self.SHOWN:
            said.append(shown(Plural("… and {n} more problem", "… and {n} more problems",
                                     n=len(self.problems) - self.SHOWN), lang))
        return "\n  ".join(said)

    def words(self, lang: str | None = None) -> str:
        return self.sentence(lang)  # each line names its file and line already


def _field_of(path: list[Any]) -> tuple:
    """The field an error is about: ("tasks", 3, "lead") for tasks[3].lead[0], ("plan", "key")."""
    for i, step in enumerate(path):
        if isinstance(step, str) and i > 0:
            return tuple(path[: i + 1])
    return tuple(path)


def validate(model: Any, data: dict, name: str, lines: Lines, arrays: tuple[str, ...],
             unions: dict[str, Callable[[Any], Phrase]] | None = None) -> Any:
    """data against the schema `model`, or SchemaErrors naming each problem's file, line and field.
    A field of several kinds (`unions`: field name -> its message) gets one message: the one
    about what is inside it when the value was of the right kind, else the field's own."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        unions = unions or {}
        grouped: dict[tuple, list[tuple[list[Any], Any]]] = {}
        for error in exc.errors(include_url=False, include_input=False):
            path = _data_path(data, error["loc"], error["type"])
            grouped.setdefault(_field_of(path), []).append((path, error))
        problems: list[tuple[str, str, Message]] = []
        for field, errors in grouped.items():
            if field and isinstance(field[-1], str) and field[-1] in unions and len(field) > 1:
                own = [e for e in errors if e[1]["type"] == "tracker"] or [e for e in errors if len(e[0]) > len(field)]
                if own:
                    errors = own[:1]
                else:
                    path = list(field)
                    problems.append((f"{name}:{lines.line(path)}", field_name(path),
                                     unions[field[-1]](_node(data, path))))
                    continue
            for path, error in errors:
                problems.append((f"{name}:{lines.line(path)}", field_name(path), _problem(error, arrays, path)))
        raise SchemaErrors(problems) from None


def problem_at(name: str, lines: Lines, path: list[Any], message: Message) -> SchemaErrors:
    """A refusal the schema's own checks cannot place (a key listed twice, an unknown section)."""
    return SchemaErrors([(f"{name}:{lines.line(path)}", field_name(path), message)])


Locator = Callable[[list[Any]], str]
