"""A PDF with a text layer (pdfplumber) → its text.

- Lines in reading order, joined back into paragraphs: a line that runs to the right margin
  continues on the next, unless the next is indented (a new paragraph) or is a heading.
- Running headers and footers go: a line in a page's top or bottom band that repeats on other
  pages (digits aside), and page numbers (`- 3 -`, `第3页`, `3/12`).
- Ruled tables become `| cell |` rows; a cell spanning rows or columns stands in each; a table
  that runs on over a page break is one table, its repeated header row dropped.
- A scanned PDF (no text layer) and one that needs a password to open are refused with a
  message saying what to do.
"""

from __future__ import annotations

import io
import re
import statistics
from dataclasses import dataclass, field

from .layout import clean_line, join_pieces, pipe_table
from ...i18n import N_, _
from .sniff import UnreadableFile

# a page number dressed as one (- 3 -, 第3页, 3/12); a bare number counts only when it repeats
_PAGE_NUMBER = re.compile(r"^(?=.*[-—–第页/／])[-—–_·\s]*(?:第\s*)?\d{1,4}\s*(?:页)?"
                          r"(?:\s*[/／]\s*(?:共\s*)?\d{1,4}\s*页?)?[-—–_·\s]*$")
_BAND = 0.09  # the share of a page's height at top and bottom where running headers and footers sit


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass
class _Page:
    number: int
    height: float
    items: list = field(default_factory=list)  # (top, _Line | list of rows)


@dataclass
class PdfText:
    text: str
    warnings: list[str]  # pages that could not be read


# the longest published plans, annexes and breakdown tables included, run to a few hundred pages
MAX_PAGES = 2000


def read_pdf(raw: bytes, *, where: str) -> PdfText:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(raw))
        pdf.pages  # noqa: B018 - opening is lazy; reading the page tree shows a damaged or locked file now
    except Exception as exc:  # pdfplumber wraps pdfminer's errors, which have no common base
        locked = any(isinstance(e, (PDFPasswordIncorrect, PDFEncryptionError)) for e in (exc, *exc.args))
        if not locked:
            detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
            raise UnreadableFile(N_("the PDF is damaged ({detail})"), where=where, detail=detail) from None
        raise UnreadableFile(N_("the PDF needs a password to open: get an unencrypted copy (or save one without "
                                "the password)"), where=where) from None
    with pdf:
        if len(pdf.pages) > MAX_PAGES:  # each page is laid out in full: a hostile one could take hours
            raise UnreadableFile(N_("the PDF has {n} pages, more than the {limit} a published plan may have; "
                                    "not read"), where=where, n=len(pdf.pages), limit=MAX_PAGES)
        pages, blank = [], []
        for page in pdf.pages:
            try:
                read = _read_page(page)
            except Exception as exc:  # a damaged content stream: say which page
                detail = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
                raise UnreadableFile(N_("page {page} is damaged ({detail})"), where=where, page=page.page_number,
                                     detail=detail) from None
            pages.append(read)
            if not read.items:
                blank.append(page.page_number)
    if len(blank) == len(pages):
        raise UnreadableFile(N_("the PDF has no text layer (a scan or images): get the Word or web version, or run "
                                "it through OCR first"), where=where)
    warnings = []
    if blank:
        shown = "、".join(str(n) for n in blank[:10])
        warnings.append(_("page(s) {pages} have no text layer (scanned?) and were not read").format(pages=shown))
    _drop_running_lines(pages)
    return PdfText(_text(pages), warnings)


# ---------------------------------------------------------------------- one page


def _inside(obj: dict, bbox: tuple) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def _lines(page) -> list[_Line]:
    out = []
    for line in page.extract_text_lines(return_chars=True):
        text = line["text"].strip()
        if not text:
            continue
        sizes = [c.get("size", 0) for c in line["chars"]] or [10]
        out.append(_Line(text, line["x0"], line["x1"], line["top"], line["bottom"], statistics.median(sizes)))
    return out


def _read_page(page) -> _Page:
    read = _Page(page.page_number, float(page.height))
    tables = [t for t in page.find_tables() if len(t.rows) >= 1 and max(len(r.cells) for r in t.rows) >= 2]
    outside = page.filter(lambda obj: obj.get("object_type") != "char" or not any(_inside(obj, t.bbox) for t in tables))
    read.items = [(line.top, line) for line in _lines(outside)]
    for table in tables:
        rows = _table_rows(page, table)
        if rows:
            read.items.append((table.bbox[1], rows))
    read.items.sort(key=lambda item: item[0])
    return read


def _table_rows(page, table) -> list[list[str]]:
    """The table's rows with a merged cell's text in every row and column it covers. The grid is
    the set of all cell edges: a cell spanning rows or columns covers several of its bands."""
    cells = [c for c in table.cells if c]

    def bands(low: int, high: int) -> list[tuple[float, float]]:
        edges = sorted({round(c[low], 1) for c in cells} | {round(c[high], 1) for c in cells})
        return [(a, b) for a, b in zip(edges, edges[1:]) if b - a > 1]

    texts: dict[tuple, str] = {}
    rows = []
    for top, bottom in bands(1, 3):
        values = []
        for left, right in bands(0, 2):
            x, y = (left + right) / 2, (top + bottom) / 2
            cell = next((c for c in cells if c[0] <= x <= c[2] and c[1] <= y <= c[3]), None)
            if cell is not None and cell not in texts:
                texts[cell] = _cell_text(page, cell)
            values.append(texts[cell] if cell is not None else "")
        rows.append(values)
    return rows


def _cell_text(page, bbox: tuple) -> str:
    """A cell's lines: a line that reaches the cell's right edge wraps on to the next (joined);
    a shorter one was ended by the writer (a list item, kept apart)."""
    lines = _lines(page.within_bbox(bbox, strict=False))
    pieces: list[str] = []
    wrapping = False
    for line in lines:
        if wrapping and pieces:
            pieces[-1] += "\n" + line.text
        else:
            pieces.append(line.text)
        wrapping = line.x1 >= bbox[2] - 2.5 * line.size
    return join_pieces(pieces)


# ---------------------------------------------------------------------- headers, footers, page numbers


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _in_band(page: _Page, line: _Line) -> bool:
    return line.top < page.height * _BAND or line.bottom > page.height * (1 - _BAND)


def _drop_running_lines(pages: list[_Page]) -> None:
    counts: dict[str, int] = {}
    for page in pages:
        for key in {_key(line.text) for _, line in page.items if isinstance(line, _Line) and _in_band(page, line)}:
            counts[key] = counts.get(key, 0) + 1
    repeated = {key for key, n in counts.items() if n >= 2 and n >= len(pages) / 3}
    for page in pages:
        page.items = [(top, item) for top, item in page.items if not (
            isinstance(item, _Line) and _in_band(page, item)
            and (_key(item.text) in repeated or _PAGE_NUMBER.match(item.text)))]


# ---------------------------------------------------------------------- paragraphs and tables in order


def _text(pages: list[_Page]) -> str:
    lines = [item for page in pages for _, item in page.items if isinstance(item, _Line)]
    left = min((line.x0 for line in lines), default=0)
    right = max((line.x1 for line in lines), default=0)
    out: list[str] = []
    paragraph: list[_Line] = []
    table: list[list[str]] | None = None

    def end_paragraph() -> None:
        if paragraph:
            out.append(clean_line("\n".join(line.text for line in paragraph)))
            paragraph.clear()

    def end_table() -> None:
        nonlocal table
        if table:
            out.extend(pipe_table(table))
        table = None

    for page in pages:
        for index, (_, item) in enumerate(page.items):
            if isinstance(item, list):
                end_paragraph()
                continues = table is not None and index == 0 and len(item[0]) == len(table[0])
                if continues:
                    table.extend(item[1:] if item[0] == table[0] else item)
                else:
                    end_table()
                    table = [list(r) for r in item]
                continue
            end_table()
            previous = paragraph[-1] if paragraph else None
            indented = item.x0 > left + 1.2 * item.size
            # a line that stops short of the margin ends its paragraph, but only when well short:
            # a number or Latin word too long for the line's end is carried whole to the next
            short = previous is not None and previous.x1 < right - max(4 * previous.size, (right - left) * 0.15)
            if previous is None or indented or short:
                end_paragraph()
            paragraph.append(item)
    end_paragraph()
    end_table()
    return "\n".join(out) + "\n" if out else ""
