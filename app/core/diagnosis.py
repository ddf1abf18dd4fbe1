"""What the rule engine produces: symptoms, evidence, findings, fixes, a diagnosis.

Plain data: the engine (``app.rules``) fills these, the CLI, the reports and the GUI render
them. Sentences are :class:`~app.core.i18n.Text` templates plus parameters, rendered in the
reader's language late. ``Diagnosis.to_dict`` is the documented JSON (``traindoc diagnose
--format json``); ``app/schemas/diagnosis.schema.json`` describes the CLI JSON around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.i18n import Text
from app.core.run import Source
from app.core.serialize import number

EvidenceKind = Literal["symptom", "described", "static", "setting", "absence", "measured"]
Applicability = Literal["safe", "review", "manual"]

# Findings at or above this confidence are reported; weaker ones only with --all.
REPORTING_THRESHOLD = 0.4
# "Possible" causes: below the threshold, still worth naming with what would decide them.
POSSIBLE_FLOOR = 0.15
MAX_POSSIBLE = 3


@dataclass(frozen=True)
class Symptom:
    """Something visible in the curves or evaluations of one run."""

    id: str  # a TAXONOMY symptom id
    run: str  # the run's name
    metric: str | None  # "val_accuracy"; None for run-wide symptoms
    start: int | None  # first epoch (or step) of the range, inclusive
    end: int | None  # last epoch (or step), inclusive
    strength: float  # 0..1: how clearly the curves show it
    detail: Text
    params: dict[str, Any] = field(default_factory=dict)
    axis: Literal["epoch", "step"] = "epoch"
    source: Source | None = None
    # "measured" from the curves, or "described" in the words of the text around the log
    # (weaker evidence, shown with its sentence).
    kind: Literal["measured", "described"] = "measured"

    def describe(self, lang: str = "en") -> str:
        return self.detail.render(lang, self.params)

    @property
    def where(self) -> dict[str, Any]:
        """Where the symptom is, as evidence about it says (``Evidence.where``: the curves' highlight)."""
        return {"symptom": self.id, "metric": self.metric, "start": self.start, "end": self.end, "axis": self.axis,
                "run": self.run}

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "id": self.id,
            "run": self.run,
            "metric": self.metric,
            "axis": self.axis,
            "start": self.start,
            "end": self.end,
            "strength": round(float(self.strength), 3),
            "detail": self.describe(lang),
            "params": {k: _plain(v) for k, v in self.params.items()},
            "source": self.source.to_dict() if self.source else None,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Evidence:
    """One reason for (weight > 0) or against (weight < 0) a cause."""

    kind: EvidenceKind
    code: str  # stable id of the sentence, e.g. "output_activation_vs_loss"
    text: Text
    weight: float  # -1..1
    params: dict[str, Any] = field(default_factory=dict)
    # Where to point: {"symptom": id, "metric": m, "start": e0, "end": e1} for curves,
    # {"layer": path} for a layer, {"setting": "optimizer.learning_rate"} for a setting.
    where: dict[str, Any] = field(default_factory=dict)
    source: Source | None = None

    @property
    def supports(self) -> bool:
        return self.weight > 0

    def describe(self, lang: str = "en") -> str:
        return self.text.render(lang, self.params)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "text": self.describe(lang),
            "weight": round(float(self.weight), 3),
            "supports": bool(self.supports),
            "where": {k: _plain(v) for k, v in self.where.items()},
            "source": self.source.to_dict() if self.source else None,
        }


@dataclass(frozen=True)
class Fix:
    """A proposed change: made executable by the patch layer (``app.patches``)."""

    id: str  # patch id, e.g. "set_output_activation"
    title: Text
    applicability: Applicability
    params: dict[str, Any] = field(default_factory=dict)  # e.g. {"activation": "softmax"}
    code: str = ""  # the change to make by hand, ready to paste

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title.render(lang, self.params),
            "applicability": self.applicability,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "code": self.code,
        }


@dataclass
class Finding:
    """A likely cause with its confidence, evidence and fixes."""

    cause: str  # a TAXONOMY cause id, or "unknown"
    run: str | None  # the run it is about (None: a finding about the model alone)
    confidence: float
    title: Text
    explanation: Text
    evidence: list[Evidence] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    settle: Text | None = None  # what extra input would settle it ("a model file ...")

    @property
    def reported(self) -> bool:
        return self.confidence >= REPORTING_THRESHOLD

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "cause": self.cause,
            "run": self.run,
            "confidence": round(float(self.confidence), 3),
            "reported": self.reported,
            "title": self.title.render(lang),
            "explanation": self.explanation.render(lang),
            "evidence": [e.to_dict(lang) for e in self.evidence],
            "fixes": [f.to_dict(lang) for f in self.fixes],
            "settle": self.settle.render(lang) if self.settle else None,
        }


@dataclass(frozen=True)
class NotChecked:
    rule: str
    reason: Text

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason.render(lang)}


@dataclass
class Diagnosis:
    """Everything the engine concluded about the runs and model it was given."""

    runs: list[str] = field(default_factory=list)
    model: str | None = None
    symptoms: list[Symptom] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # all, best first
    not_checked: list[NotChecked] = field(default_factory=list)
    threshold: float = REPORTING_THRESHOLD

    @property
    def reported(self) -> list[Finding]:
        return [f for f in self.findings if f.confidence >= self.threshold]

    @property
    def possible(self) -> list[Finding]:
        """Causes below the reporting threshold that still fit what was seen, each saying what
        would decide it: shown only when something is wrong, at most ``MAX_POSSIBLE``."""
        if all(s.id == "healthy" for s in self.symptoms) and not self.reported:
            return []
        return [f for f in self.findings if POSSIBLE_FLOOR <= f.confidence < self.threshold][:MAX_POSSIBLE]

    @property
    def healthy(self) -> bool:
        return all(s.id == "healthy" for s in self.symptoms) and not self.reported

    def top(self) -> Finding | None:
        reported = self.reported
        return reported[0] if reported else None

    def to_dict(self, lang: str = "en", include_all: bool = False) -> dict[str, Any]:
        findings = self.findings if include_all else self.reported
        return {
            "runs": list(self.runs),
            "model": self.model,
            "healthy": self.healthy,
            "threshold": self.threshold,
            "symptoms": [s.to_dict(lang) for s in self.symptoms],
            "findings": [f.to_dict(lang) for f in findings],
            "possible": [f.to_dict(lang) for f in self.possible],
            "not_checked": [n.to_dict(lang) for n in self.not_checked],
        }


def _plain(value: Any) -> Any:
    """JSON-safe: floats via :func:`number` (NaN → "nan"), tuples → lists, numpy scalars →
    Python ones (rules compute with numpy; ``np.bool_`` is not JSON)."""
    if hasattr(value, "item") and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float):
        return number(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
