"""What a file is, from its first bytes rather than its name: offices rename, mail systems
strip extensions, and a `.doc` is often an HTML page or an RTF file in disguise."""

from __future__ import annotations

import re

from ... import archive
from ...errors import TrackerError
from ...i18n import N_

PDF, DOCX, XLSX, HTML, MHTML, CSV, TEXT = "pdf", "docx", "xlsx", "html", "mhtml", "csv", "text"

# a .docx's or .xlsx's parsed parts (XML), unpacked together: the longest published plans, tables
# and all, are a few megabytes; pictures are not counted, as no reader opens them
MAX_UNPACKED = 50 * 2**20
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|p|table)[\s>/]",
                         re.I | re.S)
_HTML_TAGS = re.compile(rb"<(?:html|body|div|p|table|br|span)[\s>/]", re.I)
_MIME = re.compile(rb"^(?:[\w-]+:.*\r?\n)*?mime-version:.*?content-type:\s*multipart/related", re.I | re.S)


class UnreadableFile(TrackerError):
    """A file the readers cannot take: none of the formats, or a format that needs a person first."""


def _ole_kind(raw: bytes) -> str:
    """Old Office files are OLE containers; their stream names (UTF-16) tell which program wrote them."""
    def named(name: str) -> bool:
        return name.encode("utf-16-le") in raw

    if named("EncryptedPackage"):
        return "encrypted"
    if named("WordDocument"):
        return "doc"
    if named("Workbook") or named("Book"):
        return "xls"
    return "ole"


def sniff(raw: bytes, suffix: str, *, where: str) -> str:
    """The format of a file's bytes, or UnreadableFile saying what to do instead."""
    head = raw[:4096]
    suffix = suffix.lower()
    if not raw.strip():
        raise UnreadableFile(N_("the file is empty"), where=where)
    if head.lstrip().startswith(b"%PDF-") or b"%PDF-" in raw[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            members = archive.directory(raw)
        except archive.NotAZip:
            members = []
        reasons = archive.unpacking_problems(members, limit=MAX_UNPACKED, too_big=N_(
            "its parts unpack to {size} MB, more than the {limit} MB a published plan may hold"))
        if reasons:  # a zip bomb dressed as a document: refused before any reader opens it
            raise UnreadableFile(N_("the file was not opened: {reasons} (a zip bomb, or not a plan as published)"),
                                 where=where, reasons=archive.said(reasons))
        names = {m.filename for m in members}
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        raise UnreadableFile(N_("a zip archive, but not a Word (.docx) or Excel (.xlsx) file; give a .docx, .pdf, "
                                "web page (.html), .xlsx or text file"), where=where)
    if head.startswith(_OLE):
        kind = _ole_kind(raw)
        messages = {
            "encrypted": N_("an Office file protected by a password: save a copy without the password and read that"),
            "xls": N_("an old Excel file (.xls): save it as .xlsx in Excel or WPS and read that"),
        }
        legacy = N_("a legacy Word/WPS file (.doc/.wps): save it as .docx in Word or WPS and read that")
        raise UnreadableFile(messages.get(kind, legacy), where=where)
    if head.lstrip().startswith(b"{\\rtf"):
        raise UnreadableFile(N_("an RTF file: save it as .docx in Word or WPS and read that"), where=where)
    body = head.removeprefix(b"\xef\xbb\xbf")
    if _MIME.match(body):
        return MHTML
    if _HTML_START.match(body) or (suffix in (".html", ".htm", ".shtml", ".xhtml") and _HTML_TAGS.search(head)):
        return HTML
    if _binary(head):
        raise UnreadableFile(N_("not a format the reader knows: it reads web pages (.html), Word (.docx), PDF, "
                                "Excel (.xlsx), CSV and text files"), where=where)
    if suffix == ".csv":
        return CSV
    return TEXT


def _binary(head: bytes) -> bool:
    """Bytes no text file holds: NULs (UTF-16 aside, which has its BOM) or many control bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 and b != 27)
    return b"\x00" in head or controls > len(head) // 100 + 1
