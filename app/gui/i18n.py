"""UI language: Qt translators for TrainDoc's own texts and Qt's standard dialogs.

TrainDoc's chrome is translated with ``self.tr()`` and ``resources/i18n/traindoc_zh_CN.qm``
(compiled from the ``.ts`` by ``packaging/build_translations.py``). Rule texts carry both
languages in the pure layers and are rendered with the same language code.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.core.i18n import normalize_language
from app.resources import resource_path

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}

_installed: list[QTranslator] = []


def system_language() -> str:
    return normalize_language(QLocale.system().name())


def install_language(lang: str) -> str:
    """Switch the running application to ``lang``; returns the language now in use."""
    app = QCoreApplication.instance()
    lang = normalize_language(lang)
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if lang == "en":
        return lang
    ours = QTranslator(app)
    if ours.load(str(resource_path("i18n", f"traindoc_{lang}.qm"))):
        app.installTranslator(ours)
        _installed.append(ours)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    return lang
