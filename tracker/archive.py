"""Zip containers people send (.xlsx workbooks, .docx documents), checked before they are opened.

A workbook or a Word file is a zip, and a 1 MB one can unpack to gigabytes (a zip bomb). Its
directory says how large each part unpacks, so the check reads only that: the parts a reader
would parse (XML, relationships, VML), unpacked together, against a bound the caller gives, and
each large part's packing ratio against what office programs produce. Nothing is unpacked.

    reasons = unpacking_problems(directory(data), limit=50 * 2**20, too_big=N_("... {size} MB ... {limit} MB ..."))

The ledger's reader (tracker/ledger/reading.py) and the readers of published plans
(tracker/ingest/formats) both ask here, each wording the refusal as its users need.
"""

from __future__ import annotations

import io
import zipfile

from .errors import N_, Phrase

MAX_RATIO = 200  # unpacked to packed, for any parsed part larger than RATIO_FROM
RATIO_FROM = 2**20  # a small part may pack as tightly as it likes: unpacked, it is still small


class NotAZip(Exception):
    """The data is no zip a reader could open (damaged, cut short, or something else)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def megabytes(size: int) -> str:
    """A size as refusals say it: 60 (MB) for large ones, 1.6 below ten."""
    return f"{size / 2**20:,.0f}" if size >= 10 * 2**20 else f"{size / 2**20:,.1f}"


def _parsed(part: zipfile.ZipInfo) -> bool:
    """Whether a reader parses this part; pictures and embedded files are never opened."""
    return part.filename.lower().endswith((".xml", ".rels", ".vml"))


def directory(data: bytes) -> list[zipfile.ZipInfo]:
    """The zip's directory (what each part is and unpacks to), or NotAZip."""
    try:
        return zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise NotAZip(f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]) from None


def unpacking_problems(members: list[zipfile.ZipInfo], *, limit: int, too_big: str) -> list[Phrase]:
    """Why a zip with these `members` (its directory) is not to be unpacked (empty: it may be).
    `too_big` is the message id said when the parsed parts together pass `limit` bytes ({size}
    and {limit} in MB)."""
    parts = [p for p in members if _parsed(p)]
    reasons = []
    total = sum(p.file_size for p in parts)
    if total > limit:
        reasons.append(Phrase(too_big, size=megabytes(total), limit=megabytes(limit)))
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM and ratio > MAX_RATIO:
            reasons.append(Phrase(N_("its part {part} unpacks to {ratio} times its packed size, more than the "
                                     "{limit} times office programs pack"),
                                  part=part.filename[:100], ratio=f"{ratio:,.0f}", limit=MAX_RATIO))
            break
    return reasons


def said(reasons: list[Phrase]):
    """The reasons as one field of a refusal, worded when it is shown and joined the language's
    way (；)."""
    from .i18n import gettext_in

    return lambda lang: gettext_in(lang, "; ").join(reason.words(lang) for reason in reasons)
