"""What was read from each input, in a few facts, so a user can see why a diagnosis is thin.

``traindoc inspect`` and the app's Open files panel show the same facts, each in its own
language: :func:`run_facts` and :func:`model_facts` return language-neutral items (a kind,
a count, the names involved) that :func:`fact_text` renders in English; the app renders the
same kinds with its translated templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.i18n import plural_forms
from app.core.model import ModelSpec
from app.core.run import Run


@dataclass(frozen=True)
class ReadFact:
    """One thing found in an input: ``kind`` names what (see :data:`KINDS`), ``count`` how
    many, ``names`` which (metric names, settings as ``name=value``), never translated."""

    kind: str
    count: int
    names: tuple[str, ...] = ()


# The kinds, in the order they are shown.
KINDS = ("epochs", "steps", "evaluations", "statements", "layers", "compile", "fit", "skipped_lines")


def run_facts(run: Run) -> list[ReadFact]:
    """Epochs and steps with their metrics, evaluate() results, sentences used as evidence,
    the model and fit() settings of code quoted with the run, and the lines left unread."""
    facts: list[ReadFact] = []
    if run.epoch_count:
        facts.append(ReadFact("epochs", run.epoch_count, tuple(sorted(run.epochs))))
    if run.step_count:
        facts.append(ReadFact("steps", run.step_count, tuple(sorted(run.steps))))
    if run.evaluations:
        labels = tuple(dict.fromkeys(ev.label or "evaluate" for ev in run.evaluations))
        facts.append(ReadFact("evaluations", len(run.evaluations), labels))
    if run.statements:
        ids = tuple(dict.fromkeys(s.id for s in run.statements))
        facts.append(ReadFact("statements", len(run.statements), ids))
    if isinstance(run.model, ModelSpec) and run.model.format == "code":
        facts.extend(model_facts(run.model))
    else:
        fit = _fit_names(run.fit.to_dict())
        if fit:
            facts.append(ReadFact("fit", len(fit), fit))
    if run.skipped_lines:
        facts.append(ReadFact("skipped_lines", run.skipped_lines))
    return facts


def model_facts(model: ModelSpec) -> list[ReadFact]:
    """Layers, compile settings (loss, optimizer and rate, metrics) and fit() arguments."""
    facts = [ReadFact("layers", _layer_count(model.layers), tuple(dict.fromkeys(l.class_name for l in model.layers)))]
    if model.compile is not None:
        names = [f"loss={loss.name}" for loss in model.compile.loss]
        if model.compile.optimizer is not None:
            optimizer = model.compile.optimizer
            names.append(f"optimizer={optimizer.name}")
            if optimizer.learning_rate is not None:
                names.append(f"learning_rate={optimizer.learning_rate:g}")
        names.extend(f"metric={m}" for m in model.compile.metrics)
        facts.append(ReadFact("compile", len(names), tuple(names)))
    if model.fit_settings is not None:
        fit = _fit_names(model.fit_settings.to_dict())
        if fit:
            facts.append(ReadFact("fit", len(fit), fit))
    return facts


def _layer_count(layers) -> int:
    return sum(1 + _layer_count(layer.sublayers) for layer in layers)


def _fit_names(settings: dict) -> tuple[str, ...]:
    return tuple(f"{key}={value}" for key, value in settings.items() if value is not None and key != "sources")


_ENGLISH = {
    "epochs": "{count} epoch(s) of {names}",
    "steps": "{count} step(s) of {names}",
    "evaluations": "{count} result(s) of evaluate() ({names})",
    "statements": "{count} sentence(s) used as evidence ({names})",
    "layers": "{count} layer(s) ({names})",
    "compile": "compile: {names}",
    "fit": "fit: {names}",
    "skipped_lines": "{count} other line(s) not read as metrics (prints, prose, code)",
}


def fact_text(fact: ReadFact) -> str:
    """The fact in English (``traindoc inspect``)."""
    text = _ENGLISH[fact.kind].format(count=f"{fact.count:,}", names=", ".join(fact.names))
    return plural_forms(text.replace(" ()", ""))


def facts_text(facts: list[ReadFact]) -> str:
    """All facts on one line, or what their absence means."""
    return "; ".join(fact_text(f) for f in facts) if facts else "nothing usable"
