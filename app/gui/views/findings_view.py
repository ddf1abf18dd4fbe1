"""The findings panel: symptoms seen, causes ranked by confidence, evidence, fixes.

Selecting a symptom or a piece of evidence emits ``evidence_selected`` with where it
points (a range of a metric, or a layer); the window highlights it on the plot or in the
model view. Fix buttons emit ``fix_requested``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QHeaderView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.diagnosis import Evidence, Finding, Fix
from app.core.i18n import plural_forms

ROLE = Qt.ItemDataRole.UserRole


class FindingsPanel(QWidget):
    evidence_selected = Signal(dict)  #: the ``where`` of the selected symptom/evidence
    finding_selected = Signal(object)  #: the selected Finding (or None)
    fix_requested = Signal(object, object)  #: Fix, Finding
    trial_requested = Signal(object, object)  #: Fix, Finding: "Try this fix"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lang = "en"
        self.cases: list = []
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("findings")
        self.tree.setColumnCount(2)
        header = self.tree.header()
        header.setStretchLastSection(False)  # the text takes the width, the number its own
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.currentItemChanged.connect(self._on_current)
        self.details = QTextBrowser(self)
        self.details.setObjectName("finding_details")
        self.details.setOpenExternalLinks(False)
        self.fix_bar = QWidget(self)
        self.fix_layout = QHBoxLayout(self.fix_bar)
        self.fix_layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setObjectName("diagnosis_summary")
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.details)
        bottom_layout.addWidget(self.fix_bar)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(splitter)
        self.retranslate()

    # -- content -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.tree.setHeaderLabels([self.tr("Finding"), self.tr("Confidence")])
        self.set_cases(self.cases)

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self.retranslate()

    def set_cases(self, cases: list) -> None:
        """Show the diagnosis of every case (list of CaseDiagnosis)."""
        self.cases = list(cases)
        self.tree.clear()
        self._show_details(None)
        if not self.cases:
            self.summary.setText(self.tr("Open a training log or a model file to see a diagnosis."))
            return
        reported_total = 0
        for case in self.cases:
            d = case.diagnosis
            failures = [s for s in d.symptoms if s.id != "healthy"]
            if d.symptoms:
                group = QTreeWidgetItem([self.tr("What the curves show"), ""])
                group.setFirstColumnSpanned(True)
                _bold(group)
                self.tree.addTopLevelItem(group)
                for symptom in d.symptoms:
                    item = QTreeWidgetItem([f"{symptom.id}: {symptom.describe(self.lang)}",
                                            f"{symptom.strength:.2f}"])
                    item.setData(0, ROLE, ("symptom", symptom))
                    item.setToolTip(0, symptom.describe(self.lang))
                    group.addChild(item)
                group.setExpanded(True)
            for rank, finding in enumerate(d.reported, start=1):
                reported_total += 1
                self.tree.addTopLevelItem(self._finding_item(rank, finding))
            if not d.reported:
                text = self.tr("Nothing wrong found: the run trained as expected.") if d.runs and not failures \
                    else (self.tr("Nothing wrong found in the model's settings.") if not d.runs else
                          self.tr("No cause reaches the reporting threshold."))
                item = QTreeWidgetItem([text, ""])
                item.setForeground(0, QBrush(QColor("#2e7d32")))
                self.tree.addTopLevelItem(item)
            if d.possible:
                group = QTreeWidgetItem([self.tr("Possible causes (what was given cannot decide them)"), ""])
                group.setFirstColumnSpanned(True)
                _bold(group)
                self.tree.addTopLevelItem(group)
                for finding in d.possible:
                    item = self._finding_item(None, finding)
                    item.setForeground(0, QBrush(QColor("#6d6d6d")))
                    if finding.settle is not None:
                        item.setToolTip(0, finding.settle.render(self.lang))
                    group.addChild(item)
                group.setExpanded(True)
        first = self._first_finding_item()
        if first is not None:
            first.setExpanded(True)
            self.tree.setCurrentItem(first)
        self.summary.setText(plural_forms(self.tr("%n likely cause(s) found.", "", reported_total)))

    def _finding_item(self, rank: int | None, finding: Finding) -> QTreeWidgetItem:
        prefix = f"{rank}. " if rank is not None else ""
        item = QTreeWidgetItem([f"{prefix}{finding.title.render(self.lang)}  [{finding.cause}]",
                                f"{finding.confidence:.2f}"])
        item.setData(0, ROLE, ("finding", finding))
        _bold(item)
        for piece in finding.evidence:
            mark = "+" if piece.weight > 0 else ("−" if piece.weight < 0 else "·")
            child = QTreeWidgetItem([f"{mark} {piece.describe(self.lang)}", f"{piece.weight:+.2f}"])
            child.setData(0, ROLE, ("evidence", piece))
            child.setToolTip(0, piece.describe(self.lang))
            if piece.weight < 0:
                child.setForeground(0, QBrush(QColor("#9e9e9e")))
            item.addChild(child)
        return item

    def _first_finding_item(self) -> QTreeWidgetItem | None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            data = item.data(0, ROLE)
            if data and data[0] == "finding":
                return item
        return None

    def findings(self) -> list[Finding]:
        """The findings as listed, in rank order."""
        out = []
        for index in range(self.tree.topLevelItemCount()):
            data = self.tree.topLevelItem(index).data(0, ROLE)
            if data and data[0] == "finding":
                out.append(data[1])
        return out

    def item_for(self, kind: str, predicate) -> QTreeWidgetItem | None:
        """The first item of ``kind`` whose object satisfies ``predicate`` (for tests)."""
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop(0)
            data = item.data(0, ROLE)
            if data and data[0] == kind and predicate(data[1]):
                return item
            stack.extend(item.child(i) for i in range(item.childCount()))
        return None

    # -- selection -----------------------------------------------------------------------
    def _on_current(self, current: QTreeWidgetItem | None, _previous: Any = None) -> None:
        data = current.data(0, ROLE) if current is not None else None
        if not data:
            return
        kind, obj = data
        finding = obj if kind == "finding" else self._finding_of(current)
        self._show_details(finding)
        self.finding_selected.emit(finding)
        if kind == "symptom":
            self.evidence_selected.emit(obj.where)
        elif kind == "evidence" and (obj.where or obj.source is not None):
            where = dict(obj.where)
            if obj.source is not None and obj.source.line:
                where.update(source_path=obj.source.path, source_line=obj.source.line)
            self.evidence_selected.emit(where)

    def _finding_of(self, item: QTreeWidgetItem) -> Finding | None:
        parent = item.parent()
        data = parent.data(0, ROLE) if parent is not None else None
        return data[1] if data and data[0] == "finding" else None

    def _show_details(self, finding: Finding | None) -> None:
        while self.fix_layout.count():
            widget = self.fix_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        if finding is None:
            self.details.clear()
            return
        parts = [f"<h3>{_esc(finding.title.render(self.lang))}</h3>",
                 f"<p>{_esc(finding.explanation.render(self.lang))}</p>"]
        if finding.settle is not None:
            parts.append(f"<p><i>{_esc(finding.settle.render(self.lang))}</i></p>")
        if finding.fixes:
            parts.append("<p><b>" + self.tr("Fixes") + "</b></p><ul>")
            for fix in finding.fixes:
                parts.append(f"<li>{_esc(fix.title.render(self.lang, fix.params))}"
                             + (f"<pre>{_esc(fix.code)}</pre>" if fix.code else "") + "</li>")
            parts.append("</ul>")
        self.details.setHtml("".join(parts))
        for fix in finding.fixes:
            button = QPushButton(fix.title.render(self.lang, fix.params), self.fix_bar)
            button.setObjectName(f"fix_{fix.id}")
            button.setToolTip(fix.code)
            button.clicked.connect(lambda _=False, f=fix, fd=finding: self.fix_requested.emit(f, fd))
            self.fix_layout.addWidget(button)
            if fix.applicability != "manual":  # a file can carry it: it can be trained and compared
                trial = QPushButton(self.tr("Try this fix"), self.fix_bar)
                trial.setObjectName(f"try_{fix.id}")
                trial.setToolTip(self.tr("Train the original and the patched setup briefly on the data sample "
                                         "and compare them"))
                trial.clicked.connect(lambda _=False, f=fix, fd=finding: self.trial_requested.emit(f, fd))
                self.fix_layout.addWidget(trial)
        self.fix_layout.addStretch(1)


def _bold(item: QTreeWidgetItem) -> None:
    font = QFont(item.font(0))
    font.setBold(True)
    item.setFont(0, font)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["FindingsPanel", "Evidence", "Fix"]
