"""Which logs belong to the same training run, and which model goes with which run.

Users often hand over several files of one run: the CSVLogger file, the console text and
the History JSON. Those are merged into one :class:`Run` (values agree epoch by epoch)
instead of being counted twice; logs of different runs stay apart. A model file pairs with
the runs in its own folder, or with every run when it is the only model.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

import numpy as np

from app.core.model import ModelSpec
from app.core.run import Run

# Console logs print 4 decimals; CSV/JSON hold float32 values. Equal within this = same run.
SAME_VALUE_ABS = 6e-4
SAME_VALUE_REL = 1e-3
# Formats that store full precision win over console text when merging.
_PRECISION_RANK = {"csvlogger": 0, "history_json": 0, "tensorboard": 1, "lightning": 0,
                   "hf_trainer_state": 0, "plain_table": 1, "keras_console": 2}


def same_run(a: Run, b: Run) -> bool:
    """True when ``a`` and ``b`` log the same values for the same epochs."""
    common = set(a.epochs) & set(b.epochs)
    compared = 0
    for name in common:
        sa, sb = a.epochs[name], b.epochs[name]
        xs, ia, ib = np.intersect1d(sa.x, sb.x, return_indices=True)
        if xs.size == 0:
            continue
        ya, yb = sa.y[ia], sb.y[ib]
        both_nan = np.isnan(ya) & np.isnan(yb)
        close = np.isclose(ya, yb, rtol=SAME_VALUE_REL, atol=SAME_VALUE_ABS) | both_nan
        if not close.all():
            return False
        compared += xs.size
    if compared == 0:
        return False
    # Same length of training too (a console log of a longer run is a different run).
    return a.epoch_count == b.epoch_count or min(a.epoch_count, b.epoch_count) >= 0.9 * max(
        a.epoch_count, b.epoch_count)


def merge(runs: list[Run]) -> Run:
    """One run from logs of the same run; full-precision formats win, everything is kept."""
    ordered = sorted(runs, key=lambda r: _PRECISION_RANK.get(r.format, 3))
    base = ordered[0]
    merged = Run(name=base.name, format="+".join(dict.fromkeys(r.format for r in ordered)))
    for run in ordered:
        merged.paths.extend(p for p in run.paths if p not in merged.paths)
        for table_name in ("epochs", "steps"):
            target = getattr(merged, table_name)
            for name, series in getattr(run, table_name).items():
                target.setdefault(name, series)
        # The same evaluate() output or callback line in two logs of one run is one event.
        seen_evaluations = {_evaluation_key(e) for e in merged.evaluations}
        merged.evaluations.extend(e for e in run.evaluations if _evaluation_key(e) not in seen_evaluations)
        seen_events = {(e.kind, e.epoch, e.text.strip()) for e in merged.events}
        merged.events.extend(e for e in run.events if (e.kind, e.epoch, e.text.strip()) not in seen_events)
        merged.warnings.extend(w for w in run.warnings if w not in merged.warnings)
        for key in run.fit.to_dict():
            value = getattr(run.fit, key)
            if value is not None:
                merged.fit.set(key, value, run.fit.sources.get(key) or _source(run))
        if merged.model is None and run.model is not None:
            merged.model = run.model
    merged.fit.derive()
    return merged


def _evaluation_key(evaluation) -> tuple:
    return (evaluation.after_epoch, evaluation.label, tuple(sorted(
        (k, round(float(v), 4)) for k, v in evaluation.metrics.items() if isinstance(v, (int, float)))))


def _source(run: Run):
    from app.core.run import Source

    return Source(run.paths[0] if run.paths else run.name)


def group_runs(runs: list[Run]) -> list[Run]:
    """Merge the runs that are the same run; keep the order of first appearance."""
    groups: list[list[Run]] = []
    for run in runs:
        for group in groups:
            if any(same_run(run, other) for other in group):
                group.append(run)
                break
        else:
            groups.append([run])
    return [group[0] if len(group) == 1 else merge(group) for group in groups]


@dataclass
class Case:
    """What one diagnosis looks at: runs of one model (maybe none), and the model (maybe none)."""

    runs: list[Run] = field(default_factory=list)
    model: ModelSpec | None = None

    @property
    def label(self) -> str:
        names = [r.name for r in self.runs]
        if self.model is not None:
            names.append(self.model.name)
        return ", ".join(names) or "(nothing)"


def _folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) if path and not path.startswith("<") else ""


# Which copy of a model saved in several formats is diagnosed: the one holding the most.
_FORMAT_RANK = {"keras": 0, "h5": 1, "json": 2, "code": 3}


def _signature(model: ModelSpec) -> tuple:
    return (model.class_name, tuple((layer.name, layer.class_name, layer.params_total) for layer in model.layers))


def same_model_once(models: list[ModelSpec]) -> list[ModelSpec]:
    """One model per folder and architecture: ``model.keras``, ``model.h5`` and
    ``model.json`` of the same model, saved side by side, are one model (the ``.keras``
    first: it holds the compile settings), not three cases of the same run."""
    kept: dict[tuple, ModelSpec] = {}
    order: list[tuple] = []
    for model in models:
        if model.format == "code" or not model.layers:
            key: tuple = ("unique", id(model))
        else:
            key = (_folder(model.source_path), _signature(model))
        if key not in kept:
            order.append(key)
            kept[key] = model
        elif _FORMAT_RANK.get(model.format, 9) < _FORMAT_RANK.get(kept[key].format, 9):
            kept[key] = model
    return [kept[key] for key in order]


def pair(runs: list[Run], models: list[ModelSpec]) -> list[Case]:
    """Cases to diagnose: each run group with its model.

    One model: it goes with every run (each run is still diagnosed on its own). Several
    models: a run takes the model from its own folder; models left without a run are
    diagnosed from their static evidence alone.
    """
    runs = group_runs(runs)
    models = same_model_once(models)
    if not models:
        return [Case([run], None) for run in runs] or []
    if len(models) == 1:
        return [Case(runs, models[0])]
    cases: list[Case] = []
    used: set[int] = set()
    for index, model in enumerate(models):
        folder = _folder(model.source_path)
        mine = [r for r in runs if folder and any(_folder(p) == folder for p in r.paths)]
        if mine:
            used.update(id(r) for r in mine)
        cases.append(Case(mine, model))
    cases.extend(Case([run], None) for run in runs if id(run) not in used)
    return cases


def join_code(models: list[ModelSpec]) -> list[ModelSpec]:
    """The models to diagnose when training code was read too (a ``.py`` beside a model file).

    A model read from a file is what actually trained: it stays, and takes the ``fit()``
    settings the code shows (``shuffle`` is only ever there) and its data-preparation hints
    (``x / 255``, a one-time shuffle) unless it has its own. The
    code's model stands in only when no model file was given. The models given are not
    changed (the file's model is copied with the settings).
    """
    code_models = [m for m in models if m is not None and m.format == "code"]
    files = [m for m in models if m is not None and m.format != "code"]
    if not code_models:
        return files
    if not files:
        return code_models[:1]  # one script is one model; a second script is not a second run's model
    settings = next((m.fit_settings for m in code_models if m.fit_settings is not None), None)
    hints = next((m.code_hints for m in code_models if m.code_hints), {})
    joined = []
    for model in files:
        changes = {}
        if model.fit_settings is None and settings is not None:
            changes["fit_settings"] = settings
        if not model.code_hints and hints:
            changes["code_hints"] = dict(hints)  # what the code does to the data before fit
        if model.code_path is None:
            changes["code_path"] = code_models[0].source_path
        joined.append(dataclasses.replace(model, **changes))
    return joined
