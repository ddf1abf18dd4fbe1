"""The content of a report: what every rendering (Markdown, HTML, PDF, JSON) shows.

:func:`build_report` gathers, from the diagnosed cases and the list of inputs, everything a
reader needs: the files with their formats and sizes, a summary of each run with a compact
table of logged values, the symptoms, the ranked findings, the model summary with the
layers the findings name, the settings, the versions and the time. The renderers only lay
it out. Pure: no Qt, no TensorFlow; versions are read from package metadata.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from app import __version__
from app.core.diagnosis import Diagnosis, Finding, NotChecked, Symptom
from app.core.i18n import normalize_language
from app.core.model import ModelSpec
from app.core.run import Run, Series, is_validation, metric_base, same_x

# Libraries whose versions matter to a diagnosis (distribution names; first installed wins).
LIBRARIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("numpy", ("numpy",)),
    ("h5py", ("h5py",)),
    ("pyarrow", ("pyarrow",)),
    ("PySide6", ("PySide6", "PySide6-Essentials")),
    ("pyqtgraph", ("pyqtgraph",)),
    ("tensorflow", ("tensorflow", "tensorflow-cpu", "tensorflow-macos")),
    ("keras", ("keras",)),
    ("tf_keras", ("tf_keras", "tf-keras")),
)
# A short run's table shows every row; a longer one only the rows around what matters.
ALL_ROWS_UP_TO = 12
MAX_TABLE_COLUMNS = 8
MAX_LAYER_ROWS = 60
# Folders (TensorBoard runs) are sized by walking at most this many files.
MAX_FILES_SIZED = 10_000


def display_path(path: str) -> str:
    """A path as a report shows it to people: the home folder as ``~`` (a report pasted into a
    forum post need not carry the user's name and folder layout). JSON keeps paths whole."""
    if not path:
        return path
    home = os.path.expanduser("~")
    if home and home not in ("~", os.sep) and (path == home or path.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + path[len(home.rstrip(os.sep)):]
    return path


def display_source(source: Any) -> str:
    """A Source (file:line [entry]) with its path as :func:`display_path` shows it."""
    if source is None:
        return ""
    from dataclasses import replace

    return str(replace(source, path=display_path(source.path)))


@dataclass(frozen=True)
class InputFile:
    """One loaded file: shown in the "What was loaded" table."""

    path: str
    format: str
    kind: str  # "run" | "model"
    size: int | None  # bytes; None when unknown (pasted text, missing file)


@dataclass(frozen=True)
class TableRow:
    x: int
    values: tuple[float, ...]
    notes: tuple[str, ...]  # symptom ids whose range holds x
    gap_before: bool  # rows were left out between this row and the previous one


@dataclass(frozen=True)
class CurveTable:
    """Logged values at a few epochs (or steps): first, around each symptom, last."""

    axis: str  # "epoch" | "step"
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    left_out: tuple[str, ...] = ()  # metrics not shown (too many columns)
    total_rows: int = 0  # how many epochs/steps the run logged


@dataclass(frozen=True)
class RunSummary:
    name: str
    format: str
    paths: tuple[str, ...]
    axis: str
    points: int  # epochs (or steps) logged
    metrics: tuple[str, ...]
    last: Mapping[str, float]
    table: CurveTable | None
    settings: tuple[tuple[str, Any, str], ...]  # (FitSettings field, value, source)
    evaluations: tuple[tuple[str, int | None, Mapping[str, float]], ...]  # (label, after epoch, values)
    events: tuple[tuple[str, int | None, str], ...]  # (kind, epoch, text)


@dataclass(frozen=True)
class LayerRow:
    name: str
    class_name: str
    output_shape: str
    params: int | None
    activation: str | None
    trainable: bool
    flagged: bool


@dataclass(frozen=True)
class ModelSummary:
    name: str
    class_name: str
    format: str
    source_path: str
    complete: bool
    params_total: int | None
    params_trainable: int | None
    params_frozen: int | None
    loss: str | None
    optimizer: str | None
    optimizer_settings: Mapping[str, Any]
    metrics: tuple[str, ...]
    keras_version: str | None
    backend: str | None
    layers: tuple[LayerRow, ...]
    layers_left_out: int
    flagged: tuple[str, ...]  # layers named in positive evidence of a reported finding


@dataclass
class CaseReport:
    """One diagnosed case (the runs of one model) as the report shows it."""

    runs: list[RunSummary]
    run_objects: list[Run]  # for the charts
    model: ModelSummary | None
    diagnosis: Diagnosis
    # (cause, fix id) -> (script path, unified diff): the fix made in the user's training
    # script when it was given as a file (app.patches.script)
    script_changes: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # what the probe measured in this case's model on the data sample (app.probe.run_probe)
    probe: Mapping[str, Any] | None = None
    probe_path: str = ""
    # the A/B trials of this case's fixes (app.rules.verified.judge's "trials"), if any were run
    trials: list[Mapping[str, Any]] = field(default_factory=list)

    def probe_rows(self) -> list[tuple[str, str, str, str, str]]:
        """(layer, dead units, saturated outputs, gradient RMS, weight RMS) as text, in model order."""
        from app.rules.probed import probe_layers

        return [(row.name, _dead_text(row.relu), _share_text(row.saturated), _sci((row.gradient or {}).get("grad_rms")),
                 _sci((row.gradient or {}).get("weight_rms"))) for row in probe_layers(self.probe)]

    def batchnorm_rows(self) -> list[tuple[str, str, str, str]]:
        """(layer, channels, moving mean off by, variance ratio) per BatchNormalization layer."""
        return [(str(item.get("layer", "?")), str(item.get("channels", "–")), _sci(item.get("mean_shift")),
                 _sci(item.get("variance_ratio"))) for item in (self.probe or {}).get("batchnorm") or []]

    @property
    def symptoms(self) -> list[Symptom]:
        return [s for s in self.diagnosis.symptoms if s.id != "healthy"]

    @property
    def findings(self) -> list[Finding]:
        """Reported findings, most likely first."""
        return self.diagnosis.reported

    @property
    def possible(self) -> list[Finding]:
        return self.diagnosis.possible

    @property
    def nothing_label(self) -> str:
        """The label key for an empty list of findings."""
        if self.symptoms:
            return "undecided"
        return "nothing" if self.runs else "nothing_model"

    @property
    def weaker(self) -> list[Finding]:
        return [f for f in self.diagnosis.findings if not f.reported]

    @property
    def not_checked(self) -> list[NotChecked]:
        return self.diagnosis.not_checked


@dataclass
class Report:
    """Everything a report shows, in one language."""

    lang: str
    created: _dt.datetime
    traindoc: str
    versions: list[tuple[str, str | None]]  # (library, version or None when not installed)
    inputs: list[InputFile]
    input_records: list[dict[str, Any]]  # exactly as given: the JSON rendering's "inputs"
    cases: list[CaseReport]
    diagnosed: list[Any]  # the engine's CaseDiagnosis list: the JSON rendering's source
    include_all: bool = False
    data: Mapping[str, Any] | None = None  # the data sample's measurements (app.rules.data.sample_facts)

    def top_findings(self) -> list[Finding]:
        """Reported findings of every case, most likely first."""
        found = [f for c in self.cases for f in c.findings]
        return sorted(found, key=lambda f: -f.confidence)


# -- inputs ---------------------------------------------------------------------------------
def inputs_from(runs: Iterable[Run], models: Iterable[ModelSpec], data: Any = None) -> list[dict[str, Any]]:
    """The input list of ``traindoc diagnose --format json``: one entry per file read (and the
    data sample ``data``, an app.io.data_sample.DataSample, with its validation sample)."""
    out = [{"path": p, "format": r.format, "kind": "run"} for r in runs for p in r.paths]
    out += [{"path": m.source_path, "format": m.format, "kind": "model"} for m in models]
    for sample, kind in ((data, "data"), (getattr(data, "validation", None), "validation_data")):
        if sample is not None:
            out.append({"path": sample.path, "format": sample.kind, "kind": kind})
    return out


def _size(path: str) -> int | None:
    """Bytes in a file, or in the files of a folder (TensorBoard runs); None if unknown."""
    try:
        if os.path.isfile(path):
            return os.path.getsize(path)
        if os.path.isdir(path):
            total, seen = 0, 0
            for root, _dirs, files in os.walk(path):
                for name in files:
                    seen += 1
                    if seen > MAX_FILES_SIZED:
                        return total
                    try:
                        total += os.path.getsize(os.path.join(root, name))
                    except OSError:
                        pass
            return total
    except OSError:
        return None
    return None


def _input_files(records: Sequence[Mapping[str, Any]]) -> list[InputFile]:
    out, seen = [], set()
    for record in records:
        key = (record.get("path"), record.get("kind"))
        if key in seen:
            continue
        seen.add(key)
        path = str(record.get("path") or "")
        size = record.get("size")
        out.append(InputFile(path, str(record.get("format") or ""), str(record.get("kind") or "run"),
                             int(size) if isinstance(size, int) else _size(path)))
    return out


# -- versions ---------------------------------------------------------------------------------
def library_versions() -> list[tuple[str, str | None]]:
    """Python and the libraries that matter, from package metadata (nothing is imported)."""
    out: list[tuple[str, str | None]] = [("Python", platform.python_version())]
    for name, distributions in LIBRARIES:
        version = None
        for dist in distributions:
            try:
                version = importlib.metadata.version(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
        out.append((name, version))
    return out


# -- runs -------------------------------------------------------------------------------------
def _column_order(names: Iterable[str]) -> list[str]:
    """loss first, then each training metric followed by its validation twin; lr last."""
    names = list(names)

    def key(name: str) -> tuple[int, str, int]:
        base = metric_base(name)
        group = 0 if base == "loss" else (2 if base == "learning_rate" else 1)
        return group, base, 1 if is_validation(name) else 0

    return sorted(names, key=key)


def _value_at(series: Series, x: int) -> float:
    """The value at ``x`` by binary search (series x are sorted); NaN when not logged."""
    index = int(np.searchsorted(series.x, x))
    if index < len(series) and int(series.x[index]) == x:
        return float(series.y[index])
    return float("nan")


def _all_x(series: Iterable[Series]) -> np.ndarray:
    arrays = [s.x for s in series if len(s)]
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    first = arrays[0]
    if all(same_x(a, first) for a in arrays[1:]):
        return first
    return np.unique(np.concatenate(arrays))


def curve_table(run: Run, symptoms: Sequence[Symptom]) -> CurveTable | None:
    """The compact table: every row of a short run; else first, around symptoms, last."""
    axis = "epoch" if run.epochs else "step"
    table = run.epochs if run.epochs else run.steps
    if not table:
        return None
    ordered = _column_order(table)
    columns, left_out = ordered[:MAX_TABLE_COLUMNS], ordered[MAX_TABLE_COLUMNS:]
    xs = _all_x(table[name] for name in columns)
    count = int(xs.size)
    if count == 0:
        return None
    mine = [s for s in symptoms if s.run == run.name and s.id != "healthy" and s.start is not None
            and s.axis == axis]
    if count <= ALL_ROWS_UP_TO:
        positions = set(range(count))
    else:
        positions = {0, count - 1}
        for symptom in mine:
            start = int(np.searchsorted(xs, symptom.start))
            end = int(np.searchsorted(xs, symptom.end if symptom.end is not None else symptom.start,
                                      side="right")) - 1
            end = max(end, start)
            positions.update({start - 1, start, start + 1, end, end + 1})
    rows = []
    previous = None
    for position in sorted(p for p in positions if 0 <= p < count):
        x = int(xs[position])
        values = tuple(_value_at(table[name], x) for name in columns)
        notes = tuple(dict.fromkeys(
            s.id for s in mine if s.start <= x <= (s.end if s.end is not None else s.start)))
        rows.append(TableRow(x, values, notes, previous is not None and position > previous + 1))
        previous = position
    return CurveTable(axis, tuple(columns), tuple(rows), tuple(left_out), count)


def run_summary(run: Run, symptoms: Sequence[Symptom]) -> RunSummary:
    axis = "epoch" if run.epochs else "step"
    settings = tuple((key, value, display_source(run.fit.sources.get(key)))
                     for key, value in run.fit.to_dict().items() if value is not None)
    evaluations = tuple((e.label, e.after_epoch, dict(e.metrics)) for e in run.evaluations)
    events = tuple((e.kind, e.epoch, e.text) for e in run.events)
    return RunSummary(
        name=run.name,
        format=run.format,
        paths=tuple(run.paths),
        axis=axis,
        # Not Run.epoch_count/step_count: np.unique over every series is slow for long runs,
        # and the series of a run usually share one x array.
        points=int(_all_x((run.epochs if axis == "epoch" else run.steps).values()).size),
        metrics=tuple(_column_order(run.metric_names())),
        last=run.last_values() if axis == "epoch" else {n: s.last for n, s in sorted(run.steps.items()) if len(s)},
        table=curve_table(run, symptoms),
        settings=settings,
        evaluations=evaluations,
        events=events,
    )


# -- model ------------------------------------------------------------------------------------
def flagged_layers(diagnosis: Diagnosis) -> list[str]:
    """Layers named by positive evidence of the reported findings (as the GUI marks them)."""
    names = [str(e.where["layer"]) for f in diagnosis.reported for e in f.evidence
             if e.weight > 0 and e.where.get("layer")]
    return list(dict.fromkeys(names))


def _shape(shape: Any) -> str:
    if shape is None:
        return ""
    if isinstance(shape, (list, tuple)):
        return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
    return str(shape)


def model_summary(model: ModelSpec, flagged: Sequence[str]) -> ModelSummary:
    flagged_set = set(flagged)
    rows = []
    layers = model.all_layers()
    for layer in layers[:MAX_LAYER_ROWS]:
        name = layer.path or layer.name
        rows.append(LayerRow(
            name=name,
            class_name=layer.class_name,
            output_shape=_shape(layer.output_shape),
            params=layer.params_total,
            activation=layer.activation,
            trainable=layer.trainable,
            flagged=name in flagged_set or layer.name in flagged_set,
        ))
    # A flagged layer beyond the row limit is still shown.
    for layer in layers[MAX_LAYER_ROWS:]:
        name = layer.path or layer.name
        if name in flagged_set or layer.name in flagged_set:
            rows.append(LayerRow(name, layer.class_name, _shape(layer.output_shape), layer.params_total,
                                 layer.activation, layer.trainable, True))
    loss = model.loss
    optimizer = model.optimizer
    return ModelSummary(
        name=model.name,
        class_name=model.class_name,
        format=model.format,
        source_path=model.source_path,
        complete=model.complete,
        params_total=model.params_total,
        params_trainable=model.params_trainable,
        params_frozen=model.params_non_trainable,
        loss=(loss.name + (" (from_logits=True)" if loss.from_logits else "")) if loss else None,
        optimizer=optimizer.name if optimizer else None,
        optimizer_settings=optimizer.settings() if optimizer else {},
        metrics=tuple(model.compile.metrics) if model.compile else (),
        keras_version=model.keras_version,
        backend=model.backend,
        layers=tuple(rows),
        layers_left_out=len(layers) - len(rows),
        flagged=tuple(flagged),
    )


def script_changes(model: ModelSpec | None, diagnosis: Diagnosis) -> dict[tuple[str, str], tuple[str, str]]:
    """Each reported fix made in the training script the case was read from (or joined with),
    as a unified diff; empty without a script file TrainDoc can edit."""
    if model is None:
        return {}
    path = model.source_path if model.format == "code" else model.code_path
    if not path or not os.path.isfile(path):
        return {}
    from app.core.errors import InputError
    from app.io.code import read_code_file
    from app.patches import load_document, patches_from_finding, plan
    from app.patches.choose import automatic
    from app.patches.script import document_from_code, patch_script, training_from_code

    try:
        code = read_code_file(path)
        if not code.editable or code.config is None:
            return {}
        document = document_from_code(code) if model.format == "code" else load_document(model.source_path)
    except InputError:
        return {}
    base = training_from_code(code)
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for finding in diagnosis.reported:
        for patch in patches_from_finding(finding):
            if not automatic(patch):
                continue
            result = plan(document, [patch], base)
            if not result.applied:
                continue
            script = patch_script(code, result, document.model)
            if script.changed:
                out[(finding.cause, patch.id)] = (path, script.diff())
    return out


def _case_model(case: Any) -> ModelSpec | None:
    """The case's model, or the partial one read from a model.summary() table in a log."""
    if case.model is not None:
        return case.model
    for run in case.runs:
        if isinstance(run.model, ModelSpec):
            return run.model
    return None


# -- the report -------------------------------------------------------------------------------
def _dead_text(item: Mapping[str, Any] | None) -> str:
    if not item:
        return "–"
    return f"{item.get('dead', 0)} / {item.get('units', 0)} ({100 * float(item.get('dead_share', 0.0)):.0f} %)"


def _share_text(item: Mapping[str, Any] | None) -> str:
    return f"{100 * float(item.get('saturated_share', 0.0)):.0f} %" if item else "–"


def _sci(value: Any) -> str:
    return f"{value:.2e}" if isinstance(value, (int, float)) else str(value) if value is not None else "–"


def build_report(cases: Sequence[Any], inputs: Sequence[Mapping[str, Any]] = (), lang: str = "en",
                 *, include_all: bool = False, now: _dt.datetime | None = None,
                 probes: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
                 trials: Mapping[str, Any] | None = None) -> Report:
    """The report of ``cases`` (``app.rules.engine.diagnose_all``'s result).

    ``inputs`` lists the files read, as ``traindoc diagnose --format json`` does
    (``{"path", "format", "kind"}``, see :func:`inputs_from`); an optional ``"size"`` is used,
    otherwise the size is read from the file system. ``include_all`` adds the findings below
    the reporting threshold (``--all``); ``probes`` maps a model file's path to what the probe
    measured in it (a section of its case); ``data`` is the data sample's measurements
    (:func:`app.rules.data.sample_facts`, a section after the inputs); ``trials`` maps a model
    file's path to the verdicts of its fixes' trials (a section of its case).
    """
    lang = normalize_language(lang)
    records = [dict(item) for item in inputs]
    case_reports = []
    for item in cases:
        case, diagnosis = item.case, item.diagnosis
        model = _case_model(case)
        case_reports.append(CaseReport(
            runs=[run_summary(run, diagnosis.symptoms) for run in case.runs],
            run_objects=list(case.runs),
            model=model_summary(model, flagged_layers(diagnosis)) if model is not None else None,
            diagnosis=diagnosis,
            script_changes=script_changes(model, diagnosis),
            probe=(probes or {}).get(getattr(case.model, "source_path", None) or ""),
            probe_path=getattr(case.model, "source_path", None) or "",
            trials=list((trials or {}).get(getattr(case.model, "source_path", None) or "") or []),
        ))
    created = now or _dt.datetime.now().astimezone()
    return Report(
        lang=lang,
        created=created.replace(microsecond=0),
        traindoc=__version__,
        versions=library_versions(),
        inputs=_input_files(records),
        input_records=records,
        cases=case_reports,
        diagnosed=list(cases),
        include_all=include_all,
        data=data,
    )


# -- helpers the renderers share ---------------------------------------------------------------
def human_size(size: int | None) -> str:
    if size is None:
        return "–"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover
