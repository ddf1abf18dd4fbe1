"""The session controller: what is open, loading and diagnosis in workers, no widgets.

The window forwards user intent here (``open_paths``, ``open_text``, ``close_run``) and
renders what the signals carry. Every read and every diagnosis runs on the
:class:`~app.gui.tasks.TaskRunner`; a bad file becomes ``error_occurred`` and what was open
stays open.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.core.run import Run
from app.gui.tasks import TaskRunner

log = logging.getLogger(__name__)


# Modules the first open would otherwise import in its worker: pyarrow spends ~0.25 s in C
# initialisation holding the GIL, which stalled the window for as long while the first file
# opened (bench/bench_gui_gaps.py: the longest gap of a first open). Imported once by a
# background thread shortly after the window is shown, while the user is not yet doing
# anything; an open that comes first imports them itself, as before.
WARM_UP_MODULES = ("app.io.load", "app.io.table", "app.io.print_templates", "app.core.decimate",
                   "app.rules.engine")
WARM_UP_DELAY_MS = 300


def warm_up() -> None:
    """Import the readers and the rules (every rule module), once per process."""
    import importlib

    try:
        for name in WARM_UP_MODULES:
            importlib.import_module(name)
        from app.rules import registry

        registry.detectors()
        registry.cause_rules()
    except Exception:  # a broken install shows when a file is opened, with its message
        log.exception("warm-up import failed")


@dataclass
class LoadResult:
    runs: list[Run] = field(default_factory=list)
    models: list[ModelSpec] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    code: dict = field(default_factory=dict)  # source path -> CodeSpec of the training code read


def _training_code(loaded) -> dict:
    """Path -> CodeSpec of the training code among what was loaded (a script, or the code a
    log quotes, which is its run's model): the code each was read from, its lines what its
    Source lines index (a notebook's code cells joined), its sites what the fix preview edits."""
    found = {}
    for model in [*loaded.models, *(run.model for run in loaded.runs if run.model is not None)]:
        if model.format == "code" and model.code is not None:
            found[model.source_path] = model.code
    return found


def _counted(runs: list[Run]) -> None:
    """Count each run's epochs and steps here in the worker: the window asks for them (the
    Open files list) and gets the kept figure instead of sorting a long run on its thread."""
    for run in runs:
        run.epoch_count, run.step_count  # noqa: B018 - computed for the cache
        for series in [*run.epochs.values(), *run.steps.values()]:
            series.display_levels()  # the curves as the window draws them (app.core.decimate)


def load_inputs(paths: Sequence[str], progress) -> LoadResult:
    """Worker side: read every path; unreadable ones are collected, not raised."""
    from app.io.load import load_path

    result = LoadResult()
    for index, path in enumerate(paths):
        progress.report(index / max(1, len(paths)), os.path.basename(path))
        try:
            loaded = load_path(path, progress)
        except InputError as error:
            result.errors.append(error)
            continue
        result.runs.extend(loaded.runs)
        result.models.extend(loaded.models)
        result.skipped.extend(loaded.skipped)
        result.paths.append(path)
        result.code.update(_training_code(loaded))
    _counted(result.runs)
    progress.report(1.0, "")
    return result


def load_pasted(text: str, label: str, progress) -> LoadResult:
    from app.io.load import load_text

    result = LoadResult()
    try:
        loaded = load_text(text, label, progress)
    except InputError as error:
        result.errors.append(error)
        return result
    result.runs.extend(loaded.runs)
    result.models.extend(loaded.models)
    result.code.update(_training_code(loaded))
    _counted(result.runs)
    return result


def load_pasted_code(text: str, label: str, progress) -> LoadResult:
    """Worker side of *Paste code…*: the text is training code, whatever else it holds
    (read statically, never run)."""
    from app.io.code import read_code

    result = LoadResult()
    progress.report(0.1, "reading code")
    try:
        code = read_code(text, label)
    except InputError as error:
        result.errors.append(error)
        return result
    if code.model is None:
        why = code.unresolved[0].why if code.unresolved else "no Keras model is built in it"
        result.errors.append(InputError(label, "Keras training code that builds a model (Sequential, model.add, "
                                               "a functional graph)", found=f"code in which {why}"))
        return result
    result.models.append(code.model)
    result.code[label] = code
    return result


def run_diagnosis(runs: list[Run], models: list[ModelSpec], data, probes, trials, progress):
    from app.rules.engine import diagnose_all

    progress.report(0.0, "diagnosing")
    return diagnose_all(runs, models, data=data, probes=probes, trials=trials)


@dataclass
class TrialDone:
    """Worker side result of *Try this fix*: the judged trial, or why it could not run."""

    model_path: str
    result: dict | None = None  # app.rules.verified.judge's answer
    error: str | None = None


def fix_trial(model_path: str, patches: list, sample, emit, budget: float, seeds: int, progress) -> TrialDone:
    """The A/B trial of ``patches`` (one fix) against the original setup, epochs to ``emit``."""
    from app.patches import load_document
    from app.probe import ProbeError
    from app.probe.verify import TrialInputError, run_trial, trial_arms

    try:
        plan = trial_arms(load_document(model_path), patches)
        if len(plan.arms) < 2:
            return TrialDone(model_path, error="; ".join(plan.not_tried) or "the fix changes nothing to try")
        return TrialDone(model_path, run_trial(model_path, plan, sample, seeds=seeds, budget=budget, progress=progress,
                                               on_epoch=emit))
    except (TrialInputError, ProbeError) as error:
        return TrialDone(model_path, error=str(error))
    except InputError as error:
        return TrialDone(model_path, error=error.message())


def probe_models(paths: list[str], sample, progress):
    """Worker side of the probe (app.probe.probe_files): an app.probe.ProbeRun."""
    from app.probe import probe_files

    return probe_files(paths, sample, progress)


# Files that are data, never logs or models: dropped or opened, they become the data sample.
DATA_SUFFIXES = (".npz", ".npy")


@dataclass
class DataLoad:
    """Worker side result of *Add data sample…* (or *Add validation sample…*): the sample
    (with the validation one attached) and its measurements, or why it could not be read."""

    sample: object = None  # app.io.data_sample.DataSample
    error: InputError | None = None
    facts: dict | None = None  # app.rules.data.sample_facts(sample)
    validation: bool = False  # a validation sample joined the training one


def load_data_sample(paths: Sequence[str], label: str | None, training=None, *, progress) -> DataLoad:
    """Read a data sample; with ``training`` (the open sample) it is that sample's validation
    sample and the result is the training sample with it attached."""
    from dataclasses import replace

    from app.io.data_sample import read_data_sample
    from app.rules.data import sample_facts

    progress.report(0.1, "reading the data sample")
    try:
        sample = read_data_sample(list(paths), label=label)
    except InputError as error:
        return DataLoad(error=error, validation=training is not None)
    if training is not None:
        sample = replace(training, validation=sample)
    progress.report(0.6, "measuring the data sample")
    return DataLoad(sample=sample, facts=sample_facts(sample), validation=training is not None)


class Session(QObject):
    """What the user has open, and the diagnosis of it."""

    contents_changed = Signal()  #: runs or models were added or removed
    diagnosis_ready = Signal(object)  #: list[CaseDiagnosis], the current diagnosis
    error_occurred = Signal(str)  #: a message naming the file and what was wrong
    busy = Signal(str, float)  #: message, fraction (-1 when idle)
    paths_opened = Signal(list)  #: paths read successfully (for recent files)
    probe_ready = Signal(object)  #: dict model path -> the probe's measurements
    trial_started = Signal(str)  #: the patch id of the fix being tried
    trial_epoch = Signal(object)  #: one epoch of a trial arm (from the worker thread, queued)
    trial_ready = Signal(object)  #: the judged trial (app.rules.verified.judge)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs: list[Run] = []
        self.models: list[ModelSpec] = []
        self.code: dict = {}  # training code read (path -> CodeSpec), for the Code tab and code fixes
        self.cases: list = []  # list[CaseDiagnosis]
        self.data = None  # the data sample (app.io.data_sample.DataSample) measured with the runs
        self.data_facts: dict | None = None  # its measurements (app.rules.data.sample_facts)
        self.probes: dict = {}  # model path -> what the probe measured in it on the data sample
        self.trials: dict = {}  # model path -> the verdicts of its fixes' trials (evidence for the ranking)
        self.trial_budget, self.trial_seeds = 60.0, 3  # seconds of training in all, seeds per setup
        self.tasks = TaskRunner(self)
        self.tasks.progressed.connect(self._on_progress)
        self.tasks.finished.connect(self._on_finished)
        self.tasks.failed.connect(self._on_failed)
        self._loads = 0
        self._pasted = 0

    # -- user intent ---------------------------------------------------------------------
    def open_paths(self, paths: Sequence[str]) -> None:
        paths = [os.fspath(p) for p in paths if p]
        data = [p for p in paths if p.lower().endswith(DATA_SUFFIXES)]
        if data:
            self.add_data_sample(data[:2])
            paths = [p for p in paths if p not in data]
        if not paths:
            return
        self._loads += 1
        self.busy.emit(self.tr("Reading {0}…").format(os.path.basename(paths[0])), 0.0)
        self.tasks.submit(f"load-{self._loads}", load_inputs, paths)

    def open_text(self, text: str, as_code: bool = False) -> None:
        """Read pasted text: a log (or anything the readers recognize), or with ``as_code``
        training code, whatever else it holds."""
        if not text.strip():
            self.error_occurred.emit(self.tr("The pasted text is empty."))
            return
        self._loads += 1
        self._pasted += 1
        label = (self.tr("pasted code {0}") if as_code else self.tr("pasted text {0}")).format(self._pasted)
        self.tasks.submit(f"load-{self._loads}", load_pasted_code if as_code else load_pasted, text, f"<{label}>")

    def add_data_sample(self, paths: Sequence[str], label: str | None = None) -> None:
        """Read a data sample (one file or folder, or two .npy files) in a worker; it replaces
        the one before and joins the next diagnosis."""
        self._loads += 1
        self.busy.emit(self.tr("Reading the data sample {0}…").format(os.path.basename(os.fspath(paths[0]))), 0.0)
        self.tasks.submit(f"data-{self._loads}", load_data_sample, [os.fspath(p) for p in paths], label)

    def add_validation_sample(self, paths: Sequence[str], label: str | None = None) -> bool:
        """Read the validation sample that goes with the open data sample (its NaN/inf values
        and the rows it shares with the training sample are measured); False without one."""
        if self.data is None:
            self.error_occurred.emit(self.tr("Add the sample of the training data first: the validation sample "
                                             "is compared with it."))
            return False
        self._loads += 1
        self.busy.emit(self.tr("Reading the validation sample {0}…").format(os.path.basename(os.fspath(paths[0]))), 0.0)
        self.tasks.submit(f"data-{self._loads}", load_data_sample, [os.fspath(p) for p in paths], label, self.data)
        return True

    def remove_data_sample(self) -> None:
        self.data, self.data_facts, self.probes = None, None, {}
        self.contents_changed.emit()
        self.rediagnose()

    def probe(self) -> bool:
        """Measure the open model files on the data sample in the TensorFlow worker (the
        files not measured on this sample yet); False when there is nothing to probe."""
        if self.data is None or (getattr(self.data, "x", None) is None and not getattr(self.data, "files", None)):
            return False
        from app.probe import probed_files

        paths = [path for path in probed_files(self.models) if path not in self.probes]
        if not paths:
            return False
        self.busy.emit(self.tr("Probing the model on the data sample…"), 0.0)
        self.tasks.submit("probe", probe_models, paths, self.data)
        return True

    def try_fix(self, fix, finding, model_path: str | None) -> bool:
        """*Try this fix*: train the original and the patched setup briefly on the data sample
        in the worker; epochs arrive as ``trial_epoch``, the verdict as ``trial_ready``."""
        from app.patches import patches_from_finding

        if model_path is None:
            self.error_occurred.emit(self.tr("Trying a fix needs the model file (.keras, .h5) of this run."))
            return False
        if self.data is None or getattr(self.data, "x", None) is None or self.data.y is None:
            self.error_occurred.emit(self.tr("Trying a fix trains on a data sample with labels: add one first "
                                             "(File ▸ Add data sample…)."))
            return False
        patches = [patch for patch in patches_from_finding(finding) if patch.id == fix.id]
        if not patches:
            self.error_occurred.emit(self.tr("This fix is a change to make by hand: it cannot be tried."))
            return False
        self.busy.emit(self.tr("Trying the fix on the data sample…"), 0.0)
        self.trial_started.emit(fix.id)
        self.tasks.submit("trial", fix_trial, model_path, patches, self.data, self.trial_epoch.emit,
                          self.trial_budget, self.trial_seeds)
        return True

    def close_run(self, run: Run) -> None:
        self.runs = [r for r in self.runs if r is not run]
        self.contents_changed.emit()
        self.rediagnose()

    def close_all(self) -> None:
        self.tasks.cancel_all()
        self.runs, self.models, self.cases, self.code, self.data, self.probes = [], [], [], {}, None, {}
        self.data_facts, self.trials = None, {}
        self.contents_changed.emit()
        self.probe_ready.emit({})
        self.diagnosis_ready.emit([])

    def cancel(self) -> None:
        self.tasks.cancel_all()
        self.busy.emit("", -1.0)

    def rediagnose(self) -> None:
        if not self.runs and not self.models:
            self.cases = []
            self.diagnosis_ready.emit([])
            return
        self.busy.emit(self.tr("Diagnosing…"), 0.0)
        self.tasks.submit("diagnose", run_diagnosis, list(self.runs), list(self.models), self.data, dict(self.probes),
                          {path: list(items) for path, items in self.trials.items()})

    def shutdown(self) -> None:
        self.tasks.shutdown()

    def warm_up(self) -> None:
        """Import the readers and rules in a background thread (see WARM_UP_MODULES)."""
        threading.Thread(target=warm_up, name="traindoc-warm-up", daemon=True).start()

    # -- worker results ------------------------------------------------------------------
    def _on_progress(self, key: str, fraction: float, message: str) -> None:
        self.busy.emit(message, fraction)

    def _on_finished(self, key: str, result: object) -> None:
        if key == "diagnose":
            self.cases = list(result)  # type: ignore[arg-type]
            self.busy.emit("", -1.0)
            self.diagnosis_ready.emit(self.cases)
            return
        if isinstance(result, DataLoad):
            if result.error is not None:
                self.busy.emit("", -1.0)
                self.error_occurred.emit(result.error.message())
                return
            self.data, self.data_facts = result.sample, result.facts
            self.contents_changed.emit()
            QTimer.singleShot(0, self.rediagnose)
            if not result.validation:  # the same training sample: what was probed on it stands
                self.probes = {}
                QTimer.singleShot(0, self.probe)  # the diagnosis first, then the measured one
            return
        if isinstance(result, TrialDone):
            self.busy.emit("", -1.0)
            if result.error is not None:
                self.error_occurred.emit(result.error)
                return
            kept = [t for t in self.trials.get(result.model_path, [])
                    if t.get("fix") not in {n.get("fix") for n in result.result["trials"]}]
            self.trials[result.model_path] = kept + list(result.result["trials"])
            self.trial_ready.emit(result.result)
            self.rediagnose()  # the verdict is evidence for the cause's ranking
            return
        if key == "probe":  # an app.probe.ProbeRun
            self.probes.update(result.results)
            for message in result.messages:
                self.error_occurred.emit(message)
            self.probe_ready.emit(dict(self.probes))
            self.rediagnose()
            return
        assert isinstance(result, LoadResult)
        for error in result.errors:
            self.error_occurred.emit(error.message())
        for item in result.skipped:
            log.info("skipped %s", item)
        if result.paths:
            self.paths_opened.emit(result.paths)
        self.code.update(result.code)
        if result.runs or result.models:
            self.runs.extend(result.runs)
            self.models.extend(result.models)
            self.contents_changed.emit()
            # The diagnosis starts once the window has drawn the new curves: its worker
            # holding the GIL slows every paint (bench/bench_gui_gaps.py).
            QTimer.singleShot(0, self.rediagnose)
            if self.data is not None:
                QTimer.singleShot(0, self.probe)  # a model file opened beside a data sample
        elif not self.tasks.is_busy():
            self.busy.emit("", -1.0)

    def _on_failed(self, key: str, error: object) -> None:
        self.busy.emit("", -1.0)
        log.error("task %s failed", key, exc_info=error if isinstance(error, BaseException) else None)
        self.error_occurred.emit(self.tr("Internal error while {0}: {1}").format(
            self.tr("diagnosing") if key == "diagnose" else self.tr("reading"), error))
