"""A web page as saved from the site (.html, or .mht "single file") → the article's text.

- Encoding: a byte-order mark, else the page's own `<meta charset>` / `http-equiv`, else UTF-8,
  else GB18030. Pages labelled gb2312 or gbk are read as GB18030, which contains both, since
  such pages routinely hold characters outside the label (as browsers do).
- The article, not the site: scripts, styles, forms' controls, `<nav>`, page-level `<header>` /
  `<footer>`, blocks whose class or id says menu, breadcrumb, sidebar, share or copyright, and
  link lists (menus, related articles: mostly link text) are dropped.
- Data tables (two columns or more, no table inside) become `| cell | cell |` rows with
  `rowspan`/`colspan` cells repeated in every row and column they span; tables that only lay
  out a page (a table inside, or one column) are read as the blocks they hold.
"""

from __future__ import annotations

import email
import email.policy
import re

from .layout import clean_line, join_pieces, lines_to_text, pipe_table
from ...i18n import N_
from .sniff import UnreadableFile

_GB_FAMILY = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "gb18030", "hz-gb-2312"}
_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "select", "button", "input", "textarea", "iframe",
              "object", "embed", "svg", "canvas", "map", "audio", "video")
_CHROME = re.compile(r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|menus|breadcrumbs?|crumbs?|sidebar|side-?bar|share|"
                     r"bdshare|copyright|related|friend-?links?|toolbar|login|skip|position|location|footer)(?:$|[-_\s\d])",
                     re.I)
_BLOCKS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
           "dt", "dd", "blockquote", "pre", "center", "table", "tr", "caption", "hr", "address", "figure",
           "figcaption", "header", "footer", "form", "fieldset", "body", "td", "th", "tbody", "thead", "tfoot"}
_MAX_SPAN = 200  # a colspan or rowspan larger than any real table: clamped, not trusted


def decode(raw: bytes) -> str:
    """The page's text in the encoding it declares (see the module's docstring)."""
    from bs4.dammit import EncodingDetector

    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom):].decode(encoding, errors="replace")
    declared = (EncodingDetector.find_declared_encoding(raw, is_html=True, search_entire_document=False) or "").lower()
    candidates = ["gb18030" if declared in _GB_FAMILY else declared] if declared else []
    for encoding in [*candidates, "utf-8", "gb18030"]:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("gb18030", errors="replace")


def from_mhtml(raw: bytes, *, where: str) -> bytes:
    """The HTML part of a page saved as a single file (.mht/.mhtml), with its charset declared."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)  # bytes for a leaf part
            if not isinstance(payload, bytes):
                payload = b""
            charset = part.get_content_charset()
            if charset and not re.search(rb"<meta[^>]+charset", payload[:4096], re.I):
                payload = f'<meta charset="{charset}">'.encode("ascii") + payload
            return payload
    raise UnreadableFile(N_("this .mht file holds no HTML page"), where=where)


def read_html(raw: bytes, *, where: str) -> str:
    import lxml.html
    from lxml import etree

    source = decode(raw)
    source = re.sub(r"^\s*<\?xml[^>]*\?>", "", source)  # lxml refuses a str that declares its encoding
    try:
        root = lxml.html.document_fromstring(source or "<html></html>")
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableFile(N_("cannot parse the web page ({reason})"), where=where, reason=exc) from None
    body = root.find("body")
    if body is None:
        body = root
    _drop_chrome(body)
    return lines_to_text(_render(body))


# ---------------------------------------------------------------------- the site around the article


def _drop(element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    element.drop_tree()  # keeps the tail text, which belongs to the parent


def _drop_chrome(body) -> None:
    for element in list(body.iter(*_DROP_TAGS)):
        _drop(element)
    for element in list(body.iter()):
        if not isinstance(element.tag, str):  # comments, processing instructions
            if element.getparent() is not None:
                _drop(element)
            continue
        if element.getparent() is None:
            continue
        marks = f"{element.get('class', '')} {element.get('id', '')}"
        in_article = any(a.tag in ("article", "main") for a in element.iterancestors())
        if (_CHROME.search(marks) and element.tag not in ("body", "article", "main")) or \
                (element.tag in ("header", "footer") and not in_article):
            _drop(element)
    # link lists: menus, related articles, friendly links (mostly link text, several links)
    for element in reversed(list(body.iter("div", "ul", "ol", "dl", "table", "section", "p", "span"))):
        if element.getparent() is None or not _in_tree(element, body):
            continue
        links = element.findall(".//a")
        if len(links) < 3:
            continue
        text = len(_visible(element))
        linked = sum(len(_visible(a)) for a in links)
        if text and linked / text > 0.6:
            _drop(element)


def _in_tree(element, root) -> bool:
    return any(a is root for a in element.iterancestors())


def _visible(element) -> str:
    """The words of an element, without the dates and numbers a link list puts beside its links."""
    return re.sub(r"[\s\d\W_]+", "", element.text_content() or "")


# ---------------------------------------------------------------------- blocks and tables


class _Renderer:
    """Walks the page: blocks make lines, inline text runs on, data tables become pipe rows."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.current: list[str] = []

    def flush(self) -> None:
        line = clean_line("".join(self.current))
        if line:
            self.lines.append(line)
        self.current = []

    def block(self, element) -> None:
        if element.tag == "table" and self._table(element):
            return
        if element.text:
            self.current.append(element.text)
        for child in element:
            if not isinstance(child.tag, str):
                pass
            elif child.tag == "br":
                self.flush()
            elif child.tag in _BLOCKS:
                self.flush()
                self.block(child)
                self.flush()
            else:
                self.block(child)
            if child.tail:
                self.current.append(child.tail)

    def _table(self, table) -> bool:
        if table.find(".//table") is not None:
            return False  # a frame laying out the page
        grid = _grid(table)
        if not grid or max(len(r) for r in grid) < 2:
            return False
        self.flush()
        caption = table.find("caption")
        if caption is not None and clean_line(caption.text_content()):
            self.lines.append(clean_line(caption.text_content()))
        self.lines.extend(pipe_table(grid))
        return True


def _render(element) -> list[str]:
    lines: list[str] = []
    renderer = _Renderer(lines)
    renderer.block(element)
    renderer.flush()
    return lines


def _cell_text(cell) -> str:
    return join_pieces(_render(cell))


def _span(cell, name: str, limit: int) -> int:
    try:
        value = int(re.match(r"\s*(\d+)", cell.get(name, "1")).group(1))
    except (AttributeError, ValueError):
        return 1
    if value == 0 and name == "rowspan":  # HTML: the rest of the table
        return limit
    return max(1, min(value, limit, _MAX_SPAN))


def _grid(table) -> list[list[str]]:
    """The table's rows with every spanning cell repeated in each row and column it covers."""
    rows = [tr for tr in table.iter("tr")]
    filled: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while (r, c) in filled:
                c += 1
            text = _cell_text(cell)
            rowspan = _span(cell, "rowspan", len(rows) - r)
            colspan = _span(cell, "colspan", _MAX_SPAN)
            for dr in range(rowspan):
                for dc in range(colspan):
                    filled.setdefault((r + dr, c + dc), text)
            c += colspan
    if not filled:
        return []
    width = max(c for _, c in filled) + 1
    return [[filled.get((r, c), "") for c in range(width)] for r in range(len(rows))]
