"""``diagnose``: detect symptoms, evaluate causes, score and rank. Pure and fast.

Confidence is derived from evidence weights (:func:`app.rules.base.confidence`), never set
by hand. Two guards keep it honest:

- symptoms alone (no model, no settings that decide the cause) are capped at
  ``SYMPTOM_ONLY_CAP``; a finding whose deciding model or settings are missing says what
  extra file would settle it;
- when the model *is* known and shows none of the cause's static signs, symptom evidence
  is scaled by ``UNSUPPORTED_BY_MODEL`` (many causes produce NaN; the model tells which).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from app.core.diagnosis import Diagnosis, Evidence, Finding, NotChecked, Symptom
from app.core.i18n import T
from app.core.ids import UNKNOWN
from app.core.model import ModelSpec
from app.core.run import FitSettings, Run
from app.io.group import Case, join_code, pair
from app.rules import registry
from app.rules.base import CauseRule, Context, confidence
from app.rules.described import described_symptoms

# Symptoms alone (the generic weights of ``explains``) name a cause right rarely: on the
# real-world corpus (bench/README.md) the first finding of a log read alone, made of symptom
# evidence only, named a labeled cause in 8 of 46 cases (17 %) at stated confidences of
# 0.4–0.6. So such findings stay below the reporting threshold: "possible", with what would
# decide. A rule's own reading of the curves (a negative crossentropy, accuracy ~0 beside MAE,
# the loss shape the rate rules read) is specific and keeps the higher cap.
SYMPTOM_ONLY_CAP = 0.35
OWN_CURVES_CAP = 0.6
UNSUPPORTED_BY_MODEL = 0.25
# When a log shows none of the symptoms a cause produces, static evidence is weakened.
ABSENT_SYMPTOMS_WEIGHT = -0.35
UNKNOWN_CONFIDENCE = 0.5

NEEDS_MODEL = T("needs a model file (.keras/.h5) or the training code",
                "需要模型文件（.keras/.h5）或训练代码")
NEEDS_RUN = T("needs a training log", "需要训练日志")
ABSENT = T("the log shows none of the symptoms this cause produces ({symptoms})",
           "日志中没有出现此原因通常导致的症状（{symptoms}）")
UNKNOWN_TITLE = T("No known cause fits the evidence", "没有已知原因能解释这些证据")
UNKNOWN_TEXT = T(
    "The curves show a problem, but none of the known causes is supported well enough by the "
    "model and the settings available. Add the model file or the training code, or check the "
    "data pipeline (labels, normalization, shuffling).",
    "曲线显示存在问题，但现有的模型和设置都不足以支持任何已知原因。请补充模型文件或训练代码，"
    "或检查数据管道（标签、归一化、打乱）。",
)


def merge_settings(run: Run | None, settings: FitSettings | None,
                   code: FitSettings | None = None) -> FitSettings:
    """The fit settings: explicitly given ones first, then what the log shows (what happened),
    then what the training code says (what was asked for: ``shuffle`` is only ever there)."""
    merged = FitSettings()
    for source in (settings, run.fit if run else None, code):
        if source is None:
            continue
        for key in merged.to_dict():
            merged.set(key, getattr(source, key), source.sources.get(key) or _nowhere())
    merged.derive()
    _estimate_samples(merged)
    return merged


def _estimate_samples(settings: FitSettings) -> None:
    """The training set size from the log's steps per epoch and the code's batch size (a
    Keras 3 log shows ``8/8`` but no sample count): at most steps × batch, within one batch
    of the truth, which is all the params-per-sample rules need."""
    from app.core.run import Source

    steps, batch = settings.steps_per_epoch, settings.batch_size
    if settings.train_samples is None and steps and batch and steps > 0 and batch > 0:
        where = settings.sources.get("steps_per_epoch")
        settings.set("train_samples", steps * batch,
                     Source(f"≈ {steps} steps × batch {batch}" + (f" ({where})" if where else "")))


def _nowhere():
    from app.core.run import Source

    return Source("<unknown>")


def detect_symptoms(ctx: Context) -> list[Symptom]:
    """Run every detector on the context's run (healthy last, seeing the others). NaN, inf
    and values near the float limits are data here (a loss of -1e308 is evidence): numpy's
    overflow and invalid-value warnings are off, the detectors handle what comes out."""
    with np.errstate(all="ignore"):
        for detector in registry.detectors():
            ctx.symptoms.extend(detector.detect(ctx))
    described = described_symptoms(ctx)
    if described:
        ctx.symptoms[:] = [s for s in ctx.symptoms if s.id != "healthy"] + described
    return ctx.symptoms


def _decidable(rule: CauseRule, ctx: Context) -> bool:
    decide = getattr(rule, "decidable", None)
    if decide is not None:
        return bool(decide(ctx))
    return ctx.model is not None and ctx.model.complete


def _symptom_evidence(rule: CauseRule, ctx: Context) -> list[Evidence]:
    out = []
    for item in rule.explains:
        for symptom in ctx.symptom(item.symptom):
            out.append(Evidence(
                kind="described" if symptom.kind == "described" else "symptom",
                code=symptom.id,
                text=symptom.detail,
                weight=item.weight * symptom.strength,
                params=dict(symptom.params),
                where=symptom.where,
                source=symptom.source,
            ))
            break  # one piece of evidence per symptom kind (train and val both stuck count once)
    return out


def evaluate_rule(rule: CauseRule, ctx: Context) -> Finding | None:
    """The rule's finding on this context, or ``None`` when nothing supports it."""
    static = list(rule.evaluate(ctx))
    if ctx.trials:  # a trial of the cause's fix: measured evidence, for every rule alike
        from app.rules.verified import trial_evidence

        static.extend(trial_evidence(rule.id, ctx.trials))
    symptoms = _symptom_evidence(rule, ctx)
    # Evidence from the model and settings. A rule may also read the curves itself (e.g. the
    # LR rules look at the loss shape): its own curve evidence (kind "symptom") counts as the
    # symptoms being present, not as model evidence (so symptom-only caps still apply).
    static_for = [e for e in static if e.weight > 0 and e.kind != "symptom"]
    own_curves = any(e.kind == "symptom" and e.weight > 0 for e in static)
    evidence = static + symptoms
    if static_for and rule.explains and not symptoms and not own_curves \
            and not any(s.id in ("nan_loss",) for s in ctx.symptoms) \
            and ((ctx.has_curves and _log_is_informative(ctx)) or _described_only(ctx)):
        names = ", ".join(rule.explained_symptoms())
        evidence.append(Evidence(kind="absence", code="symptoms_absent", text=ABSENT,
                                 weight=ABSENT_SYMPTOMS_WEIGHT, params={"symptoms": names}))
    if not any(e.weight > 0 for e in evidence):
        return None
    score = confidence(e.weight for e in evidence)
    decidable = _decidable(rule, ctx)
    settle = None if decidable else rule.settle
    if not static_for:
        if decidable:
            score *= UNSUPPORTED_BY_MODEL
        else:
            score = min(score, OWN_CURVES_CAP if own_curves else SYMPTOM_ONLY_CAP)
    evidence = [_with_code_line(e, ctx) for e in evidence]
    evidence.sort(key=lambda e: (-e.weight if e.weight > 0 else 1 - e.weight))
    return Finding(
        cause=rule.id,
        run=ctx.run.name if ctx.run else None,
        confidence=score,
        title=rule.title,
        explanation=rule.explanation,
        evidence=evidence,
        fixes=rule.fixes(ctx),
        settle=settle,
    )


def _with_code_line(item: Evidence, ctx: Context) -> Evidence:
    """Evidence about a layer of a model read from training code points at the line that
    built it ("train.py:42"), so the text, the report and the Code tab can show it."""
    name = item.where.get("layer") if item.where else None
    if item.source is not None or not name or ctx.model is None:
        return item
    layer = ctx.model.layer(str(name))
    return replace(item, source=layer.source) if layer is not None and layer.source is not None else item


def _described_only(ctx: Context) -> bool:
    """No curves, but the text describes what went wrong (seed 001: "the loss fell for 1500
    epochs, then jumped"): a cause that produces none of the described symptoms is weaker."""
    return not ctx.has_curves and any(s.kind == "described" and s.id != "healthy" for s in ctx.symptoms)


def _log_is_informative(ctx: Context) -> bool:
    """A log long enough that the absence of a symptom means something."""
    return ctx.run is not None and max(ctx.run.epoch_count, min(ctx.run.step_count, 10)) >= 3


def diagnose_context(ctx: Context) -> tuple[list[Symptom], list[Finding], list[NotChecked]]:
    symptoms = detect_symptoms(ctx) if ctx.run is not None else []
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    for rule in registry.cause_rules():
        missing = [need for need in rule.needs
                   if (need == "model" and ctx.model is None) or (need == "run" and not ctx.has_curves)]
        if missing:
            not_checked.append(NotChecked(rule.id, NEEDS_MODEL if "model" in missing else NEEDS_RUN))
            continue
        with np.errstate(all="ignore"):
            finding = evaluate_rule(rule, ctx)
        if finding is not None:
            findings.append(finding)
    failures = [s for s in symptoms if s.id != "healthy" and s.kind == "measured"]
    from app.core.diagnosis import REPORTING_THRESHOLD

    if failures and not any(f.confidence >= REPORTING_THRESHOLD for f in findings):
        findings.append(Finding(
            cause=UNKNOWN, run=ctx.run.name if ctx.run else None, confidence=UNKNOWN_CONFIDENCE,
            title=UNKNOWN_TITLE, explanation=UNKNOWN_TEXT,
            evidence=_symptom_evidence_all(failures),
        ))
    return symptoms, findings, not_checked


def _symptom_evidence_all(symptoms: Iterable[Symptom]) -> list[Evidence]:
    return [Evidence(kind="symptom", code=s.id, text=s.detail, weight=0.0, params=dict(s.params),
                     where=s.where, source=s.source) for s in symptoms]


def diagnose(
    runs: Run | Sequence[Run] | None = None,
    model: ModelSpec | None = None,
    settings: FitSettings | None = None,
    data=None,
    probe: dict | None = None,
    trials: list | None = None,
) -> Diagnosis:
    """Diagnose the runs of one model (each run on its own) and the model itself.

    With no run, only static evidence from the model counts. With no model, a model found
    in a log (a ``model.summary()`` table) is used as a partial model.
    """
    if isinstance(runs, Run):
        runs = [runs]
    runs = list(runs or [])
    # A run's own model (a model.summary() table, or the code quoted with its log) stands in
    # when no model is given; fit() arguments read from training code join the settings.
    own = [model or _summary_model(run) for run in runs]
    named = model or next((m for m in own if m is not None and m.format == "code"), None)
    diagnosis = Diagnosis(runs=[r.name for r in runs], model=named.name if named else None)
    contexts = [Context(run=run, model=mine, settings=merge_settings(run, settings, mine.fit_settings if mine else None),
                        data=data, probe=probe if mine is model else None, trials=trials if mine is model else None)
                for run, mine in zip(runs, own)] or \
        [Context(model=model, settings=merge_settings(None, settings, model.fit_settings if model else None), data=data,
                 probe=probe, trials=trials)]
    seen_static: set[str] = set()
    for ctx in contexts:
        symptoms, findings, not_checked = diagnose_context(ctx)
        diagnosis.symptoms.extend(symptoms)
        for finding in findings:
            # A static-only finding about the model is the same for every run: keep one.
            only_static = all(e.kind != "symptom" for e in finding.evidence)
            if only_static and len(contexts) > 1:
                if finding.cause in seen_static:
                    continue
                seen_static.add(finding.cause)
                finding = replace(finding, run=None)
            diagnosis.findings.append(finding)
        for item in not_checked:
            if item not in diagnosis.not_checked:
                diagnosis.not_checked.append(item)
    diagnosis.findings.sort(key=lambda f: (-f.confidence, f.cause == UNKNOWN, f.cause))
    return diagnosis


def _summary_model(run: Run) -> ModelSpec | None:
    return run.model if isinstance(run.model, ModelSpec) else None


@dataclass
class CaseDiagnosis:
    """One diagnosed case: the runs of one model (or a run alone, or a model alone)."""

    case: Case
    diagnosis: Diagnosis


def diagnose_all(runs: Sequence[Run], models: Sequence[ModelSpec], data=None,
                 probes: dict | None = None, trials: dict | None = None) -> list[CaseDiagnosis]:
    """Group the logs of the same run, pair runs with models, diagnose each case.

    What the CLI and the GUI call with everything the user opened; ``data`` is a data sample
    (app.io.data_sample.DataSample) given with ``--data``, measured for every case; ``probes``
    maps a model file's path to what the probe measured in it (app.probe.run_probe); ``trials``
    maps it to the verdicts of its fixes' A/B trials (app.rules.verified.judge's ``trials``).
    """
    probes, trials = probes or {}, trials or {}
    return [CaseDiagnosis(case, diagnose(case.runs, case.model, data=data,
                                         probe=probes.get(case.model.source_path) if case.model else None,
                                         trials=trials.get(case.model.source_path) if case.model else None))
            for case in pair(list(runs), join_code(list(models)))]
