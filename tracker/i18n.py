"""Words the users read: Chinese first, English with --lang en.

One catalogue, gettext's: messages are written in the code in English (`_("...")`,
`ngettext(...)` for counts) and translated by tracker/locale/zh/LC_MESSAGES/tracker.po; English
needs no catalogue. The language is set once per command (`set_language`, from --lang or
TRACKER_LANG, wherever --lang stands on the command line); code that serves several languages at
once (the feed server's ?lang=) asks `translation(lang)` instead.

The .po file is the one source: the first run after it changes compiles it (Babel) into the
tracker.mo beside it, which the standard library's gettext reads quickly from then on.

Statuses and roles have a stable code in the database and a label per language.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterable
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
DOMAIN = "tracker"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_current = DEFAULT_LANGUAGE
_translations: dict[str, _gettext.NullTranslations] = {}


# ---------------------------------------------------------------------- the language


def set_language(lang: str | None) -> None:
    """The language of everything this process prints from now on (zh unless told en)."""
    global _current
    _current = lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def language() -> str:
    return _current


def language_from(args: Iterable[str], environ=os.environ) -> str:
    """The language asked for by `--lang X` / `--lang=X` anywhere in `args` (before a `--`),
    else TRACKER_LANG, else Chinese."""
    found = environ.get("TRACKER_LANG") or DEFAULT_LANGUAGE
    args = list(args)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--lang="):
            found = arg.split("=", 1)[1]
    return found if found in LANGUAGES else DEFAULT_LANGUAGE


# ---------------------------------------------------------------------- the catalogue


def _compiled(lang: str) -> _gettext.NullTranslations:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return _gettext.NullTranslations()  # English: the messages are the English text
    mo = po.with_suffix(".mo")
    try:
        fresh = mo.stat().st_mtime_ns >= po.stat().st_mtime_ns
    except OSError:
        fresh = False
    if not fresh:
        data = compile_catalogue(po)
        try:
            _write_beside(mo, data)
        except OSError:  # an installed package we may not write to: use it from memory
            import io

            return _gettext.GNUTranslations(io.BytesIO(data))
    with mo.open("rb") as f:
        return _gettext.GNUTranslations(f)


def compile_catalogue(po: Path) -> bytes:
    """The .mo bytes of a .po file (untranslated and fuzzy entries left out, as msgfmt does)."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalogue = read_po(f)
    out = io.BytesIO()
    write_mo(out, catalogue)
    return out.getvalue()


def _write_beside(path: Path, data: bytes) -> None:
    # renamed into place whole, so two commands starting at once never read half a file
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def translation(lang: str | None = None) -> _gettext.NullTranslations:
    lang = lang or _current
    if lang not in _translations:
        _translations[lang] = _compiled(lang)
    return _translations[lang]


def _(message: str) -> str:
    """`message` (English, as written in the code) in the current language."""
    return translation().gettext(message)


def pgettext(context: str, message: str) -> str:
    """`message` where the same English word means different things: pgettext("column", "role")."""
    return translation().pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translation().npgettext(context, singular, plural, n)


def ngettext(singular: str, plural: str, n: int) -> str:
    """A count's phrase: ngettext("{n} task", "{n} tasks", n).format(n=n)."""
    return translation().ngettext(singular, plural, n)


def gettext_in(lang: str, message: str) -> str:
    """`message` in a language other than the process's (the feed server's ?lang=)."""
    return translation(lang).gettext(message)


def ngettext_in(lang: str, singular: str, plural: str, n: int) -> str:
    return translation(lang).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; `_()` translates it where it is shown."""
    return message


class lazy:
    """A message translated when it is read (str(), %, .format()), for text defined at import
    time and shown later: click's version message, constants in tables."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message

    def __str__(self) -> str:
        return _(self.message)

    def __mod__(self, values):
        return str(self) % values

    def format(self, *args, **kwargs) -> str:
        return str(self).format(*args, **kwargs)

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(self.message)

    def __repr__(self) -> str:
        return f"lazy({self.message!r})"


# ---------------------------------------------------------------------- statuses and roles

STATUSES = ("not_started", "in_progress", "done", "behind", "ongoing")
STATUS_LABELS = {
    "zh": {"not_started": "未启动", "in_progress": "推进中", "done": "已完成", "behind": "滞后", "ongoing": "长期坚持"},
    "en": {"not_started": "not started", "in_progress": "in progress", "done": "done", "behind": "behind", "ongoing": "ongoing"},
}
ROLES = ("lead", "responsible")
ROLE_LABELS = {
    "zh": {"lead": "牵头", "responsible": "责任"},
    "en": {"lead": "lead", "responsible": "responsible"},
}

# a few phrases the CLI and the app share, by name; counts by ngettext
_MESSAGES = {
    "error": N_("error"),
    "overdue": N_("overdue"),
    "ongoing_deadline": N_("ongoing"),
    "no_tasks": N_("No matching tasks."),
}


def status_label(code: str | None, lang: str = "zh") -> str:
    if code is None:
        return STATUS_LABELS[lang]["not_started"]
    return STATUS_LABELS[lang].get(code, code)


def role_label(code: str, lang: str = "zh") -> str:
    return ROLE_LABELS[lang].get(code, code)


def status_code(text: str) -> str | None:
    """The status a person wrote, by code or by its Chinese or English label; None if none."""
    value = text.strip()
    for code in STATUSES:
        if value in (code, STATUS_LABELS["zh"][code], STATUS_LABELS["en"][code]):
            return code
    return None


def parse_status(text: str) -> str:
    """Accept a status by code or by its Chinese or English label."""
    from .errors import UnknownStatus

    code = status_code(text)
    if code is not None:
        return code
    raise UnknownStatus(text)


def t(key: str, lang: str = "zh", **kwargs) -> str:
    if key == "days_left":
        return ngettext_in(lang, "{n} day left", "{n} days left", kwargs["n"]).format(**kwargs)
    if key == "days_overdue":
        return ngettext_in(lang, "{n} day overdue", "{n} days overdue", kwargs["n"]).format(**kwargs)
    return gettext_in(lang, _MESSAGES[key]).format(**kwargs)
