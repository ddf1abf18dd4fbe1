"""The facts of :mod:`app.core.read_summary` in the UI language, for the Open files panel:
a short line under each item and the whole list in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.core.i18n import plural_forms
from app.core.read_summary import ReadFact


def _template(kind: str) -> str:
    return {
        "epochs": QCoreApplication.translate("ReadFacts", "{count} epoch(s) of {names}"),
        "steps": QCoreApplication.translate("ReadFacts", "{count} step(s) of {names}"),
        "evaluations": QCoreApplication.translate("ReadFacts", "{count} result(s) of evaluate() ({names})"),
        "statements": QCoreApplication.translate("ReadFacts", "{count} sentence(s) used as evidence ({names})"),
        "layers": QCoreApplication.translate("ReadFacts", "{count} layer(s) ({names})"),
        "compile": QCoreApplication.translate("ReadFacts", "compile: {names}"),
        "fit": QCoreApplication.translate("ReadFacts", "fit: {names}"),
        "skipped_lines": QCoreApplication.translate("ReadFacts", "{count} other line(s) not read as metrics"),
    }[kind]


def _short(kind: str) -> str:
    return {
        "epochs": QCoreApplication.translate("ReadFacts", "{count} epoch(s)"),
        "steps": QCoreApplication.translate("ReadFacts", "{count} step(s)"),
        "evaluations": QCoreApplication.translate("ReadFacts", "{count} result(s) of evaluate()"),
        "statements": QCoreApplication.translate("ReadFacts", "{count} sentence(s)"),
        "layers": QCoreApplication.translate("ReadFacts", "{count} layer(s)"),
        "compile": QCoreApplication.translate("ReadFacts", "compiled"),
        "fit": QCoreApplication.translate("ReadFacts", "fit() settings"),
        "skipped_lines": QCoreApplication.translate("ReadFacts", "{count} other line(s) not read as metrics"),
    }[kind]


def _render(template: str, fact: ReadFact) -> str:
    text = template.format(count=f"{fact.count:,}", names=", ".join(fact.names))
    return plural_forms(text.replace(" ()", "").replace("（）", ""))


def fact_lines(facts: list[ReadFact]) -> list[str]:
    """One line per fact, with the names (metrics, settings) it involves."""
    if not facts:
        return [QCoreApplication.translate("ReadFacts", "nothing usable was read")]
    return [_render(_template(f.kind), f) for f in facts]


def short_line(facts: list[ReadFact]) -> str:
    """The counts alone, on one line (what shows under the item)."""
    if not facts:
        return QCoreApplication.translate("ReadFacts", "nothing usable was read")
    return " · ".join(_render(_short(f.kind), f) for f in facts if f.kind != "fit" or len(facts) == 1)
