"""Real .docx, .html and .pdf files made from the corpus documents, for the format readers' tests.

A document becomes blocks: its paragraphs as they are in the corpus text, and, where the text
holds a task table flattened one cell a line (附件 of bs_garbage_2019, qp_cdw_2025), a real table
rebuilt from the labels: one row per labelled row, its task-content line from the text, its unit
and deadline cells from the labels, and the task-name column merged down over the rows it
heads, as the published table merges it.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
NAMES = sorted(p.name.removesuffix(".txt") for p in CORPUS.glob("*.txt"))
CN = "一二三四五六七八九十"
NONE_CELL = "\u2014\u2014"  # —— as the published tables write an empty cell


@dataclass
class TableBlock:
    header: list[str]
    rows: list[list[str | None]] = field(default_factory=list)  # None: merged with the cell above


def corpus_lines(name: str) -> list[str]:
    return [line for line in (CORPUS / f"{name}.txt").read_text(encoding="utf-8").split("\n") if line.strip()]


def gold(name: str) -> list[dict]:
    return json.loads((CORPUS / f"{name}.gold.json").read_text(encoding="utf-8"))["tasks"]


def table_items(name: str) -> list[dict]:
    """The labelled rows that come from a flattened table (their note or their place says so)."""
    lines = corpus_lines(name)
    header_at = [i for i, line in enumerate(lines) if line.strip() == "序号"]
    if not header_at:
        return []
    first = header_at[0]
    items = []
    for item in gold(name):
        at = next((i for i, line in enumerate(lines) if i > first and line.strip().startswith(item["text_start"])),
                  None)
        if at is not None:
            items.append(item | {"line": at})
    return items


def blocks(name: str) -> list[str | TableBlock]:
    lines = corpus_lines(name)
    items = table_items(name)
    if not items:
        return list(lines)
    start = max(i for i, line in enumerate(lines) if line.strip() == "序号" and i < items[0]["line"])
    after_last = items[-1]["line"]
    end = next((i for i in range(after_last, len(lines)) if re.match(r"^附件\s*\d", lines[i].strip())), len(lines))
    has_deadline = any(item["deadline_phrase"] for item in items)
    header = ["序号", "工作任务", "主要工作内容", "牵头单位", "配合单位"] + (["时间节点"] if has_deadline else [])
    table = TableBlock(header)
    previous_units = ""
    for n, item in enumerate(items, start=1):
        before = lines[item["line"] - 1].strip()
        heads_group = (not re.fullmatch(r"[\d一二三四五六七八九十（）()—]+", before)
                       and before.replace("、", "") not in previous_units and before != NONE_CELL
                       and len(before) <= 30)
        row: list[str | None] = [str(n), before if heads_group or not table.rows else None, lines[item["line"]].strip(),
                                 "、".join(item["lead"]) or NONE_CELL, "、".join(item["responsible"]) or NONE_CELL]
        if has_deadline:
            row.append(item["deadline_phrase"] or "")
        table.rows.append(row)
        previous_units = "".join(item["lead"] + item["responsible"])
    return lines[:start] + [table] + lines[end:]


def expected_table_rows(name: str) -> list[dict]:
    return [{"lead": i["lead"], "responsible": i["responsible"], "deadline": i["deadline"],
             "text_start": i["text_start"]} for i in table_items(name)]


def filled(table: TableBlock) -> list[list[str]]:
    """The rows with merged cells' values repeated, as a reader must give them."""
    out: list[list[str]] = []
    for row in table.rows:
        out.append([(out[-1][i] if v is None else v) for i, v in enumerate(row)])
    return out


# ---------------------------------------------------------------------- Word


def _heading_level(line: str) -> tuple[int, int, str] | None:
    """(level, number, title) of 一、 and （一） headings, the two Word numbers automatically."""
    m = re.match(r"^([一二三四五六七八九十]{1,2})、(.*)$", line)
    if m:
        return 0, _cn(m.group(1)), m.group(2)
    m = re.match(r"^\uff08([一二三四五六七八九十]{1,2})\uff09(.*)$", line)
    if m:
        return 1, _cn(m.group(1)), m.group(2)
    return None


def _cn(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN.index(text[1]) + 1
    if len(text) == 2 and text.endswith("十"):
        return (CN.index(text[0]) + 1) * 10
    if len(text) == 3:
        return (CN.index(text[0]) + 1) * 10 + CN.index(text[2]) + 1
    return CN.index(text) + 1


_NUMBERING = """
<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:abstractNumId="990">
  <w:multiLevelType w:val="multilevel"/>
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1\u3001"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>
    <w:lvlText w:val="\uff08%2\uff09"/></w:lvl>
</w:abstractNum>
"""


def write_docx(name: str, path: Path, *, numbered: bool = True) -> Path:
    """The document as Word writes it: 一、/（一） headings numbered by Word's lists (the number is
    not in the paragraph's text) where the numbers run on as Word would count them, the table a
    real Word table with the task-name cells merged down."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    document = docx.Document()
    counters = [0, 0]
    num_id = None
    if numbered:
        numbering = document.part.numbering_part.element
        numbering.insert(0, parse_xml(_NUMBERING))
        num = parse_xml('<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:numId="990">'
                        '<w:abstractNumId w:val="990"/></w:num>')
        numbering.append(num)
        num_id = "990"
    for block in blocks(name):
        if isinstance(block, TableBlock):
            _docx_table(document, block)
            continue
        heading = _heading_level(block) if numbered else None
        if heading is not None:
            level, number, title = heading
            expected = counters[level] + 1
            if number == expected:
                counters[level] = number
                if level == 0:
                    counters[1] = 0
                paragraph = document.add_paragraph(title)
                num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                num_pr.get_or_add_ilvl().set(qn("w:val"), str(level))
                num_pr.get_or_add_numId().set(qn("w:val"), num_id)
                continue
        document.add_paragraph(block)
    section = document.sections[0]
    section.footer.paragraphs[0].text = "\u2014 1 \u2014"  # a footer: not the body
    section.header.paragraphs[0].text = "内部资料"
    document.save(path)
    return path


def _docx_table(document, table: TableBlock) -> None:
    word = document.add_table(rows=1 + len(table.rows), cols=len(table.header))
    word.style = "Table Grid"
    for c, title in enumerate(table.header):
        word.cell(0, c).text = title
    for r, row in enumerate(table.rows, start=1):
        for c, value in enumerate(row):
            if value is not None:
                word.cell(r, c).text = value
    for c in range(len(table.header)):  # merge each run of None down into the cell above it
        r = 1
        while r <= len(table.rows):
            top = r
            while r + 1 <= len(table.rows) and table.rows[r][c] is None:
                r += 1
            if r > top:
                word.cell(top, c).merge(word.cell(r, c))
            r += 1


# ---------------------------------------------------------------------- web page


def write_html(name: str, path: Path, *, encoding: str = "utf-8", declare: str | None = None) -> Path:
    """A page as a government site serves it: menus, a breadcrumb, the article (title, paragraphs,
    the table with rowspan), related links and a footer around it."""
    body = []
    for i, block in enumerate(blocks(name)):
        if isinstance(block, TableBlock):
            body.append(_html_table(block))
        elif i == 0:
            body.append(f"<h1>{html.escape(block)}</h1>")
        else:
            body.append(f"<p style=\"text-indent:2em\">{html.escape(block)}</p>")
    menu = "".join(f'<li><a href="/{i}">{w}</a></li>' for i, w in enumerate(["首页", "政务公开", "政务服务", "互动交流",
                                                                             "走进本区"]))
    related = "".join(f'<li><a href="/r{i}">关于印发第{i}号文件的通知</a><span>2024-0{i}-01</span></li>'
                      for i in range(1, 6))
    page = f"""<!DOCTYPE html>
<html><head><meta charset="{declare or encoding}"><title>{html.escape(corpus_lines(name)[0])}_人民政府</title>
<script>var menu = "首页 政务公开";</script><style>p {{ margin: 0 }}</style></head>
<body>
<div class="top-header"><ul class="nav">{menu}</ul></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zw">政务公开</a> &gt; <a href="/wj">文件</a></div>
<div class="main"><div class="article-content" id="zoom">
{chr(10).join(body)}
</div>
<div class="related"><h3>相关文章</h3><ul>{related}</ul></div></div>
<div class="footer">版权所有：人民政府办公室　网站标识码 3100000001　沪ICP备00000000号</div>
</body></html>
"""
    path.write_bytes(page.encode(encoding))
    return path


def _html_table(table: TableBlock) -> str:
    out = ["<table border=\"1\"><tbody>", "<tr>" + "".join(f"<td><p>{html.escape(h)}</p></td>"
                                                           for h in table.header) + "</tr>"]
    for r, row in enumerate(table.rows):
        cells = []
        for c, value in enumerate(row):
            if value is None:
                continue
            span = 1
            while r + span < len(table.rows) and table.rows[r + span][c] is None:
                span += 1
            attr = f' rowspan="{span}"' if span > 1 else ""
            cells.append(f"<td{attr}><p>{html.escape(value)}</p></td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


# ---------------------------------------------------------------------- PDF


def write_pdf(name: str, path: Path) -> Path:
    """A PDF with a text layer (reportlab's built-in Chinese font, so no font file is needed): A4,
    indented paragraphs, a running header and page numbers, the table ruled with its header row
    repeated on every page and the task-name cells spanning their rows."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    text = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=17, firstLineIndent=22,
                          wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=9, leading=12, wordWrap="CJK")
    story = []
    for block in blocks(name):
        if isinstance(block, TableBlock):
            widths = [28, 60, 200, 80, 100, 50][:len(block.header)]
            rows = [[Paragraph(html.escape(h), cell) for h in block.header]]
            rows += [[Paragraph(html.escape(v or ""), cell) for v in row] for row in block.rows]
            style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
            for c in range(len(block.header)):
                r = 0
                while r < len(block.rows):
                    top = r
                    while r + 1 < len(block.rows) and block.rows[r + 1][c] is None:
                        r += 1
                    if r > top:
                        style.append(("SPAN", (c, top + 1), (c, r + 1)))
                    r += 1
            story.append(Table(rows, colWidths=widths, repeatRows=1, style=TableStyle(style)))
        else:
            story.append(Paragraph(html.escape(block), text))

    def furniture(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 30, "本区人民政府办公室文件")
        canvas.drawCentredString(A4[0] / 2, 30, f"\u2014 {doc.page} \u2014")
        canvas.restoreState()

    SimpleDocTemplate(str(path), pagesize=A4, leftMargin=70, rightMargin=70, topMargin=60,
                      bottomMargin=60).build(story, onFirstPage=furniture, onLaterPages=furniture)
    return path


def rebuilt(source, target, *, part: str = "xl/worksheets/sheet1.xml", padding: int = 0, filler: bytes = b" ",
            extra: dict | None = None):
    """`source` (a zip: .xlsx, .docx) as a sound zip again, its `part`'s XML grown by `padding`
    bytes of `filler` before its closing tag (streamed, so a bomb of many megabytes is built
    without holding it), and any `extra` parts added."""
    import zipfile

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename != part:
                dst.writestr(item, data)
                continue
            cut = data.rindex(b"</")
            grown = zipfile.ZipInfo(item.filename)
            grown.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(grown, "w") as out:
                out.write(data[:cut])
                chunk = filler * (2**20 // len(filler))
                left = padding
                while left > 0:
                    out.write(chunk[:left])
                    left -= len(chunk)
                out.write(data[cut:])
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return target
