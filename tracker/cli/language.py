"""The command line in the user's language: click's own words (Usage, Error, Aborted!, No such
option …) and every command's and option's help, translated when shown.

Help is written as docstrings and `help="..."` in English, the catalogue's message ids, and
translated when click formats it, not when the commands are defined: the language is known only
once the command line is read, and one process (a test run) may show both languages.
"""

from __future__ import annotations

import inspect

import click

from .. import i18n
from ..i18n import N_, _

# click's words that it shows without asking gettext (usage metavars, the "required" mark);
# translated where tracker shows them
CLICK_WORDS = (N_("[OPTIONS]"), N_("COMMAND [ARGS]..."), N_("[COMMAND] [ARGS]..."), N_("required"),
               N_("TEXT"), N_("INTEGER"), N_("FLOAT"), N_("PATH"), N_("FILE"), N_("DIRECTORY"), N_("FILENAME"),
               N_("BOOLEAN"), N_("DATE"))

# click's modules that call gettext at run time (error messages, "Usage:", "Aborted!")
_CLICK_MODULES = ("core", "exceptions", "formatting", "parser", "types", "termui", "utils",
                  "shell_completion", "_termui_impl")


def install() -> None:
    """Send click's own messages through tracker's catalogue."""
    import importlib

    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            setattr(module, "_", _)
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", i18n.ngettext)
    # decorators word the --help and --version options once and click keeps them; leave them
    # in English there (the message ids) and translate them with every other option's help
    click.decorators._ = i18n.N_
    click.formatting.wrap_text = wrap_text
    _missing = click.exceptions.MissingParameter.format_message
    if not getattr(_missing, "tracker", False):
        def format_message(self) -> str:
            # click ends "Missing option '--plan'" with a full stop of its own, outside the catalogue
            head, _stop, rest = _missing(self).partition(".")
            return _("{missing}.{more}").format(missing=head, more=rest)

        format_message.tracker = True  # type: ignore[attr-defined]
        click.exceptions.MissingParameter.format_message = format_message  # type: ignore[method-assign]
    setattr(click.formatting, "term_len", _columns)  # the help's columns line up with Chinese in them


def _help(text: str | None) -> str | None:
    if not text:
        return text
    return _(inspect.cleandoc(text).partition("\f")[0].strip())


def _short(text: str, limit: int) -> str:
    """The first sentence (either language's full stop), cut to `limit` terminal columns
    (a Chinese character takes two)."""
    from rich.cells import cell_len, set_cell_size

    first = text.partition("\n\n")[0].replace("\n", " ")
    for stop in ("\u3002", ". "):
        if stop in first:
            first = first.split(stop, 1)[0] + stop.strip()
            break
    if cell_len(first) <= limit:
        return first
    if cell_len(first) == len(first):  # no wide characters: cut at a word
        import textwrap

        return textwrap.shorten(first, limit, placeholder="...")
    return set_cell_size(first, limit - 1) + "\u2026"


_wrap_words = click.formatting.wrap_text


def _columns(text: str) -> int:
    from click._compat import strip_ansi
    from rich.cells import cell_len

    return cell_len(strip_ansi(text))


def wrap_text(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
              preserve_paragraphs: bool = False) -> str:
    """click's wrap_text, for text with Chinese in it too: click breaks lines only at spaces and
    counts characters, while Chinese breaks between any two characters and each takes two columns."""
    from rich.cells import cell_len

    if cell_len(text) == len(text):
        return _wrap_words(text, width, initial_indent, subsequent_indent, preserve_paragraphs)
    import re

    paragraphs = re.split(r"\n\s*\n", text) if preserve_paragraphs else [text]
    out = []
    for paragraph in paragraphs:
        lines, line, indent = [], initial_indent, initial_indent
        # a token: one wide character, or a run of narrow non-space characters, or spaces
        for token in re.findall(r"[^\x00-\u10ff]|[\x00-\u10ff]+?(?=\s|[^\x00-\u10ff]|$)|\s+",
                                " ".join(paragraph.split())):
            if cell_len(line) + cell_len(token) > width and line.strip():
                lines.append(line.rstrip())
                indent = subsequent_indent
                line = indent + token.lstrip()
            else:
                line += token
        lines.append(line.rstrip())
        out.append("\n".join(lines))
        initial_indent = subsequent_indent
    return "\n\n".join(out)


class HelpFormatter(click.HelpFormatter):
    """click's help layout, with headings and the usage prefix punctuated as the language is
    (选项： not 选项:)."""

    def write_heading(self, heading: str) -> None:
        heading = _("{heading}:").format(heading=heading)
        self.write(f"{'':>{self.current_indent}}{heading}\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = _("Usage:")
            prefix += "" if prefix.endswith("\uff1a") else " "
        super().write_usage(prog, args, prefix)


class Context(click.Context):
    formatter_class = HelpFormatter


class Command(click.Command):
    """A click command whose help, option help and usage are shown in the user's language."""

    context_class = Context

    def format_help_text(self, ctx, formatter) -> None:
        text = _help(self.help)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return _help(self.short_help) or ""
        return _short(_help(self.help) or "", limit)

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [_(piece) for piece in super().collect_usage_pieces(ctx)]

    def format_options(self, ctx, formatter) -> None:
        params = self.get_params(ctx)
        kept = [(p, p.help, p.metavar) for p in params]
        try:
            for param, help_text, metavar in kept:
                param.help = _help(help_text)
                if not isinstance(param, click.Option) or not param.is_flag:
                    param.metavar = _(metavar or param.make_metavar(ctx))
            super().format_options(ctx, formatter)
        finally:
            for param, help_text, metavar in kept:
                param.help, param.metavar = help_text, metavar


class Group(Command, click.Group):
    """A group of commands; its sub-commands and sub-groups are of these classes too."""

    command_class = Command
    group_class = type  # sub-groups are Groups


def command(*args, **kwargs):
    """click.command, of tracker's Command class (for commands defined outside a group)."""
    return click.command(*args, cls=kwargs.pop("cls", Command), **kwargs)


def group(*args, **kwargs):
    return click.group(*args, cls=kwargs.pop("cls", Group), **kwargs)


def language_first(args: list[str]) -> tuple[str, list[str]]:
    """--lang anywhere on the command line: the language it asks for, and the arguments with
    every --lang moved to the front, where the root command reads it."""
    rest: list[str] = []
    given: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == "--lang" and i + 1 < len(args):
            given = args[i + 1]
            i += 2
            continue
        if arg.startswith("--lang="):
            given = arg.split("=", 1)[1]
            i += 1
            continue
        rest.append(arg)
        i += 1
    lang = i18n.language_from([f"--lang={given}"] if given is not None else [])
    return lang, ([f"--lang={given}"] if given is not None else []) + rest
