"""Domain text in English and Simplified Chinese, rendered late.

Rule titles, explanations and evidence sentences are :class:`Text` values: one template per
language with ``{name}`` placeholders filled from parameters at rendering time, so the CLI,
the reports and the GUI translate without Qt.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

LANGUAGES = ("en", "zh_CN")
DEFAULT_LANGUAGE = "en"


def normalize_language(lang: str | None) -> str:
    """``zh``, ``zh-CN``, ``zh_Hans`` → ``zh_CN``; anything else → ``en``."""
    if not lang:
        return DEFAULT_LANGUAGE
    lower = lang.replace("-", "_").lower()
    if lower.startswith("zh"):
        return "zh_CN"
    return "en"


def format_number(value: Any) -> str:
    """Numbers as people read them in a log: 4 significant decimals, nan/inf spelled."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e6:
        return f"{value:.3g}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.4g}"


def value_range(low: Any, high: Any) -> str:
    """``0.4988–0.5009``, or one number when both ends read the same (``0.5``, not ``0.5–0.5``)."""
    a, b = format_number(low), format_number(high)
    return a if a == b else f"{a}–{b}"


# "{count} layer(s)" in an English template: "1 layer", "3 layers" (the count, up to two words, then the noun).
_COUNTED_NOUN = re.compile(r"\b(\d[\d,]*)((?:\s+[A-Za-z_][\w-]*){0,2}?\s+[A-Za-z]+)\(s\)")


def plural_forms(text: str) -> str:
    """English text with each counted ``noun(s)`` in its form for the count."""
    return _COUNTED_NOUN.sub(lambda m: m.group(1) + m.group(2) + ("" if m.group(1) == "1" else "s"), text)


class _Params(dict):
    """Missing keys render as ``{key}`` instead of raising; numbers are formatted."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Text:
    """A sentence in both languages; ``{name}`` placeholders are filled by :meth:`render`."""

    en: str
    zh_CN: str

    def template(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.zh_CN if normalize_language(lang) == "zh_CN" else self.en

    def render(self, lang: str = DEFAULT_LANGUAGE, params: Mapping[str, Any] | None = None) -> str:
        values = _Params({k: format_number(v) for k, v in (params or {}).items()})
        text = self.template(lang).format_map(values)
        return plural_forms(text) if normalize_language(lang) == "en" else text

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh_CN": self.zh_CN}


def T(en: str, zh_CN: str) -> Text:  # noqa: N802 - short constructor used in rule tables
    return Text(en, zh_CN)


def percent(share: float, limit: float = 1e9) -> int:
    """``share`` as a whole percentage for a message (0.253 -> 25), bounded so that the
    extremes a log can hold (a loss of -1e308, a NaN) still give a number to print."""
    value = 100.0 * share
    if value != value:
        return 0
    return int(round(max(-limit, min(limit, value))))

