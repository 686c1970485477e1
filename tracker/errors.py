"""The exceptions users see: a refusal that carries its data and is worded where it is shown.

A layer that refuses raises one of these with an English message id (marked `N_()` for the
catalogue) and the refusal's data as named fields: `UnknownUnit(name=..., jurisdiction=...,
candidates=(...))`, `TrackerError(N_("percent must be between 0 and 100, not {percent}"),
percent=150)`. Nothing is worded when it is raised: `str(exc)` words it in the language of
the process (the CLI's --lang, the app's), `exc.words("en")` in any other (the feed server's
?lang=), and a front end that wants to say it its own way reads the fields. No front end needs
to match English text.

`where` names the place (file, file:line, row, field); lists in fields are joined as the
language joins them (市商务局、市财政局 / 市商务局, 市财政局).
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:  # the catalogue's marker (tracker.i18n.N_), without importing it here
    return message


class TrackerError(Exception):
    """Bad input or a refused command. The CLI prints the message and exits non-zero."""

    exit_code = 2
    message = ""  # a subclass's message id, when it has one

    def __init__(self, message: str = "", *, where: str | Phrase | None = None, **fields: Any):
        self.template = message or type(self).message
        self.where = where
        self.fields = fields
        super().__init__(self.template)

    def __getattr__(self, name: str) -> Any:  # the fields read as attributes: exc.candidates
        fields = self.__dict__.get("fields")
        if fields is not None and name in fields:
            return fields[name]
        raise AttributeError(name)

    def sentence(self, lang: str | None = None) -> str:
        """The message, without the place, in `lang` (default: the process's language)."""
        from .i18n import gettext_in, language

        lang = lang or language()
        text = gettext_in(lang, self.template)
        if not self.fields:
            return text
        return text.format(**{k: shown(v, lang) for k, v in self.fields.items()})

    def words(self, lang: str | None = None) -> str:
        """The message with its place in front, in `lang` (default: the process's language)."""
        from .i18n import gettext_in, language

        lang = lang or language()
        text = self.sentence(lang)
        if self.where:
            return gettext_in(lang, N_("{where}: {message}")).format(where=shown(self.where, lang), message=text)
        return text

    def __str__(self) -> str:
        return self.words()

    def at(self, where: str) -> TrackerError:
        """The same refusal, placed (a file's name in front of what was found inside it)."""
        if not self.where:
            self.where = where
        elif isinstance(self.where, str) and not self.where.startswith(where):
            self.where = f"{where}: {self.where}"
        return self


class Phrase:
    """Words said later, in the language of the moment they are shown: a place that is not a
    file name (Phrase(N_("liaison {name} of {unit}"), ...)), a part of a sentence."""

    def __init__(self, message: str, **fields: Any):
        self.message, self.fields = message, fields

    def words(self, lang: str | None = None) -> str:
        from .i18n import gettext_in, language

        lang = lang or language()
        text = gettext_in(lang, self.message)
        return text.format(**{k: shown(v, lang) for k, v in self.fields.items()}) if self.fields else text

    def __str__(self) -> str:
        return self.words()

    def __repr__(self) -> str:
        return f"Phrase({self.message!r})"


class Plural(Phrase):
    """A Phrase that counts: Plural("{n} task", "{n} tasks", n=3), in the language's plural form
    when shown. The two forms are plain literals: the catalogue's extraction reads them as
    ngettext's (tracker/locale/extract.py)."""

    def __init__(self, singular: str, plural: str, n: int, **fields: Any):
        super().__init__(singular, n=n, **fields)
        self.plural = plural

    def words(self, lang: str | None = None) -> str:
        from .i18n import language, ngettext_in

        lang = lang or language()
        text = ngettext_in(lang, self.message, self.plural, self.fields["n"])
        return text.format(**{k: shown(v, lang) for k, v in self.fields.items()})


def shown(value: Any, lang: str) -> Any:
    """A field as a sentence shows it: lists joined the language's way, refusals and lazy
    messages worded in `lang`, everything else as it is (str.format does the rest)."""
    from .i18n import gettext_in, lazy

    if isinstance(value, (TrackerError, Phrase)):
        return value.words(lang)
    if callable(value):  # a value that depends on the language: lambda lang: [labels in lang]
        return shown(value(lang), lang)
    if isinstance(value, lazy):
        return gettext_in(lang, value.message)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return gettext_in(lang, N_(", ")).join(str(shown(v, lang)) for v in items) or gettext_in(lang, N_("(none)"))
    return value


class NotFound(TrackerError):
    """A unit, plan or task that does not exist."""


class UnknownJurisdiction(NotFound):
    """A jurisdiction no registry has: `known` lists those that are."""

    def __init__(self, name: str, known, *, where: str | None = None):
        super().__init__(N_("unknown jurisdiction {name!r}; known: {known}"), where=where,
                         name=name, known=tuple(known))


class UnknownUnit(NotFound):
    """A unit name nobody has (in `jurisdiction`, when given): `candidates` are the closest
    known names, for the person to choose from."""

    def __init__(self, name: str, jurisdiction: str | None = None, candidates=(), *, where: str | None = None):
        super().__init__(N_("unknown unit {name!r}"), where=where, name=name, jurisdiction=jurisdiction,
                         candidates=tuple(candidates))

    @property
    def suggestions(self) -> list[str]:
        return list(self.fields["candidates"])

    def sentence(self, lang: str | None = None) -> str:
        from .i18n import gettext_in, language

        lang = lang or language()
        f = self.fields
        if f["jurisdiction"]:
            text = gettext_in(lang, N_("unknown unit {name!r} in {jurisdiction}")).format(name=f["name"],
                                                                                         jurisdiction=f["jurisdiction"])
        else:
            text = gettext_in(lang, N_("unknown unit {name!r}")).format(name=f["name"])
        if f["candidates"]:
            text += gettext_in(lang, N_("; closest known names: {names}")).format(names=shown(f["candidates"], lang))
        return text


class AmbiguousUnit(NotFound):
    """A unit name that several jurisdictions use (市商务局): the caller must say which."""

    def __init__(self, name: str, jurisdictions: tuple[str, ...]):
        super().__init__(N_("{name!r} exists in several jurisdictions ({jurisdictions}); add --jurisdiction"),
                         name=name, jurisdictions=tuple(jurisdictions))


class UnknownPlan(NotFound):
    """A plan key no plan has: `known` lists the keys that are."""

    def __init__(self, key: str, known):
        super().__init__(N_("unknown plan {key!r}; known plans: {known}"), key=key, known=tuple(known))


class UnknownTask(NotFound):
    def __init__(self, plan: str, task: str):
        super().__init__(N_("plan {plan} has no task {task!r}"), plan=plan, task=task)


class Refusals(TrackerError):
    """Several refusals at once (every bad line of every file): a heading, then one line each."""

    def __init__(self, heading: str, problems, **fields: Any):
        super().__init__(heading, problems=tuple(problems), **fields)

    def sentence(self, lang: str | None = None) -> str:
        from .i18n import gettext_in, language

        lang = lang or language()
        fields = {k: shown(v, lang) for k, v in self.fields.items() if k != "problems"}
        heading = gettext_in(lang, self.template).format(**fields)
        return "\n  ".join([heading, *(str(shown(p, lang)) for p in self.fields["problems"])])


class Archived(TrackerError):
    """A task (or assignment) the plan no longer has: kept, archived, not to be updated."""

    def __init__(self, plan: str, task: str):
        super().__init__(N_("task {task} of plan {plan} was removed from the plan (archived)"), plan=plan, task=task)


class UnknownStatus(TrackerError):
    """A status that is none of the five (by code or by label in either language)."""

    def __init__(self, text: str):
        from .i18n import STATUSES, status_label

        super().__init__(N_("unknown status {text!r}; use one of {codes}"), text=text, codes=STATUSES,
                         labels=lambda lang: [status_label(c, lang) for c in STATUSES])


class DatabaseError(TrackerError):
    """The database refused or could not be reached (gone away, locked past the busy timeout,
    disk full). Raised at the store's edge in place of the driver's own error, so no front end
    needs to know which driver is underneath. `reason` is the driver's (or server's) own words."""

    exit_code = 3

    def __init__(self, reason: str):
        super().__init__(N_("database: {reason}"), reason=reason)


class PermissionDenied(TrackerError):
    """A liaison tried to update an assignment that is not theirs."""

    exit_code = 4


class NotAssigned(PermissionDenied):
    """`unit` has no assignment on the task."""

    def __init__(self, unit: str, plan: str, task: str):
        super().__init__(N_("{unit} is not assigned to task {task} of plan {plan}"), unit=unit, plan=plan, task=task)


class NotYours(PermissionDenied):
    """`acting` tried to record `owner`'s status; only the owner and the plan's coordinator may."""

    def __init__(self, acting: str, owner: str, task: str, coordinator: str | None):
        super().__init__(N_("{acting} may not update {owner}'s status on task {task}: only {owner}'s own "
                            "liaison or the plan's coordinator ({coordinator}) may")
                         if coordinator else
                         N_("{acting} may not update {owner}'s status on task {task}: only {owner}'s own liaison may"),
                         acting=acting, owner=owner, task=task, coordinator=coordinator)


class NothingToUndo(TrackerError):
    """Undo asked for where there is no update, or the latest entry is itself an undo."""

    def __init__(self, message: str, *, already_undone: bool = False, **fields: Any):
        super().__init__(message, already_undone=already_undone, **fields)


class Conflict(TrackerError):
    """Someone else recorded an update since the caller last looked.

    `newer` is the latest history entry (who, when, what); `state` the assignment as it is now
    (status, percent, version): enough to show the newer update and base the next try on it."""

    exit_code = 5

    def __init__(self, message: str, *, newer=None, state=None, **fields: Any):
        super().__init__(message, newer=newer, state=state, **fields)


# tomllib's own messages (Python 3.11–3.13 word them in English inside the exception's text),
# so that a TOML syntax error reads in the user's language too; {x} stands for the part tomllib
# fills in, and a message not listed here is shown as tomllib wrote it
TOML_MESSAGES = (
    N_("Cannot declare {key} twice"), N_("Cannot mutate immutable namespace {key}"), N_("Cannot overwrite a value"),
    N_("Cannot redefine namespace {key}"), N_("Duplicate inline table key {key}"),
    N_("Escaped character is not a Unicode scalar value"), N_("Expected '=' after a key in a key/value pair"),
    N_("Expected ']' at the end of a table declaration"), N_("Expected ']]' at the end of an array declaration"),
    N_("Expected newline or end of document after a statement"), N_("Found invalid character {char}"),
    N_("Illegal character {char}"), N_("Invalid date or datetime"), N_("Invalid hex value"),
    N_("Invalid initial character for a key part"), N_("Invalid statement"), N_("Invalid value"),
    N_("Unclosed array"), N_("Unclosed inline table"), N_("Unescaped '\\' in a string"), N_("Unterminated string"),
)


def _toml_key(text: str) -> str:
    """tomllib writes a key as a tuple's repr, ('plan', 'key'): as the file writes it, plan.key."""
    import ast

    if text.startswith("("):
        try:
            parts = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if isinstance(parts, tuple) and all(isinstance(p, str) for p in parts):
            return repr(".".join(parts))
    return text


def toml_error(exc: Exception, path: str) -> TrackerError:
    """A TOML syntax error (tomllib's) as a refusal: the file and line as its place, tomllib's
    reason in the user's language."""
    import re

    text = str(getattr(exc, "msg", None) or exc)
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    found = re.search(r" \(at line (\d+), column (\d+)\)$| \(at end of document\)$", text)
    if found:
        if found.group(1):
            line, column = line or int(found.group(1)), column or int(found.group(2))
        text = text[:found.start()]
    reason: Any = text
    for message in TOML_MESSAGES:
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(message)) + "$"
        matched = re.match(pattern, text)
        if matched:
            parts = {name: _toml_key(value) for name, value in matched.groupdict().items()}
            reason = TrackerError(message, **parts)
            break
    where = f"{path}:{line}:{column}" if line and column else f"{path}:{line}" if line else path
    return TrackerError(N_("TOML syntax error: {reason}"), where=where, reason=reason)
