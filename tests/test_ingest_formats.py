"""The format readers on real files made from the corpus documents: a .docx written by
python-docx (Word numbering, a Word table with merged cells), a web page as a site serves it
(menus, breadcrumb, related links, a <table> with rowspan, GB18030), a PDF with a text layer
(reportlab: running header, page numbers, a ruled table over several pages), a workbook with
merged cells, a CSV, a .mht; and the files a reader must refuse."""

from __future__ import annotations

import email.message
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import formats_support as F
from tracker.cli import cli
from tracker.ingest.formats import UnreadableFile, read_document
from tracker.ingest.formats.layout import clean_line, pipe_row

TABLE_DOCS = [n for n in F.NAMES if F.table_items(n)]
FAST_PDF = ["sh_sponge_2024", "bs_garbage_2019", "qp_cdw_2025"]


def expected_lines(name: str) -> list[str]:
    out = []
    for block in F.blocks(name):
        if isinstance(block, F.TableBlock):
            out.extend(pipe_row(r) for r in [block.header, *F.filled(block)])
        elif clean_line(block):
            out.append(clean_line(block))
    return out


def squeeze(lines: list[str]) -> list[str]:
    return [re.sub(r"\s+", "", line) for line in lines]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def parsed(path: Path) -> dict:
    result = CliRunner().invoke(cli, ["plan", "parse", str(path), "--format", "json"])
    assert result.exit_code == 0 or type(result.exception).__name__ == "NothingFound", result.output
    return json.loads(result.stdout) if result.exit_code == 0 else {"tasks": [], "plan": {}}


def essentials(doc: dict, *, squeeze_text: bool = False) -> list[tuple]:
    def text(t: str) -> str:
        return re.sub(r"\s+", "", t) if squeeze_text else t

    return [(text(t["text"]), t["lead"], t["responsible"], t["inherited_responsible"], t["deadline"])
            for t in doc["tasks"]]


# ---------------------------------------------------------------------- the text each reader gives


@pytest.mark.parametrize("name", F.NAMES)
def test_docx_reads_as_the_text_with_word_numbering_and_merged_cells(name, tmp_path):
    path = F.write_docx(name, tmp_path / f"{name}.docx")
    document = read_document(path)
    assert document.format == "docx"
    assert document.text.splitlines() == expected_lines(name)
    assert "内部资料" not in document.text  # the page header is not the body


@pytest.mark.parametrize("name", F.NAMES)
def test_web_page_reads_as_the_article_with_rowspan_cells_repeated(name, tmp_path):
    path = F.write_html(name, tmp_path / f"{name}.html")
    document = read_document(path)
    assert document.format == "html"
    assert document.text.splitlines() == expected_lines(name)
    for chrome in ("走进本区", "当前位置", "相关文章", "关于印发第1号文件", "网站标识码", "var menu"):
        assert chrome not in document.text


@pytest.mark.parametrize("name", FAST_PDF)
def test_pdf_reads_as_the_text_without_running_header_and_page_numbers(name, tmp_path):
    path = F.write_pdf(name, tmp_path / f"{name}.pdf")
    document = read_document(path)
    assert document.format == "pdf"
    assert squeeze(document.text.splitlines()) == squeeze(expected_lines(name))
    assert "本区人民政府办公室文件" not in document.text and "\u2014 2 \u2014" not in document.text


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in F.NAMES if n not in FAST_PDF])
def test_pdf_reads_as_the_text_every_corpus_document(name, tmp_path):
    path = F.write_pdf(name, tmp_path / f"{name}.pdf")
    assert squeeze(read_document(path).text.splitlines()) == squeeze(expected_lines(name))


def test_pdf_table_over_pages_is_one_table_with_its_header_once(tmp_path):
    path = F.write_pdf("qp_cdw_2025", tmp_path / "qp.pdf")
    lines = read_document(path).text.splitlines()
    header = pipe_row(F.blocks("qp_cdw_2025")[next(i for i, b in enumerate(F.blocks("qp_cdw_2025"))
                                                   if isinstance(b, F.TableBlock))].header)
    assert lines.count(header) == 1
    rows = [line for line in lines if line.startswith("| ")]
    assert len(rows) == 1 + len(F.table_items("qp_cdw_2025"))


def test_web_page_in_gb18030_declared_as_gb2312_and_undeclared(tmp_path):
    # 喆 is in GBK/GB18030 but not in GB2312: pages labelled gb2312 hold such characters
    for declare in ("gb2312", None):
        page = ("<html><head>" + (f'<meta http-equiv="Content-Type" content="text/html; charset={declare}">'
                                  if declare else "") + "</head><body><p>王喆同志：（一）加强管理。</p></body></html>")
        path = tmp_path / f"page-{declare}.htm"
        path.write_bytes(page.encode("gb18030"))
        assert read_document(path).text == "王喆同志：（一）加强管理。\n"


def test_colspan_and_rowspan_fill_every_cell_they_cover(tmp_path):
    path = tmp_path / "t.html"
    path.write_text("""<table><tr><th>序号</th><th>任务</th><th colspan="2">责任单位</th></tr>
        <tr><td>1</td><td rowspan="2">推进<br>建设|管理</td><td>区发展改革委</td><td rowspan="2">区财政局</td></tr>
        <tr><td>2</td><td>区商务委</td></tr>
        <tr><td colspan="4">合计</td></tr></table>""", encoding="utf-8")
    assert read_document(path).text.splitlines() == [
        "| 序号 | 任务 | 责任单位 | 责任单位 |",
        "| 1 | 推进、建设/管理 | 区发展改革委 | 区财政局 |",
        "| 2 | 推进、建设/管理 | 区商务委 | 区财政局 |",
        "| 合计 | 合计 | 合计 | 合计 |",
    ]


def test_saved_single_file_page_reads_like_the_page(tmp_path):
    page = F.write_html("sj_renewal_2025", tmp_path / "p.html", encoding="gb18030", declare="gb2312")
    message = email.message.EmailMessage()
    message["MIME-Version"] = "1.0"
    message.make_mixed()
    message.set_type("multipart/related")
    part = email.message.EmailMessage()
    part.set_content(page.read_bytes(), maintype="text", subtype="html", cte="quoted-printable")
    part.set_param("charset", "gb18030")
    message.attach(part)
    mht = tmp_path / "p.mht"
    mht.write_bytes(message.as_bytes())
    assert read_document(mht).format == "mhtml"
    assert read_document(mht).text == read_document(page).text


def test_spreadsheet_with_merged_cells_reads_as_the_table(tmp_path):
    import openpyxl

    table = next(b for b in F.blocks("bs_garbage_2019") if isinstance(b, F.TableBlock))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2019年宝山区生活垃圾分类减量推进工作联席会议成员单位工作任务清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(table.header))
    sheet.append(table.header)
    for row in table.rows:
        sheet.append(["" if v is None else v for v in row])
    for c in range(len(table.header)):  # merge each run of None into the cell above, as offices do
        r = 0
        while r < len(table.rows):
            top = r
            while r + 1 < len(table.rows) and table.rows[r + 1][c] is None:
                r += 1
            if r > top:
                sheet.merge_cells(start_row=top + 3, start_column=c + 1, end_row=r + 3, end_column=c + 1)
            r += 1
    path = tmp_path / "breakdown.xlsx"
    book.save(path)
    lines = read_document(path).text.splitlines()
    assert lines[0] == "2019年宝山区生活垃圾分类减量推进工作联席会议成员单位工作任务清单"
    assert lines[1:] == [pipe_row(r) for r in [table.header, *F.filled(table)]]
    tasks = parsed(path)["tasks"]  # and `plan parse` reads the workbook's rows as tasks
    for row in F.expected_table_rows("bs_garbage_2019"):
        task = next(t for t in tasks if t["text"].startswith(row["text_start"]))
        assert (task["lead"], task["responsible"]) == (row["lead"], row["responsible"])

    csv_path = tmp_path / "分解表.csv"
    import csv

    with csv_path.open("w", encoding="gb18030", newline="") as out:
        csv.writer(out).writerows([table.header, *F.filled(table)])
    assert read_document(csv_path).text.splitlines() == lines[1:]


# ---------------------------------------------------------------------- the same plan from every format


@pytest.mark.parametrize("fmt", ["docx", "html", "pdf"])
@pytest.mark.parametrize("name", [n for n in F.NAMES if n not in TABLE_DOCS])
def test_same_tasks_units_and_deadlines_as_from_the_text(name, fmt, tmp_path):
    writer = {"docx": F.write_docx, "html": F.write_html, "pdf": F.write_pdf}[fmt]
    path = writer(name, tmp_path / f"{name}.{fmt}")
    from_text = parsed(F.CORPUS / f"{name}.txt")
    from_file = parsed(path)
    assert essentials(from_file, squeeze_text=fmt == "pdf") == essentials(from_text, squeeze_text=fmt == "pdf")
    for field in ("title", "document_number", "written_on", "published_on", "jurisdiction"):
        assert from_file["plan"].get(field) == from_text["plan"].get(field)


@pytest.mark.parametrize("name", TABLE_DOCS)
def test_task_table_gives_the_same_tasks_from_word_web_page_and_pdf(name, tmp_path):
    docx = essentials(parsed(F.write_docx(name, tmp_path / f"{name}.docx")), squeeze_text=True)
    page = essentials(parsed(F.write_html(name, tmp_path / f"{name}.html")), squeeze_text=True)
    pdf = essentials(parsed(F.write_pdf(name, tmp_path / f"{name}.pdf")), squeeze_text=True)
    assert docx == page == pdf
    assert len(docx) >= len(F.table_items(name))


@pytest.mark.parametrize("name", TABLE_DOCS)
def test_task_table_rows_read_from_a_real_table_as_labelled(name, tmp_path):
    tasks = parsed(F.write_docx(name, tmp_path / f"{name}.docx"))["tasks"]
    for row in F.expected_table_rows(name):
        task = next(t for t in tasks if re.sub(r"\s+", "", t["text"]).startswith(row["text_start"]))
        assert (task["lead"], task["responsible"], task["deadline"]) == (row["lead"], row["responsible"],
                                                                         row["deadline"]), row["text_start"]


# ---------------------------------------------------------------------- told by content, not by name


def test_format_is_told_by_content_not_extension(tmp_path):
    docx = F.write_docx("sj_renewal_2025", tmp_path / "a.docx")
    page = F.write_html("sj_renewal_2025", tmp_path / "a.html")
    disguised = {tmp_path / "方案.txt": docx.read_bytes(), tmp_path / "方案.doc": page.read_bytes(),
                 tmp_path / "方案": docx.read_bytes()}
    for path, data in disguised.items():
        path.write_bytes(data)
    assert read_document(tmp_path / "方案.txt").format == "docx"
    assert read_document(tmp_path / "方案.doc").format == "html"  # sites serve "Word" files that are web pages
    assert read_document(tmp_path / "方案").text == read_document(docx).text


# ---------------------------------------------------------------------- bad input


def refused(path: Path, *words: str, lang: str = "zh") -> None:
    """As the user sees it: the command's own process, its message on stderr, its exit code."""
    out = path.parent / "draft.toml"
    result = subprocess.run([sys.executable, "-m", "tracker.cli", "--lang", lang, "plan", "parse", str(path), "-o",
                             str(out)], capture_output=True, text=True, env={**os.environ, "TRACKER_LANG": lang})
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_none_of_the_formats(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 8)
    refused(path, "无法识别的文件格式")
    refused(path, "not a format", lang="en")
    archive = tmp_path / "files.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    refused(archive, "压缩包")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    refused(empty, "空")


def test_a_zip_bomb_dressed_as_a_word_file(tmp_path):
    path = tmp_path / "方案.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(300):  # 300 MB unpacked, a few hundred KB packed
                member.write(block)
    assert path.stat().st_size < 2 * 1024 * 1024
    refused(path, "文件未打开", "解压后共300 MB\uff0c超过已发布方案上限50 MB")
    refused(path, "the file was not opened: its parts unpack to 300 MB, more than the 50 MB a published plan may hold",
            "word/document.xml unpacks to", lang="en")


def test_a_word_file_packed_tighter_than_office_packs_is_not_opened(tmp_path, monkeypatch):
    """Under the size bound, a part packed at thousands to one is still no document."""
    source = F.write_docx("sj_renewal_2025", tmp_path / "real.docx")
    bomb = F.rebuilt(source, tmp_path / "tight.docx", part="word/document.xml", padding=3 * 2**20)
    refused(bomb, "the file was not opened: its part word/document.xml unpacks to", "more than the 200 times office "
            "programs pack", lang="en")
    with zipfile.ZipFile(bomb) as z:
        assert z.read("word/document.xml").rstrip().endswith(b"</w:document>")  # a sound Word file, only padded


def test_legacy_word_and_wps_say_save_as_docx(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 512
    for name in ("方案.doc", "方案.wps"):
        (tmp_path / name).write_bytes(ole)
        refused(tmp_path / name, ".docx")
    (tmp_path / "方案.rtf").write_bytes(b"{\\rtf1\\ansi hello}")
    refused(tmp_path / "方案.rtf", ".docx")


def test_encrypted_pdf(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(path), encrypt="secret")
    c.drawString(100, 700, "key tasks")
    c.save()
    refused(path, "密码")
    refused(path, "password", lang="en")


def test_scanned_pdf_without_a_text_layer(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    for page in range(2):
        for y in range(100, 700, 14):  # what a scan is to a text reader: marks, no characters
            c.rect(72, y, 400, 8, fill=1)
        c.showPage()
    c.save()
    refused(path, "文字层", "OCR")


def test_a_pdf_of_more_pages_than_a_plan_has_is_not_read(tmp_path, monkeypatch):
    """Each page is laid out in full, so a PDF of many thousand pages would keep `plan parse`
    busy for hours: past the bound (2,000 pages; 3 here) it is refused, before any page is read."""
    from reportlab.pdfgen import canvas

    from tracker.ingest.formats import pdf

    path = tmp_path / "long.pdf"
    c = canvas.Canvas(str(path))
    for page in range(4):
        c.drawString(72, 700, f"page {page}")
        c.showPage()
    c.save()
    monkeypatch.setattr(pdf, "MAX_PAGES", 3)
    with pytest.raises(UnreadableFile, match="PDF共4页\uff0c超过已发布方案上限3页") as refused_:
        read_document(path)
    assert refused_.value.where == str(path)
    assert "4 pages, more than the 3 a published plan may have" in refused_.value.words("en")
    monkeypatch.setattr(pdf, "MAX_PAGES", 4)
    assert "page 3" in read_document(path).text


def test_a_file_larger_than_any_published_plan_is_not_read(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:  # sparse: 101 MB long, nothing written (and nothing to read, if it were read)
        f.truncate(101 * 2**20)
    refused(path, "文件有101 MB\uff0c超过已发布方案上限100 MB")
    refused(path, "the file is 101 MB, more than the 100 MB a published plan may be", lang="en")


def test_docx_without_text_and_damaged_docx(tmp_path):
    import docx

    path = tmp_path / "blank.docx"
    document = docx.Document()
    document.add_paragraph("")
    document.add_table(rows=2, cols=2)
    document.save(path)
    refused(path, "没有文字")
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<not xml")
    refused(broken, "损坏")


def test_damaged_pdf(tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n% cut short")
    refused(path, "PDF")


def test_a_scanned_page_inside_a_pdf_is_named(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "mixed.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    c.drawString(72, 700, "一、加强组织领导。（责任单位：市发展改革委）")
    c.showPage()
    c.rect(72, 100, 400, 600, fill=1)  # page 2: an image of a page, no characters
    c.showPage()
    c.save()
    document = read_document(path)
    assert "市发展改革委" in document.text
    assert document.warnings == ["第2页没有文字层（扫描页？），未读取"]
