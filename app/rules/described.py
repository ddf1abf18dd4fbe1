"""Symptoms the text around a log describes in words, as weaker evidence than the curves.

A post without a log ("accuracy stays around 0.5 and the loss is mean_squared_error") still
gets a diagnosis: each symptom sentence found by :mod:`app.io.prose` becomes a
:class:`~app.core.diagnosis.Symptom` of kind ``described``, with the sentence and its line.
The curves decide where they can: a described symptom is dropped when the run has a curve
of the metric it speaks about (the detectors looked and the measurement wins), or when the
same symptom was measured.
"""

from __future__ import annotations

from app.core.diagnosis import Symptom
from app.core.i18n import T
from app.rules.base import Context

# How strongly a sentence counts, against a clear curve at 1.0. Half: the engine treats
# described symptoms like measured ones of middling clarity (the words say it happened, not
# how clearly); a cause supported by a sentence alone stays below the reporting threshold
# unless the model or settings support it too.
DESCRIBED_STRENGTH = 0.5

DESCRIBED = T("the text says: \u201c{sentence}\u201d", "文中写道：\u201c{sentence}\u201d")

_FAMILY = {"stuck_chance_accuracy": "accuracy", "val_stuck_train_improves": "accuracy",
           "eval_mismatch": None, "nan_loss": "loss", "loss_spike": "loss", "loss_diverges": "loss", "plateau_no_learning": "loss",
           "loss_collapse_zero": "loss", "overfitting": "val_loss", "oscillation": "loss",
           "slow_convergence": "loss"}


def _measurable(ctx: Context, symptom_id: str, metric: str | None) -> bool:
    """Whether the run holds the curve the sentence speaks about (then the curve decides)."""
    if ctx.run is None or not ctx.has_curves:
        return False
    if symptom_id == "eval_mismatch":
        return bool(ctx.run.evaluations)
    name = metric or _FAMILY.get(symptom_id) or "loss"
    if symptom_id == "val_stuck_train_improves":
        name = "val_accuracy"
    return ctx.series(name) is not None


def described_symptoms(ctx: Context) -> list[Symptom]:
    """The described symptoms of the context's run that its curves cannot settle."""
    if ctx.run is None:
        return []
    out: list[Symptom] = []
    seen = {s.id for s in ctx.symptoms if s.id != "healthy"}
    for statement in ctx.run.statements:
        if statement.kind != "symptom" or statement.id in seen:
            continue
        if _measurable(ctx, statement.id, statement.metric):
            continue
        seen.add(statement.id)
        params = {"sentence": statement.sentence, "line": statement.line}
        if statement.value is not None:
            params["value"] = statement.value
        out.append(Symptom(id=statement.id, run=ctx.run.name, metric=statement.metric, start=None, end=None,
                           strength=DESCRIBED_STRENGTH, detail=DESCRIBED, params=params,
                           source=statement.source, kind="described"))
    return out
