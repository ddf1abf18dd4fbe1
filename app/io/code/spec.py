"""What the training-code reader gives: the model, the fit settings, and where each part is built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.model import ModelSpec
from app.core.run import FitSettings, Source
from app.io.code.values import Span, Unresolved


@dataclass(frozen=True)
class CodeSite:
    """Where the code builds something a patch may edit: the span of its call in the parsed
    text (``ast`` positions: 1-based lines, UTF-8 byte columns), the code shown for it, and
    how many layers that one call built (a helper function called twice builds two)."""

    span: Span
    line: int | None
    snippet: str
    builds: int = 1


@dataclass
class CodeSpec:
    """What was read from training code."""

    path: str
    model: ModelSpec | None
    fit: FitSettings
    fit_extra: dict[str, Any] = field(default_factory=dict)  # class_weight, validation, callbacks ...
    hints: dict[str, Source] = field(default_factory=dict)  # data-preparation hints, first sighting
    unresolved: list[Unresolved] = field(default_factory=list)
    assumptions: list[Unresolved] = field(default_factory=list)  # what the reader assumed, and where
    lines: list[str] = field(default_factory=list)  # the code lines shown (Source.line indexes them)
    recovered: list[str] = field(default_factory=list)  # repairs made to pasted text
    models: list[ModelSpec] = field(default_factory=list)  # every model built, the main one first
    compile_source: Source | None = None
    fit_source: Source | None = None
    # Where things are built, for editing the code itself (app.patches.script): spans in
    # ``text``, which is the code exactly as given (line ends normalized to LF) when
    # ``editable``; pasted text that needed repairs is not editable.
    text: str = ""
    editable: bool = False
    layer_sites: dict[str, CodeSite] = field(default_factory=dict)  # by layer path in ``config``
    compile_site: CodeSite | None = None
    fit_site: CodeSite | None = None
    optimizer_site: CodeSite | None = None  # the optimizer's constructor call, when the code has one
    config: dict[str, Any] | None = None  # the main model as a Keras 3 top-level config (with compile_config)
    # A notebook read without repairs: ``text`` is its code cells joined (a blank line between
    # cells); ``cells`` gives, per line of ``text``, (index in the notebook's "cells", line in
    # that cell) or None for the line between cells, and ``notebook`` the notebook as given.
    cells: list[tuple[int, int] | None] | None = None
    notebook: str | None = None

    def line_text(self, line: int | None) -> str:
        if line is None or not 1 <= line <= len(self.lines):
            return ""
        return self.lines[line - 1]
