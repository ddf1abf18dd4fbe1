"""TensorBoard event files and log folders, read without TensorFlow.

What is read:

- Keras ``TensorBoard`` callback folders: ``<run>/train/`` and ``<run>/validation/``.
  ``epoch_<metric>`` tags are per-epoch series whose steps are 0-based epochs (we add one);
  the validation folder's ``epoch_loss`` becomes ``val_loss``. ``batch_<metric>`` tags are
  per-step series at the global batch number written. ``evaluation_<metric>_vs_iterations``
  (validation at the end of each epoch, at the global step) becomes a per-step ``val_``
  series; when a validation event file holds only those tags (``model.evaluate`` called
  with the callback), they are reported as evaluations instead.
- Other writers (PyTorch ``SummaryWriter``, tensorboardX, plain ``tf.summary``, Lightning's
  ``TensorBoardLogger``, the Hugging Face Trainer): tags such as ``Loss/train``,
  ``loss/val``, ``train/loss``, ``eval/loss``, ``val_acc``, ``train_loss_step`` are named
  ``loss``/``val_loss``/``val_accuracy``. Their steps are whatever the writer used, so they
  are per-step series unless we can tell the epoch:

  * an ``epoch`` scalar (Lightning, 0-based) or ``train/epoch`` (Hugging Face, 1.0 at the
    end of the first epoch) logged at the same steps maps validation series and
    ``*_epoch`` series to their epoch;
  * a tag naming the epoch (``loss/epoch``, ``val_loss_epoch``): its steps are epochs;
  * a train and a validation series with the same consecutive step numbers starting at 0
    or 1 (a validation value at every step is rare; one of them may be a step short, a log
    still being written), and any other series with consecutive steps within theirs:
    per-epoch, shifted to 1-based when they start at 0 (TF1 Keras, PyTorch loops that pass
    the epoch as step).
- A folder holding several runs (each with its own ``train``/``validation`` pair, or its
  own event files) gives one :class:`Run` per run folder, named by its relative path.

Several event files in one folder (a run logged twice into the same directory) are read in
the order they were written; a later value for the same epoch replaces an earlier one and
a warning says so. A file that ends inside a record (still being written) is read up to
its last complete record, with a warning. Series' ``source_lines`` are 0-based TFRecord
record indices in ``source_path`` (record 0 is the file header).
"""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.core.run import Evaluation, Run, Source, canonical_metric, metric_base, series_from_points
from app.io import tfrecord
from app.io.sniff import Probe

ID = "tensorboard"
KIND = "run"
INPUT = "path"
TITLE = "TensorBoard event files"

# Bounds that keep a folder walk finite on huge or looping trees.
MAX_EVENT_FILES = 5000
MAX_WALK_ENTRIES = 200_000
IDENTIFY_WALK_ENTRIES = 2000
CANCEL_EVERY_RECORDS = 2000

TRAIN_DIRS = {"train", "training"}
VALIDATION_DIRS = {"validation", "val", "valid", "eval", "evaluation"}
# Words in generic tags ("Loss/train", "train/loss") that say which data a value is about.
_TRAIN_WORDS = {"train", "training"}
_VAL_WORDS = {"val", "valid", "validation", "eval", "evaluation", "test", "dev"}
_EPOCH_WORDS = {"epoch", "epochs", "per_epoch"}
_EVALUATION_TAG = re.compile(r"^evaluation_(.+)_vs_iterations$")
# Epoch counters other writers log next to their metrics, and how to turn a value of
# theirs into a 1-based epoch.
_LIGHTNING_EPOCH_TAG = "epoch"  # trainer.current_epoch, 0-based
_HF_EPOCH_TAG = "train/epoch"  # fractional progress: 1.0 at the end of the first epoch
# Placeholders that are not training metrics.
_IGNORED_TAGS = {"hp_metric"}


# --------------------------------------------------------------------------------------
# identify
# --------------------------------------------------------------------------------------


def _is_event_file_name(name: str) -> bool:
    return "tfevents" in name.lower()


def identify(probe: Probe) -> float:
    """0.95 for a file starting with an Event record; 0.9 for a binary ``*tfevents*`` file
    or a folder holding event files."""
    try:
        if probe.is_dir:
            return 0.9 if _event_files(probe.path, IDENTIFY_WALK_ENTRIES, 1) else 0.0
        if tfrecord.looks_like_event_file(probe.head):
            return 0.95
        if _is_event_file_name(probe.name) and probe.text is None:
            return 0.9
    except Exception:  # identify never raises
        return 0.0
    return 0.0


def _event_files(root: str, max_entries: int = MAX_WALK_ENTRIES,
                 max_files: int = MAX_EVENT_FILES) -> list[str]:
    """Event files under ``root``, in a stable order; the walk is bounded."""
    found: list[str] = []
    seen = 0
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        seen += len(files) + len(dirs)
        for name in sorted(files):
            if _is_event_file_name(name):
                found.append(os.path.join(directory, name))
                if len(found) >= max_files:
                    return found
        if seen >= max_entries:
            break
    return found


# --------------------------------------------------------------------------------------
# read
# --------------------------------------------------------------------------------------


@dataclass
class _Point:
    x: int
    y: float
    record: int
    path: str
    tag: str


@dataclass
class _RunData:
    """Everything collected for one run folder before it becomes a :class:`Run`."""

    directory: str
    files: list[str] = field(default_factory=list)
    # Keras tags, already named: epoch_* by canonical name, batch_* and in-fit evaluation_*.
    epoch_points: dict[str, list[_Point]] = field(default_factory=lambda: defaultdict(list))
    step_points: dict[str, list[_Point]] = field(default_factory=lambda: defaultdict(list))
    # Other writers' tags by (tag, folder role): named and placed on an axis at the end.
    generic_points: dict[tuple[str, str | None], list[_Point]] = field(
        default_factory=lambda: defaultdict(list))
    epoch_at_step: dict[int, int] = field(default_factory=dict)  # from an epoch counter tag
    evaluations: list[Evaluation] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)  # steps of evaluation_* in fit
    eval_source: Source | None = None
    warnings: list[str] = field(default_factory=list)


def read(source, progress: Progress = NO_PROGRESS) -> list[Run]:
    """Read an event file or a log folder; one :class:`Run` per run folder."""
    path = os.fspath(source)
    if not os.path.exists(path):
        raise InputError(path, "a TensorBoard event file or log folder", found="nothing at that path")
    single_file = not os.path.isdir(path)
    if single_file:
        files = [path]
        root = _run_directory(path)[0]
    else:
        files = _event_files(path)
        root = path
        if not files:
            raise InputError(path, "a folder holding TensorBoard event files (*tfevents*)",
                             found="no event files")
    runs: dict[str, _RunData] = {}
    for file_path in _in_write_order(files):
        directory, _role = _run_directory(file_path)
        runs.setdefault(directory, _RunData(directory)).files.append(file_path)
    total_bytes = sum(tfrecord.file_size(f) for f in files) or 1
    done_bytes = 0
    first_error: InputError | None = None
    for data in runs.values():
        for file_path in data.files:
            check_cancelled(progress)
            progress.report(min(1.0, done_bytes / total_bytes), os.path.basename(file_path))
            try:
                _read_file(file_path, _run_directory(file_path)[1], data, progress)
            except InputError as error:
                if single_file:
                    raise
                first_error = first_error or error
                data.warnings.append(f"{error.message()}; values before it were kept")
            done_bytes += tfrecord.file_size(file_path)
    progress.report(1.0, "")
    result = [run for run in (_to_run(data, root) for data in runs.values()) if run is not None]
    if not result:
        if first_error is not None:
            raise first_error
        raise InputError(path, "TensorBoard scalar summaries (loss, metrics)",
                         found=f"{len(files)} event file(s) without any scalar value")
    return result


def _run_directory(file_path: str) -> tuple[str, str | None]:
    """The run folder an event file belongs to, and its role (``train``/``validation``)."""
    parent = os.path.dirname(os.path.abspath(file_path))
    base = os.path.basename(parent).lower()
    if base in TRAIN_DIRS:
        return os.path.dirname(parent), "train"
    if base in VALIDATION_DIRS:
        return os.path.dirname(parent), "validation"
    return parent, None


_TIMESTAMP = re.compile(r"tfevents\.(\d+)")


def _in_write_order(files: list[str]) -> list[str]:
    """Files sorted by the creation time TensorFlow puts in their names, then by name."""
    def key(path: str) -> tuple[int, str]:
        match = _TIMESTAMP.search(os.path.basename(path))
        return (int(match.group(1)) if match else 0, path)
    return sorted(files, key=key)


def _read_file(path: str, role: str | None, data: _RunData, progress: Progress) -> None:
    """Collect the scalars of one event file into ``data``."""
    warnings: list[str] = []
    # Tags this file declared as something else than a scalar (later values omit metadata).
    non_scalar: set[str] = set()
    # evaluation_* values of this file by step, and whether the file has epoch_* tags.
    evaluation_points: dict[int, dict[str, tuple[float, int, str]]] = defaultdict(dict)
    file_epoch_tags = False
    kinds: dict[str, tuple[str, str]] = {}  # tag → _classify(tag, role), computed once
    records = 0
    for record in tfrecord.iter_records(path, warnings=warnings):
        records += 1
        if record.index % CANCEL_EVERY_RECORDS == 0 and record.index:
            check_cancelled(progress)
        try:
            event = tfrecord.decode_event(record.data)
        except tfrecord.ProtoError as error:
            found = str(error)
            if not record.data_crc_ok():
                found = "a record whose data does not match its checksum"
            raise InputError(path, "a TensorBoard event (tensorflow.Event protobuf)",
                             found=found, entry=f"record {record.index}") from None
        non_scalar.update(event.other_plugins)
        if not event.scalars:
            continue
        # Only records we take values from pay for the pure-Python data checksum.
        if not record.data_crc_ok():
            raise InputError(path, "a TFRecord record whose data matches its checksum",
                             found="a checksum mismatch (the file is corrupt)",
                             entry=f"record {record.index}")
        for scalar in event.scalars:
            if scalar.tag in non_scalar:
                continue
            kind_name = kinds.get(scalar.tag)
            if kind_name is None:
                kind_name = kinds[scalar.tag] = _classify(scalar.tag, role)
            kind, name = kind_name
            if kind == "epoch":
                file_epoch_tags = True
                data.epoch_points[name].append(
                    _Point(event.step, scalar.value, record.index, path, scalar.tag))
            elif kind == "step":
                data.step_points[name].append(
                    _Point(event.step, scalar.value, record.index, path, scalar.tag))
            elif kind == "evaluation":
                evaluation_points[event.step][name] = (scalar.value, record.index, scalar.tag)
            elif kind == "epoch_counter":
                epoch = _epoch_from_counter(name, scalar.value)
                if epoch is not None:
                    data.epoch_at_step[event.step] = epoch
            elif kind == "generic":
                data.generic_points[(scalar.tag, role)].append(
                    _Point(event.step, scalar.value, record.index, path, scalar.tag))
    if records == 0 and not warnings:
        warnings.append(f"{path}: empty event file")
    data.warnings.extend(warnings)
    _place_evaluations(path, evaluation_points, file_epoch_tags, data)


def _epoch_from_counter(counter: str, value: float) -> int | None:
    """The 1-based epoch an epoch-counter value stands for (``None`` if it is not one)."""
    if not math.isfinite(value) or value < 0 or value > 1e9:
        return None
    if counter == _LIGHTNING_EPOCH_TAG:
        return int(value) + 1
    return max(1, math.ceil(value - 1e-6))  # Hugging Face: 0.5 → 1, 1.0 → 1, 1.02 → 2


def _place_evaluations(path: str, points: dict[int, dict[str, tuple[float, int, str]]],
                       file_epoch_tags: bool, data: _RunData) -> None:
    """``evaluation_*_vs_iterations``: per-step validation in fit, or evaluate() results."""
    for step in sorted(points):
        values = points[step]
        record = min(r for _, r, _ in values.values())
        if file_epoch_tags:
            for name, (value, value_record, tag) in values.items():
                data.step_points[name].append(_Point(step, value, value_record, path, tag))
            data.eval_steps.append(step)
            if data.eval_source is None:
                data.eval_source = Source(path, record, "evaluation_*_vs_iterations")
        else:
            data.evaluations.append(Evaluation(
                metrics={metric_base(name): value for name, (value, _, _) in values.items()},
                source=Source(path, record, "evaluation_*_vs_iterations"),
                label="evaluate",
            ))


def _classify(tag: str, role: str | None) -> tuple[str, str]:
    """(kind, name) of a scalar tag.

    kind is ``epoch`` (Keras ``epoch_*``), ``step`` (Keras ``batch_*``), ``evaluation``
    (Keras ``evaluation_*_vs_iterations``), ``epoch_counter`` (Lightning's ``epoch``,
    Hugging Face's ``train/epoch``; name is the counter's tag), ``ignored`` or ``generic``
    (named later by :func:`_generic_name`).
    """
    lower = tag.strip().lower()
    if lower in (_LIGHTNING_EPOCH_TAG, _HF_EPOCH_TAG) and role is None:
        return "epoch_counter", lower
    if lower in _IGNORED_TAGS:
        return "ignored", lower
    if lower.startswith("epoch_") and len(lower) > 6:
        return "epoch", _with_role(canonical_metric(lower[6:]), role)
    if lower.startswith("batch_") and len(lower) > 6:
        return "step", _with_role(canonical_metric(lower[6:]), role)
    match = _EVALUATION_TAG.match(lower)
    if match:
        return "evaluation", "val_" + metric_base(canonical_metric(match.group(1)))
    return "generic", lower


def _with_role(name: str, role: str | None) -> str:
    if role == "validation" and not name.startswith("val_"):
        return "val_" + name
    return name


def _generic_name(tag: str, role: str | None) -> tuple[str, bool]:
    """(canonical name, tag says per-epoch) of another writer's tag.

    ``Loss/train`` → loss, ``loss/val`` → val_loss, ``train/acc`` → accuracy,
    ``eval/loss`` → val_loss, ``val_loss_epoch`` → (val_loss, True),
    ``train_loss_step`` → loss, ``train/train_loss`` → train_loss (a different value).
    """
    lower = tag.strip().lower()
    parts = [p for p in re.split(r"[/\s]+", lower) if p]
    is_val = role == "validation"
    epoch_hint = False
    kept: list[str] = []
    role_word_dropped = False
    for part in parts:
        if len(parts) > 1 and part in _TRAIN_WORDS:
            role_word_dropped = True
            continue
        if len(parts) > 1 and part in _VAL_WORDS:
            is_val = role_word_dropped = True
            continue
        if len(parts) > 1 and part in _EPOCH_WORDS:
            epoch_hint = True
            continue
        kept.append(part)
    joined = "_".join(kept) or "_".join(parts) or lower or "value"
    if role_word_dropped and joined.startswith(("train_", "training_", "val_", "eval_")):
        # "train/train_loss" (an average over training) must not pose as "loss".
        joined = "_".join(parts)
    if joined.endswith("_epoch") and len(joined) > 6:  # "train_acc_epoch" (Lightning on_epoch)
        joined, epoch_hint = joined[:-6], True
    elif joined.endswith("_step") and len(joined) > 5:  # "train_acc_step" (Lightning on_step)
        joined = joined[:-5]
    if re.match(r"^lr[-_]", joined):  # Lightning's LearningRateMonitor: "lr-SGD", "lr-Adam"
        joined = "learning_rate"
    name = canonical_metric(joined)
    if is_val and not name.startswith("val_"):
        name = "val_" + name
    return name, epoch_hint


# --------------------------------------------------------------------------------------
# building the Run
# --------------------------------------------------------------------------------------


def _to_run(data: _RunData, root: str) -> Run | None:
    # Keras' epoch_* steps are 0-based epochs: +1. Generic series come with their offset.
    epoch_series = {name: (points, 1) for name, points in data.epoch_points.items()}
    step_series = {name: points for name, points in data.step_points.items()}
    _assign_generic(data, epoch_series, step_series)
    if not epoch_series and not step_series and not data.evaluations:
        return None
    run = Run(name=_run_name(data.directory, root), format=ID, paths=list(data.files))
    run.warnings.extend(data.warnings)
    last_epoch = None
    for name, (points, offset) in sorted(epoch_series.items()):
        series = _series(name, "epoch", points, offset, run)
        run.epochs[name] = series
        if len(series):
            last_epoch = max(last_epoch or 0, int(series.x[-1]))
    for name, points in sorted(step_series.items()):
        run.steps[name] = _series(name, "step", points, 0, run)
    for evaluation in data.evaluations:
        evaluation.after_epoch = last_epoch
        run.evaluations.append(evaluation)
    _fit_settings(data, run)
    return run


def _assign_generic(data: _RunData, epoch_series: dict[str, tuple[list[_Point], int]],
                    step_series: dict[str, list[_Point]]) -> None:
    """Name other writers' tags and put them on the epoch or the step axis (module doc)."""
    named = []
    for (tag, role), points in data.generic_points.items():
        name, epoch_hint = _generic_name(tag, role)
        named.append((name, epoch_hint, tag, points))
    undecided = []
    for name, epoch_hint, tag, points in named:
        if data.epoch_at_step and (epoch_hint or name.startswith("val_")) and all(
                p.x in data.epoch_at_step for p in points):
            mapped = [replace(p, x=data.epoch_at_step[p.x]) for p in points]
            _put(epoch_series, name, (mapped, 0), tag)
        elif epoch_hint:
            _put(epoch_series, name, (points, 1 if min(p.x for p in points) == 0 else 0), tag)
        else:
            undecided.append((name, tag, points))
    # Train/validation pairs at the same consecutive steps from 0 or 1 are per epoch (one
    # may be an epoch shorter: a log still being written); so is any series whose steps
    # lie within such a pair's.
    steps_of = {name: sorted({p.x for p in points}) for name, _, points in undecided}
    epoch_range: list[int] = []
    for name, xs in steps_of.items():
        partner = steps_of.get(metric_base(name) if name.startswith("val_") else "val_" + name)
        if partner and _consecutive_from_0_or_1(xs) and _consecutive_from_0_or_1(partner) \
                and xs[0] == partner[0] and abs(len(xs) - len(partner)) <= 1:
            longer = max(xs, partner, key=len)
            if len(longer) > len(epoch_range):
                epoch_range = longer
    for name, tag, points in undecided:
        xs = steps_of[name]
        if epoch_range and xs[0] == epoch_range[0] and _consecutive_from_0_or_1(xs) \
                and xs[-1] <= epoch_range[-1]:
            _put(epoch_series, name, (points, 1 if xs[0] == 0 else 0), tag)
        else:
            _put(step_series, name, points, tag)


def _put(table: dict, name: str, value, tag: str) -> None:
    """Add ``value`` as ``name``; if the name is taken, under the tag's own spelling."""
    if name in table:
        name = re.sub(r"[^0-9a-z_]+", "_", tag.lower()).strip("_") or "value"
        while name in table:
            name += "_"
    table[name] = value


def _consecutive_from_0_or_1(xs: list[int]) -> bool:
    return bool(xs) and xs[0] in (0, 1) and xs[-1] - xs[0] == len(xs) - 1


def _series(name: str, axis: str, points: list[_Point], offset: int, run: Run):
    """A series from points; repeated x values from different files are reported."""
    by_x: dict[int, str] = {}
    repeated: set[int] = set()
    for point in points:
        previous = by_x.get(point.x)
        if previous is not None and previous != point.path:
            repeated.add(point.x + offset)
        by_x[point.x] = point.path
    if repeated:
        run.warnings.append(
            f"{points[-1].tag}: {axis}s {_ranges(sorted(repeated))} appear in "
            "several event files (the run was logged more than once into this folder?); the "
            "later file's values are used")
    return series_from_points(
        name, axis,  # type: ignore[arg-type]
        ((p.x + offset, p.y, p.record) for p in points),
        raw_name=points[-1].tag if points else name,
        source_path=points[-1].path if points else "",
    )


def _ranges(values: list[int]) -> str:
    if len(values) > 3:
        return f"{values[0]}-{values[-1]}"
    return ", ".join(str(v) for v in values)


def _fit_settings(data: _RunData, run: Run) -> None:
    """Steps per epoch from the global steps of Keras' per-epoch validation (d, 2d, 3d ...)."""
    steps = sorted(set(data.eval_steps))
    if steps and steps[0] > 0 and data.eval_source is not None:
        first = steps[0]
        if all(step == first * (i + 1) for i, step in enumerate(steps)):
            run.fit.set("steps_per_epoch", first, data.eval_source)


# Folder names that say nothing about the run; the parent folder's name is added to them.
_GENERIC_DIR_NAMES = {"tb", "tb_logs", "tblogs", "logs", "log", "tensorboard", "events", "runs"}


def _run_name(directory: str, root: str) -> str:
    """The run folder relative to the folder given; the folder's own name for itself."""
    relative = os.path.relpath(directory, os.path.abspath(root))
    if relative == "." or relative.startswith(".."):
        name = os.path.basename(directory) or directory
        parent = os.path.basename(os.path.dirname(directory))
        if name.lower() in _GENERIC_DIR_NAMES and parent:
            return f"{parent}/{name}"
        return name
    return relative.replace(os.sep, "/")
