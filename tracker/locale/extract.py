"""Babel extraction method: gettext calls, plus the help of click commands and options.

Command help is written as the command's docstring and option help as `help="..."`, as click
users expect; the CLI translates both when it shows them (tracker/cli's command classes), so
the catalogue must hold them without a `_()` around each. Used by babel.cfg and by the test
that checks the catalogue is complete.
"""

from __future__ import annotations

import ast
import inspect
import io

from babel.messages.extract import extract_python

CLICK_DECORATORS = {"command", "group", "option", "argument", "password_option", "confirmation_option",
                    # tracker's shared options (tracker/cli/options.py), given their own help
                    "unit", "jurisdiction", "unit_and_jurisdiction", "plan", "output_format"}
HELP_KEYWORDS = ("help", "short_help", "metavar", "prompt", "epilog", "unit_help", "jurisdiction_help")


def extract(fileobj, keywords, comment_tags, options):
    source = fileobj.read()
    for lineno, funcname, message, comments in extract_python(
            io.BytesIO(source), [*keywords, *KEYWORDS], comment_tags, options):
        # tracker's own keywords read like gettext's (pybabel's command line does not know them)
        if funcname in ("lazy",):
            funcname = None
        elif funcname == "gettext_in":
            funcname, message = None, message[1] if isinstance(message, tuple) else message
        elif funcname == "ngettext_in":
            funcname, message = "ngettext", message[1:]
        elif funcname == "Plural":  # errors.Plural(singular, plural, n=...)
            funcname = "ngettext"
        yield lineno, funcname, message, comments
    yield from _click_texts(ast.parse(source))


def _decorator_name(node: ast.expr) -> str | None:
    call = node.func if isinstance(node, ast.Call) else node
    if isinstance(call, ast.Attribute):
        return call.attr
    if isinstance(call, ast.Name):
        return call.id
    return None


def _click_texts(tree: ast.AST):
    for node in ast.walk(tree):
        # option help, wherever the option is made (a decorator, or a shared option kept in a name)
        if isinstance(node, ast.Call) and _decorator_name(node) in CLICK_DECORATORS:
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg in HELP_KEYWORDS and isinstance(value, ast.Constant) \
                        and isinstance(value.value, str) and value.value.strip():
                    yield value.lineno, None, inspect.cleandoc(value.value), []
        # a command's help is its docstring, unless help= is given
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            commands = [d for d in node.decorator_list
                        if isinstance(d, ast.Call) and _decorator_name(d) in ("command", "group")]
            docstring = ast.get_docstring(node)  # cleaned as click cleans it
            if commands and docstring and not any(k.arg == "help" for d in commands for k in d.keywords):
                yield node.lineno, None, docstring.partition("\f")[0].strip(), []


# ---------------------------------------------------------------------- the catalogue as a whole

# gettext's keywords plus tracker's: lazy(msg), gettext_in(lang, msg), ngettext_in(lang, s, p, n),
# C_(context, msg) (N_ with a context), pgettext_in(lang, context, msg)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy": None,
            "gettext_in": (2,), "ngettext_in": (2, 3), "pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3), "Plural": (1, 2),
            "C_": ((1, "c"), 2), "pgettext_in": ((2, "c"), 3),
            "npgettext_in": ((2, "c"), 3, 4)}


def messages():
    """Every message users can read: tracker's, and click's own (usage, errors, prompts)."""
    from pathlib import Path

    import click
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    package = Path(__file__).resolve().parent.parent
    catalogue = Catalog(domain="tracker", fuzzy=False)
    sources = ((package, [("locale/**.py", "ignore"), ("**.py", "tracker.locale.extract:extract")], KEYWORDS),
               (Path(click.__file__).parent, [("**.py", "python")], None))
    for root, method_map, keywords in sources:
        found = extract_from_dir(str(root), method_map, **({"keywords": keywords} if keywords else {}))
        for filename, lineno, message, _comments, context in found:
            catalogue.add(message, None, [(f"{root.name}/{filename}", lineno)], context=context)
    return catalogue


def po_path(lang: str):
    from tracker.i18n import DOMAIN, LOCALE_DIR

    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def update(lang: str = "zh") -> list[str]:
    """Bring `lang`'s .po up to the code's messages (new ones untranslated, gone ones dropped),
    sorted and without line numbers so that two people adding messages rarely collide.
    Returns the messages still to translate."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = po_path(lang)
    if path.exists():
        with path.open("rb") as f:
            catalogue = read_po(f, locale=lang)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalogue = Catalog(locale=lang, domain="tracker")
    catalogue.update(messages(), no_fuzzy_matching=True, update_creation_date=False)
    catalogue.project, catalogue.version, catalogue.fuzzy = "tracker", "", False
    catalogue.header_comment = f"# tracker's messages in {lang}: python -m tracker.locale adds new ones (README)."
    out = io.BytesIO()
    write_po(out, catalogue, width=0, no_location=True, sort_output=True, ignore_obsolete=True)
    path.write_bytes(out.getvalue())
    return untranslated(catalogue)


def untranslated(catalogue) -> list[str]:
    missing = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing
