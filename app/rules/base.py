"""The building blocks of the engine: the context rules look at, detectors and cause rules.

A **symptom detector** looks at one run's curves and says what is visible there
(``nan_loss`` from epoch 3 on). A **cause rule** combines those symptoms with static
evidence from the model and the fit settings and returns :class:`Evidence` for and against
its cause. Neither raises to signal a hit, neither sets a confidence by hand: the engine
derives confidence from the evidence weights (:func:`confidence`).

Adding a rule touches one file in ``app/rules/symptoms`` or ``app/rules/causes`` plus its
line in ``app/rules/registry.py`` and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Iterable, Iterator

from app.core.diagnosis import Evidence, Fix, Symptom
from app.core.i18n import T, Text
from app.core.model import LayerSpec, ModelSpec
from app.core.run import FitSettings, Run, Series
from app.rules.task import Task, infer_task


@dataclass
class Context:
    """What one diagnosis looks at: a run (optional), a model (optional), fit settings."""

    run: Run | None = None
    model: ModelSpec | None = None
    settings: FitSettings = field(default_factory=FitSettings)
    symptoms: list[Symptom] = field(default_factory=list)  # filled by the engine
    data: Any = None  # an app.io.data_sample.DataSample given with --data, if any
    probe: dict | None = None  # what the probe measured in this context's model on the sample
    trials: list | None = None  # A/B trials of fixes of this context's model (app.rules.verified)

    @cached_property
    def task(self) -> Task:
        task = infer_task(self.run, self.model)
        labels = self.labels
        if labels is not None and labels.shares and task.majority_share is None:
            from dataclasses import replace

            task = replace(task, majority_share=labels.majority_share)  # measured on the sample
        return task

    @cached_property
    def labels(self):
        """What the data sample's labels show (app.rules.data.LabelFacts), or None."""
        from app.rules.data import label_facts

        return label_facts(self.data)

    @cached_property
    def inputs(self):
        """What the data sample's inputs show (app.rules.data.InputFacts), or None."""
        from app.rules.data import input_facts

        return input_facts(self.data)

    @cached_property
    def validation_inputs(self):
        """What the validation sample's inputs show (InputFacts), or None."""
        from app.rules.data import input_facts

        return input_facts(getattr(self.data, "validation", None))

    @cached_property
    def overlap(self):
        """Validation rows that are training rows too (app.rules.data.OverlapFacts), or None."""
        from app.rules.data import overlap_facts

        return overlap_facts(self.data)

    # -- curves -------------------------------------------------------------------------
    def series(self, name: str) -> Series | None:
        """A per-epoch series, or the per-step one when the run has no epochs."""
        if self.run is None:
            return None
        found = self.run.series(name, "epoch")
        if found is None or len(found) == 0:
            found = self.run.series(name, "step")
        return found if found is not None and len(found) else None

    def accuracy_names(self) -> list[str]:
        """Accuracy-like series names, training first then validation."""
        if self.run is None:
            return []
        names = set(self.run.epochs) | set(self.run.steps)
        train = sorted(n for n in names if not n.startswith("val_") and n.endswith("accuracy"))
        val = sorted(n for n in names if n.startswith("val_") and n.endswith("accuracy"))
        return train + val

    def loss_names(self) -> list[str]:
        if self.run is None:
            return []
        names = set(self.run.epochs) | set(self.run.steps)
        train = sorted(n for n in names if not n.startswith("val_") and n.endswith("loss"))
        val = sorted(n for n in names if n.startswith("val_") and n.endswith("loss"))
        # The overall loss first, then per-output losses.
        return sorted(train, key=lambda n: n != "loss") + sorted(val, key=lambda n: n != "val_loss")

    # -- symptoms -----------------------------------------------------------------------
    def code_hint(self, *names: str):
        """Where the training code does one of ``names`` to the data (``divides_by_255``,
        ``scaler``, ``shuffles_data`` ...; see app.io.code.reader), or None."""
        hints = getattr(self.model, "code_hints", None) or {}
        return next((hints[name] for name in names if name in hints), None)

    @property
    def has_code(self) -> bool:
        """Training code was read: the model's own, or joined with a model file."""
        return self.model is not None and (self.model.format == "code" or self.model.code_path is not None)

    def symptom(self, symptom_id: str) -> list[Symptom]:
        return [s for s in self.symptoms if s.id == symptom_id]

    def has(self, symptom_id: str) -> bool:
        return any(s.id == symptom_id for s in self.symptoms)

    @property
    def has_curves(self) -> bool:
        return self.run is not None and (self.run.epoch_count > 0 or self.run.step_count > 0)

    # -- model --------------------------------------------------------------------------
    def layers(self) -> list[LayerSpec]:
        return self.model.all_layers() if self.model else []

    def top_layers(self) -> list[LayerSpec]:
        return list(self.model.layers) if self.model else []

    @property
    def batch_size(self) -> int | None:
        return self.settings.batch_size or (self.run.fit.batch_size if self.run else None)


@dataclass(frozen=True)
class SymptomWeight:
    """How much one symptom supports a cause (multiplied by the symptom's strength)."""

    symptom: str
    weight: float


class SymptomDetector:
    """Finds one symptom in a run's curves. Subclasses set ``id``/``title`` and ``detect``."""

    id: ClassVar[str]
    title: ClassVar[Text]
    description: ClassVar[Text]

    def detect(self, ctx: Context) -> Iterable[Symptom]:  # pragma: no cover - interface
        raise NotImplementedError


class CauseRule:
    """Explains symptoms by one cause. Subclasses fill the class fields and ``evaluate``.

    ``explains`` lists the symptoms this cause accounts for with the weight each adds.
    ``needs`` lists inputs without which the rule cannot say anything ("model", "run").
    ``evaluate`` yields static evidence; the engine adds the symptom evidence from
    ``explains`` itself (and evidence *against* when a log shows none of them).
    """

    id: ClassVar[str]
    title: ClassVar[Text]
    explanation: ClassVar[Text]
    when_not: ClassVar[Text]  # when the rule stays silent, for the docs
    explains: ClassVar[tuple[SymptomWeight, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()
    # Static evidence alone can make a finding; symptoms alone are capped (see engine).
    settle: ClassVar[Text] = T(
        "A model file (.keras/.h5) or the training code would settle it.",
        "提供模型文件（.keras/.h5）或训练代码即可确认。",
    )

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        """Static evidence for and against; symptom evidence is added by the engine."""
        return iter(())

    def fixes(self, ctx: Context) -> list[Fix]:
        return []

    @classmethod
    def explained_symptoms(cls) -> tuple[str, ...]:
        return tuple(item.symptom for item in cls.explains)


def evidence(kind: str, code: str, text: Text, weight: float, *,
             where: dict[str, Any] | None = None, source: Any = None, **params: Any) -> Evidence:
    """Shorthand used by rules: ``evidence("static", "relu_output", TEXT, 0.8, layer=...)``."""
    return Evidence(kind=kind, code=code, text=text, weight=weight, params=params,  # type: ignore[arg-type]
                    where=where or {}, source=source)


def confidence(weights: Iterable[float]) -> float:
    """Confidence from evidence weights: a noisy-OR of the evidence for, scaled down by
    each piece against. Two independent pieces of 0.5 give 0.75; one against of -0.5 halves it.
    """
    belief = 1.0
    against = 1.0
    for weight in weights:
        weight = max(-1.0, min(1.0, float(weight)))
        if weight > 0:
            belief *= 1.0 - weight
        elif weight < 0:
            against *= 1.0 + weight
    return max(0.0, min(1.0, (1.0 - belief) * against))
