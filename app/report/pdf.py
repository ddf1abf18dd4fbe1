"""The PDF report, rendered by Qt alone: no browser, no external tool.

The HTML of :mod:`app.report.html` (in its Qt flavour) is laid out by ``QTextDocument`` on
a ``QPdfWriter`` page (A4 or Letter) and painted page by page, with "Page n of N" in the
footer. Chinese text needs a font with CJK glyphs: one is looked up in ``QFontDatabase``
(Noto Sans CJK, Source Han Sans, Microsoft YaHei, PingFang …) and used for the whole
document, so Qt embeds it (subset, with a ToUnicode map: the characters stay searchable and
copyable in the PDF's text layer).

Qt is imported lazily; a QApplication is created on the offscreen platform when none runs.
"""

from __future__ import annotations

from typing import Any

from app.report.labels import label
from app.report.pdf_text import default_replacement, fix_to_unicode, is_radical

PAGE_SIZES = ("A4", "Letter")
MARGIN_MM = 15.0
RESOLUTION = 300  # layout units per inch on the PDF page
BODY_POINTS = 9.5
FOOTER_POINTS = 8.0
# Preferred CJK families, most preferred first; any family with Simplified Chinese glyphs
# will do when none of these is installed.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei",
                "PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                "Noto Sans SC", "SimHei", "SimSun", "Noto Serif CJK SC")
# Latin text and digits come from a Latin font first: Qt's PDF text layer loses the digits
# of some CJK fonts (Noto Sans CJK's proportional digits have no ToUnicode entry).
LATIN_FAMILIES = ("DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial", "Helvetica Neue", "Helvetica",
                  "Segoe UI")
MONO_FAMILIES = ("DejaVu Sans Mono", "Liberation Mono", "Menlo", "Consolas", "Courier New")
CJK_MONO_FAMILIES = ("Noto Sans Mono CJK SC", "Sarasa Mono SC")

# The subset of CSS Qt's rich text understands (colours, sizes, margins, fonts).
QT_STYLE = """
h1 { font-size: 17pt; margin-bottom: 2px; }
h2 { font-size: 13.5pt; margin-top: 14px; color: #222222; }
h3 { font-size: 11.5pt; margin-top: 10px; }
h4 { font-size: 10.5pt; margin-top: 8px; }
h5 { font-size: 10pt; margin-top: 6px; margin-bottom: 2px; }
.meta { color: #666666; font-size: 8.5pt; }
.top { background-color: #fff4e5; }
th { background-color: #f0f0f0; font-weight: bold; }
table { margin-top: 4px; margin-bottom: 4px; }
td, th { font-size: 8.5pt; }
code { font-family: %(mono)s; background-color: #f3f3f3; }
pre { font-family: %(mono)s; font-size: 8.5pt; }
.badge { font-weight: bold; }
.safe { color: #2e7d32; }
.review { color: #ef6c00; }
.manual { color: #546e7a; }
"""


def _first_family(preferred: tuple[str, ...], available: list[str]) -> str | None:
    lower = {name.lower(): name for name in available}
    for name in preferred:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def cjk_font_family() -> str | None:
    """An installed font family with Simplified Chinese glyphs (None if there is none)."""
    from PySide6.QtGui import QFontDatabase

    chinese = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    found = _first_family(CJK_FAMILIES, chinese)
    if found:
        return found
    # Any family that claims Simplified Chinese, preferring sans and "SC"/"CN" variants.
    ranked = sorted(chinese, key=lambda f: ("sc" not in f.lower() and "cn" not in f.lower(),
                                            "serif" in f.lower() or "mono" in f.lower(), f))
    return ranked[0] if ranked else None


def font_families(preferred: tuple[str, ...], fallback: tuple[str, ...] = ()) -> list[str]:
    """The first installed family of ``preferred``, then of ``fallback`` (each optional)."""
    from PySide6.QtGui import QFontDatabase

    available = QFontDatabase.families()
    out = [f for f in (_first_family(preferred, available), _first_family(fallback, available)) if f]
    return out


def body_font(point_size: float) -> "QFont":  # noqa: F821 - Qt type, imported lazily
    """Latin font first (digits stay in the text layer), then the CJK font for Chinese."""
    from PySide6.QtGui import QFont

    families = font_families(LATIN_FAMILIES)
    cjk = cjk_font_family()
    if cjk:
        families.append(cjk)
    font = QFont()
    if families:
        font.setFamilies(families)
    font.setPointSizeF(point_size)
    return font


def _css_families(families: list[str]) -> str:
    return ", ".join(f'"{f}"' for f in families) + ", monospace"


def render_pdf(report: Any, page_size: str = "A4", charts: list | None = None) -> bytes:
    """The report as PDF bytes on ``page_size`` ("A4" or "Letter") pages."""
    return _render(report, page_size, charts)[0]


def render_pdf_with_pages(report: Any, page_size: str = "A4", charts: list | None = None) -> tuple[bytes, int]:
    """PDF bytes and the number of pages Qt laid out (what ``pdfinfo`` should report)."""
    return _render(report, page_size, charts)


def _page_size_id(page_size: str):
    from PySide6.QtGui import QPageSize

    sizes = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
    try:
        return sizes[page_size.lower()]
    except KeyError:
        raise ValueError(f"page size {page_size!r}: expected one of {', '.join(PAGE_SIZES)}") from None


def _render(report: Any, page_size: str, charts: list | None) -> tuple[bytes, int]:
    size_id = _page_size_id(page_size)
    from app.report.charts import qt_application, render_charts

    qt_application()
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt, QUrl
    from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

    from app.report.html import render_html

    if charts is None:
        charts = render_charts(report)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(QPageLayout(QPageSize(size_id), QPageLayout.Orientation.Portrait,
                                     QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                     QPageLayout.Unit.Millimeter))
    writer.setTitle(label("title", report.lang))
    writer.setCreator(f"TrainDoc {report.traindoc}")

    font = body_font(BODY_POINTS)
    footer_font = body_font(FOOTER_POINTS)

    page = writer.pageLayout().paintRectPixels(writer.resolution())
    footer_height = round(RESOLUTION * 0.3)  # 0.3 inch under the text for the page number
    body = QSizeF(page.width(), page.height() - footer_height)
    # Qt's rich text sizes images in 96-dpi pixels and scales them to the device.
    image_width = int(body.width() * 96 / RESOLUTION) - 2

    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)
    document.setDefaultFont(font)
    mono = font_families(MONO_FAMILIES, CJK_MONO_FAMILIES) + [f for f in font.families() if f not in MONO_FAMILIES]
    document.setDefaultStyleSheet(QT_STYLE % {"mono": _css_families(mono)})
    for chart in charts:
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"chart-{chart.case}.png"),
                             QImage.fromData(chart.png, "PNG"))
    document.setHtml(render_html(report, charts, for_qt=True, image_src=lambda c: f"chart-{c.case}.png",
                                 image_width=image_width))
    document.setPageSize(body)
    if keep_together(document, body.height()):
        document.markContentsDirty(0, document.characterCount())  # lay out anew with the page breaks
    pages = document.pageCount()
    footers = [label("page", report.lang, page=index + 1, pages=pages) for index in range(pages)]

    painter = QPainter()
    if not painter.begin(writer):
        raise RuntimeError("Qt could not start the PDF")
    try:
        for index in range(pages):
            if index:
                writer.newPage()
            painter.save()
            top = index * body.height()
            painter.translate(0, -top)
            document.drawContents(painter, QRectF(0, top, body.width(), body.height()))
            painter.restore()
            painter.setFont(footer_font)
            painter.setPen(Qt.GlobalColor.darkGray)
            painter.drawText(QRectF(0, body.height(), body.width(), footer_height),
                             int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                             footers[index])
    finally:
        painter.end()
    buffer.close()
    drawn = set(document.toPlainText()) | set("".join(footers))
    return fix_to_unicode(bytes(data.data()), _text_layer_repair(drawn)), pages


def _kept_together(document) -> list[list]:
    """Blocks that belong on one page, in document order: each run of ``<pre>`` lines (Qt
    makes each line a block of unbreakable lines), and each heading (with the headings right
    under it) with the block after them."""
    groups: list[list] = []
    block, previous_was_code = document.begin(), False
    while block.isValid():
        is_code = block.blockFormat().nonBreakableLines()
        if is_code and previous_was_code:
            groups[-1].append(block)
        elif is_code:
            groups.append([block])
        elif block.blockFormat().headingLevel() > 0:
            headings = [block]  # a heading, the headings right under it, and what follows them
            while headings[-1].next().isValid() and headings[-1].next().blockFormat().headingLevel() > 0:
                headings.append(headings[-1].next())
            following = headings[-1].next()
            if following.isValid():
                groups.append([*headings, following])
            block = headings[-1]
        previous_was_code = is_code
        block = block.next()
    return groups


def keep_together(document, page_height: float) -> int:
    """Start a code block, or a heading and what follows it, on the next page when it would
    straddle a page break.

    A code change split by the footer is hard to read and to copy, and a heading alone at the
    foot of a page reads as a blank section. A group taller than a page has to split and is
    left alone. Returns how many groups were moved.
    """
    from PySide6.QtGui import QTextBlockFormat, QTextCursor, QTextFormat

    layout, moved = document.documentLayout(), 0
    for group in _kept_together(document):
        top = layout.blockBoundingRect(group[0]).top()
        last = layout.blockBoundingRect(group[-1])
        # A heading needs only the first line of what follows it on its page.
        bottom = last.bottom() if group[0].blockFormat().headingLevel() == 0 else \
            last.top() + min(last.height(), _first_line_height(group[-1]))
        if bottom - top >= page_height or int(top // page_height) == int((bottom - 1) // page_height):
            continue
        page_break = QTextBlockFormat()
        page_break.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
        QTextCursor(group[0]).mergeBlockFormat(page_break)
        moved += 1
    return moved


def _first_line_height(block) -> float:
    layout = block.layout()
    return layout.lineAt(0).height() if layout is not None and layout.lineCount() else 0.0


def _text_layer_repair(drawn: set[str]):
    """Map the characters Qt wrongly wrote in the text layer back to the ones drawn.

    A radical (U+2E80–U+2FDF) stands for the drawn ideograph with the same glyph in the
    CJK font (⻅ → 见); without such a glyph match, its NFKC form (⽣ → 生). Ligatures
    become their letters (ﬁ → fi) and tabs spaces.
    """
    from PySide6.QtGui import QFont, QRawFont

    family = cjk_font_family()
    by_glyph: dict[int, str] = {}
    raw = QRawFont.fromFont(QFont(family)) if family else None
    if raw is not None and raw.isValid():
        for char in sorted(drawn):
            if ord(char) > 0x2FFF:
                glyphs = raw.glyphIndexesForString(char)
                if glyphs and glyphs[0]:
                    by_glyph.setdefault(glyphs[0], char)

    def replace(char: str) -> str:
        if char in drawn and not is_radical(char) and char != "\t":
            return char
        if is_radical(char) and raw is not None and raw.isValid():
            glyphs = raw.glyphIndexesForString(char)
            if glyphs and glyphs[0] in by_glyph:
                return by_glyph[glyphs[0]]
        return default_replacement(char)

    return replace
