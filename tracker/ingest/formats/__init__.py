"""A plan as published, in whatever format it came, → the text the plan reader reads.

Every format is recognised by its content (sniff.py), not its name, and ends in the one text
layout described in layout.py, so the reader's rules hold for all of them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ... import archive
from ...errors import TrackerError
from ...i18n import N_
from . import sniff as S
from .sniff import UnreadableFile

__all__ = ["Document", "UnreadableFile", "read_document", "decode_text"]

MAX_FILE_BYTES = 100 * 2**20  # a plan as published, pictures and scans included


@dataclass
class Document:
    raw: bytes  # as read, for the plan file's SHA-256
    text: str
    format: str  # pdf, docx, xlsx, html, mhtml, csv, text
    warnings: list[str] = field(default_factory=list)  # what could not be read, for the reviewer


def decode_text(raw: bytes, *, where: str) -> str:
    """A text file's characters: UTF-8 (a BOM or none), UTF-16 with its BOM, else GB18030."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(N_("not a text file (neither UTF-8 nor GB18030)"), where=where)


def read_document(path: Path) -> Document:
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:  # refused before a byte is read: a published plan is a few MB
            raise UnreadableFile(N_("the file is {size} MB, more than the {limit} MB a published plan may be; "
                                    "not read"), where=where, size=archive.megabytes(size),
                                 limit=archive.megabytes(MAX_FILE_BYTES))
        raw = path.read_bytes()
    except OSError as exc:
        raise TrackerError(N_("cannot read the file: {reason}"), where=where, reason=exc.strerror) from None
    kind = S.sniff(raw, path.suffix, where=where)
    warnings: list[str] = []
    if kind == S.PDF:
        from .pdf import read_pdf

        found = read_pdf(raw, where=where)
        text, warnings = found.text, found.warnings
    elif kind == S.DOCX:
        from .docx import read_docx

        text = read_docx(raw, where=where)
    elif kind in (S.HTML, S.MHTML):
        from .html import from_mhtml, read_html

        text = read_html(from_mhtml(raw, where=where) if kind == S.MHTML else raw, where=where)
    elif kind == S.XLSX:
        from .sheet import read_xlsx

        text = read_xlsx(raw, where=where)
    elif kind == S.CSV:
        from .sheet import read_csv

        text = read_csv(decode_text(raw, where=where), where=where)
    else:
        text = decode_text(raw, where=where)
        if "\x00" in text:
            raise UnreadableFile(N_("not a text file (binary content)"), where=where)
    if not text.strip():
        names = {S.DOCX: N_("the Word file holds no text"), S.XLSX: N_("the workbook holds no text"),
                 S.HTML: N_("the web page holds no text"), S.MHTML: N_("the web page holds no text")}
        raise UnreadableFile(names.get(kind, N_("the file holds no text")), where=where)
    return Document(raw, text, kind, warnings)
