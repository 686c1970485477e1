"""A plan as published, in whatever format it came, → the text the plan reader reads.

Every format is recognised by its content (sniff.py), not its name, and ends in the one text
layout described in layout.py, so the reader's rules hold for all of them alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import TrackerError
from . import sniff as S
from .sniff import UnreadableFile, say

__all__ = ["Document", "UnreadableFile", "read_document", "decode_text"]


@dataclass
class Document:
    raw: bytes  # as read, for the plan file's SHA-256
    text: str
    format: str  # pdf, docx, xlsx, html, mhtml, csv, text
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (zh, en): what could not be read


def decode_text(raw: bytes, *, where: str, lang: str = "zh") -> str:
    """A text file's characters: UTF-8 (a BOM or none), UTF-16 with its BOM, else GB18030."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(say(lang, "不是文本文件（既不是 UTF-8 也不是 GB18030 编码）",
                             "not a text file (neither UTF-8 nor GB18030)"), where=where)


def read_document(path: Path, *, lang: str = "zh") -> Document:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TrackerError(say(lang, f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"),
                           where=where) from None
    kind = S.sniff(raw, path.suffix, where=where, lang=lang)
    warnings: list[tuple[str, str]] = []
    if kind == S.PDF:
        from .pdf import read_pdf

        found = read_pdf(raw, where=where, lang=lang)
        text, warnings = found.text, found.warnings
    elif kind == S.DOCX:
        from .docx import read_docx

        text = read_docx(raw, where=where, lang=lang)
    elif kind in (S.HTML, S.MHTML):
        from .html import from_mhtml, read_html

        text = read_html(from_mhtml(raw, where=where, lang=lang) if kind == S.MHTML else raw, where=where, lang=lang)
    elif kind == S.XLSX:
        from .sheet import read_xlsx

        text = read_xlsx(raw, where=where, lang=lang)
    elif kind == S.CSV:
        from .sheet import read_csv

        text = read_csv(decode_text(raw, where=where, lang=lang), where=where, lang=lang)
    else:
        text = decode_text(raw, where=where, lang=lang)
        if "\x00" in text:
            raise UnreadableFile(say(lang, "不是文本文件（含有二进制内容）", "not a text file (binary content)"),
                                 where=where)
    if not text.strip():
        names = {S.DOCX: "Word 文件", S.XLSX: "工作簿", S.HTML: "网页", S.MHTML: "网页"}
        raise UnreadableFile(say(lang, f"{names.get(kind, '文件')}里没有文字", f"the {kind} file holds no text"),
                             where=where)
    return Document(raw, text, kind, warnings)
