"""The Code tab: the user's training code (read statically, never run) with line numbers,
and the lines a finding points at highlighted."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QPainter, QPalette, QTextCursor, QTextFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QTextEdit, QVBoxLayout, QWidget, QHBoxLayout

HIGHLIGHT = QColor(255, 170, 0, 90)
SELECTED = QColor(0, 120, 255, 80)


class _LineNumbers(QWidget):
    def __init__(self, editor: "CodeEditor") -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """Read-only code with a line-number gutter and highlighted lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.gutter = _LineNumbers(self)
        self.flagged: dict[int, str] = {}  # 1-based line -> why
        self.selected_line: int | None = None
        self.blockCountChanged.connect(lambda _: self.setViewportMargins(self.gutter_width(), 0, 0, 0))
        self.updateRequest.connect(self._on_update)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 10 + self.fontMetrics().horizontalAdvance("9") * (digits + 1)

    def _on_update(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        rect = self.contentsRect()
        self.gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    def paint_gutter(self, event) -> None:
        painter = QPainter(self.gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                painter.setPen(palette.color(QPalette.ColorRole.Text) if number + 1 in self.flagged
                               else palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(0, top, self.gutter.width() - 5, self.fontMetrics().height(),
                                 Qt.AlignmentFlag.AlignRight, str(number + 1))
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1

    def set_flagged(self, flagged: dict[int, str]) -> None:
        self.flagged = dict(flagged)
        self._paint_lines()

    def show_line(self, line: int) -> bool:
        """Scroll to ``line`` (1-based) and mark it selected; False when out of range."""
        block = self.document().findBlockByNumber(line - 1)
        if not block.isValid():
            return False
        self.selected_line = line
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        self._paint_lines()
        return True

    def _paint_lines(self) -> None:
        selections = []
        lines = dict.fromkeys(self.flagged, HIGHLIGHT)
        if self.selected_line is not None:
            lines[self.selected_line] = SELECTED
        for line, colour in sorted(lines.items()):
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(colour)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            selections.append(selection)
        self.setExtraSelections(selections)
        self.gutter.update()


class CodeView(QWidget):
    """The Code tab: which file, the code, and the flagged lines."""

    line_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.editor = CodeEditor(self)
        self.editor.setObjectName("code_editor")
        self.paste_button = QPushButton(self)
        self.paste_button.setObjectName("paste_code")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.paste_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.editor, 1)
        self.retranslate()

    def retranslate(self) -> None:
        self.paste_button.setText(self.tr("Paste code…"))
        if self.path is None:
            self.title.setText(self.tr("Drop a training script (.py) or notebook (.ipynb), or paste code: "
                                       "TrainDoc reads it without running it."))
        else:
            self.title.setText(self.tr("{0} — read without running it").format(self.path))

    def set_code(self, text: str | None, path: str | None) -> None:
        self.path = path if text is not None else None
        self.editor.setPlainText(text or "")
        self.editor.selected_line = None
        self.editor.set_flagged({})
        self.retranslate()

    def set_flagged(self, flagged: dict[int, str]) -> None:
        self.editor.set_flagged(flagged)

    def show_line(self, line: int) -> bool:
        return self.editor.show_line(line)
