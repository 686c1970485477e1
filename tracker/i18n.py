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


def gettext_in(lang: str, message: str | tuple[str, str]) -> str:
    """`message` in a language other than the process's (the feed server's ?lang=); a message
    marked with its context, C_("column", "lead"), is looked up with it."""
    if isinstance(message, tuple):
        return translation(lang).pgettext(*message)
    return translation(lang).gettext(message)


def pgettext_in(lang: str, context: str, message: str) -> str:
    return translation(lang).pgettext(context, message)


def ngettext_in(lang: str, singular: str, plural: str, n: int) -> str:
    return translation(lang).ngettext(singular, plural, n)


def npgettext_in(lang: str, context: str, singular: str, plural: str, n: int) -> str:
    return translation(lang).npgettext(context, singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; `_()` translates it where it is shown."""
    return message


def C_(context: str, message: str) -> tuple[str, str]:
    """N_ for a message that needs its context (the same English word, two Chinese ones):
    kept as (context, message) in a table, worded by gettext_in(lang, ...) where it is shown."""
    return (context, message)


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
_STATUS_MESSAGES = {"not_started": N_("not started"), "in_progress": N_("in progress"), "done": N_("done"),
                    "behind": N_("behind"), "ongoing": N_("ongoing"),
                    "pending_review": N_("awaiting approval")}
# a lead's 已完成 waiting for the coordinator's approval (service/supervision.py): shown, never set by hand
ROLES = ("lead", "responsible")
_ROLE_MESSAGES = {"lead": N_("lead"), "responsible": N_("responsible")}


def status_label(code: str | None, lang: str = "zh") -> str:
    message = _STATUS_MESSAGES.get(code or "not_started")
    return gettext_in(lang, message) if message else (code or "")


_REQUEST_KINDS = {"closing": N_("closing request"), "extension": N_("extension request")}
_DECISIONS = {("closing", "approved"): N_("closed (approved)"), ("closing", "returned"): N_("returned"),
              ("extension", "approved"): N_("extension approved"), ("extension", "rejected"): N_("extension rejected")}


def _in(lang: str | None, message: str) -> str:
    return gettext_in(lang, message) if lang else _(message)


def request_kind_label(kind: str, lang: str | None = None) -> str:
    """申请办结 / 延期申请, in `lang` (default: the current language)."""
    return _in(lang, _REQUEST_KINDS[kind]) if kind in _REQUEST_KINDS else kind


def decision_label(kind: str, decision: str | None, lang: str | None = None) -> str:
    """已销号 / 已退回 / 已批准延期 / 延期未批准, or 待审批 while undecided."""
    if decision is None:
        return _in(lang, N_("awaiting decision"))
    return _in(lang, _DECISIONS[(kind, decision)]) if (kind, decision) in _DECISIONS else decision


def role_label(code: str, lang: str = "zh") -> str:
    message = _ROLE_MESSAGES.get(code)
    return gettext_in(lang, message) if message else (code or "")


def status_code(text: str) -> str | None:
    """The status a person wrote, by code or by its Chinese or English label; None if none."""
    value = text.strip()
    for code in (*STATUSES, "pending_review"):
        if value in (code, *(status_label(code, lang) for lang in LANGUAGES)):
            # 待审核 is what a lead's 已完成 reads until the coordinator decides
            return "done" if code == "pending_review" else code
    return None


def parse_status(text: str) -> str:
    """Accept a status by code or by its Chinese or English label."""
    from .errors import UnknownStatus

    code = status_code(text)
    if code is not None:
        return code
    raise UnknownStatus(text)


