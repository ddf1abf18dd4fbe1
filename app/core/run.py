"""A training run as TrainDoc sees it: metric series, evaluations, fit settings, events.

Conventions every reader follows:

- Epochs are numbered as Keras prints them: ``Epoch 1/10`` is epoch 1. Readers of
  0-based formats (CSVLogger's ``epoch`` column, TensorBoard's ``epoch_*`` steps) add one.
  Steps are global optimizer steps, numbered from 1 when the format does not say.
- Metric names are canonical (see :func:`canonical_metric`): ``acc`` becomes ``accuracy``,
  ``lr`` becomes ``learning_rate``, validation series start with ``val_``. The spelling
  found in the file is kept in :attr:`Series.raw_name`.
- NaN and inf are kept as such in the arrays; they are evidence.
- Every value remembers where it came from: :attr:`Series.source_path` plus one line
  number per point in :attr:`Series.source_lines` (a record index for binary formats).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal

import numpy as np

Axis = Literal["epoch", "step"]

# Spellings that mean the same metric. Keys and values are lower-case, without ``val_``.
_METRIC_SYNONYMS = {
    "acc": "accuracy",
    "lr": "learning_rate",
    "learningrate": "learning_rate",
    "learning-rate": "learning_rate",
}
# Prefixes that mark validation series in the formats we read (Keras ``val_``,
# Hugging Face ``eval_``, Lightning users' ``valid_``/``validation_``).
_VAL_PREFIXES = ("val_", "valid_", "validation_", "eval_")
# Prefixes that mark training series explicitly (Lightning ``train_loss``).
_TRAIN_PREFIXES = ("train_", "training_")
# Lightning appends ``_epoch``/``_step`` to metrics logged with on_epoch/on_step.
_LIGHTNING_SUFFIX = re.compile(r"_(epoch|step)$")


def canonical_metric(raw: str, *, strip_lightning_suffix: bool = False) -> str:
    """The canonical name of a metric spelled ``raw`` in a log.

    >>> canonical_metric("acc"), canonical_metric("val_acc"), canonical_metric("lr")
    ('accuracy', 'val_accuracy', 'learning_rate')
    >>> canonical_metric("eval_loss"), canonical_metric("train_loss")
    ('val_loss', 'loss')
    """
    name = raw.strip()
    lower = name.lower()
    if strip_lightning_suffix:
        lower = _LIGHTNING_SUFFIX.sub("", lower)
    is_val = False
    for prefix in _VAL_PREFIXES:
        if lower.startswith(prefix) and len(lower) > len(prefix):
            lower = lower[len(prefix):]
            is_val = True
            break
    else:
        for prefix in _TRAIN_PREFIXES:
            if lower.startswith(prefix) and len(lower) > len(prefix):
                lower = lower[len(prefix):]
                break
    base = _METRIC_SYNONYMS.get(lower, lower)
    return f"val_{base}" if is_val else base


def metric_base(name: str) -> str:
    """``val_loss`` → ``loss``; names without the prefix are returned unchanged."""
    return name[4:] if name.startswith("val_") else name


def is_validation(name: str) -> bool:
    return name.startswith("val_")


@dataclass(frozen=True)
class Source:
    """Where a value, event or setting came from."""

    path: str
    line: int | None = None  # 1-based line, or record index for binary formats
    entry: str | None = None  # zip member, JSON key, TensorBoard tag ...
    snippet: str | None = None  # the code at that line, for training code ("layers.Dense(2, activation='relu')")

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
        if self.entry:
            text += f" [{self.entry}]"
        return text

    def cited(self) -> str:
        """``train.py:42 `Dense(n, activation='relu')` ``: the place, and the code when known."""
        return f"{self} `{self.snippet}`" if self.snippet else str(self)

    def to_dict(self) -> dict[str, Any]:
        out = {"path": self.path, "line": self.line, "entry": self.entry}
        if self.snippet:
            out["snippet"] = self.snippet
        return out


@dataclass
class Series:
    """One metric over epochs or steps."""

    name: str  # canonical, e.g. "val_accuracy"
    axis: Axis
    x: np.ndarray  # epoch numbers (1-based) or global steps, int64
    y: np.ndarray  # float64, NaN/inf kept
    raw_name: str = ""
    source_path: str = ""
    source_lines: np.ndarray | None = None  # int64, one per point, -1 where unknown

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=np.int64)
        self.y = np.asarray(self.y, dtype=np.float64)
        if not self.raw_name:
            self.raw_name = self.name
        if self.source_lines is not None:
            self.source_lines = np.asarray(self.source_lines, dtype=np.int64)
            if self.source_lines.shape != self.x.shape:
                raise ValueError("source_lines must have one entry per point")
        if self.x.shape != self.y.shape:
            raise ValueError(f"series {self.name}: x and y differ in length")

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def last(self) -> float:
        return float(self.y[-1]) if len(self) else math.nan

    def source_of(self, index: int) -> Source:
        line = None
        if self.source_lines is not None:
            value = int(self.source_lines[index])
            line = value if value >= 0 else None
        return Source(self.source_path, line)

    def kept(self, key: object, make: Callable[["Series"], Any]) -> Any:
        """``make(self)``, computed once while the series keeps its x and y arrays (a live run
        replaces them as lines arrive, and then it is made again): what the detectors and the
        window ask for many times is not recomputed."""
        cache = self.__dict__.setdefault("_kept", {})
        found = cache.get(key)
        if found is not None and found[0] is self.x and found[1] is self.y:
            return found[2]
        value = make(self)
        cache[key] = (self.x, self.y, value)
        return value

    def display_levels(self) -> list:
        """The series and its peak-decimated copies for drawing (:mod:`app.core.decimate`),
        computed once: the loading worker asks first, so the window gets them kept."""
        from app.core.decimate import peak_levels

        return self.kept("display_levels", lambda series: peak_levels(series.x, series.y))

    def value_at(self, x: int) -> float:
        """The value at epoch/step ``x`` (NaN if there is none)."""
        hits = np.nonzero(self.x == x)[0]
        return float(self.y[hits[-1]]) if hits.size else math.nan


@dataclass
class Evaluation:
    """A ``model.evaluate`` result found in a log."""

    metrics: dict[str, float]  # canonical names → value ("loss", "accuracy")
    source: Source
    label: str = ""  # "test", "train" ... when the log says which data it was
    after_epoch: int | None = None  # the last epoch printed before it, if any


@dataclass(frozen=True)
class Statement:
    """A symptom or a setting that the text around a log describes in words
    ("accuracy stays around 0.5", "我用的是mean_squared_error"): evidence of kind *described*."""

    kind: str  # "symptom" or "setting"
    id: str  # a TAXONOMY symptom id, or a setting: "loss", "learning_rate"
    value: Any  # the number or name stated (0.5, "mean_squared_error"), or None
    metric: str | None  # the metric a symptom is about ("val_accuracy"), if said
    sentence: str  # as written (cut to 200 characters)
    path: str
    line: int
    lang: str  # "en" or "zh"

    @property
    def source(self) -> Source:
        return Source(self.path, self.line, snippet=self.sentence)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "value": self.value, "metric": self.metric,
                "sentence": self.sentence, "path": self.path, "line": self.line, "lang": self.lang}


@dataclass
class CallbackEvent:
    """Something a callback printed: early stopping, LR change, checkpoint, NaN stop."""

    kind: str  # one of EVENT_KINDS
    text: str
    source: Source
    epoch: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


EVENT_KINDS = (
    "early_stopping",
    "restore_best_weights",
    "lr_change",
    "checkpoint",
    "terminate_on_nan",
    "nan_batch",
)


@dataclass
class FitSettings:
    """``fit`` settings visible in a log. ``None`` means the log did not show it."""

    epochs_planned: int | None = None
    steps_per_epoch: int | None = None
    train_samples: int | None = None
    val_samples: int | None = None
    batch_size: int | None = None
    initial_epoch: int | None = None
    shuffle: bool | None = None
    sources: dict[str, Source] = field(default_factory=dict)

    def set(self, name: str, value: Any, source: Source) -> None:
        """Set ``name`` if not known yet (the first sighting wins)."""
        if getattr(self, name) is None and value is not None:
            setattr(self, name, value)
            self.sources[name] = source

    def derive(self) -> None:
        """Fill what follows from what is known (batch size from samples and steps)."""
        if (
            self.batch_size is None
            and self.train_samples
            and self.steps_per_epoch
            and self.train_samples > self.steps_per_epoch
        ):
            batch = math.ceil(self.train_samples / self.steps_per_epoch)
            # Only exact when ceil(samples / batch) gives back the same step count.
            if math.ceil(self.train_samples / batch) == self.steps_per_epoch:
                self.batch_size = batch
                self.sources.setdefault(
                    "batch_size",
                    self.sources.get("train_samples") or Source("<derived>"),
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs_planned": self.epochs_planned,
            "steps_per_epoch": self.steps_per_epoch,
            "train_samples": self.train_samples,
            "val_samples": self.val_samples,
            "batch_size": self.batch_size,
            "initial_epoch": self.initial_epoch,
            "shuffle": self.shuffle,
        }


@dataclass
class Run:
    """Everything read from one training run's log(s)."""

    name: str
    format: str  # reader id: "keras_console", "csvlogger", "history_json", "tensorboard" ...
    paths: list[str] = field(default_factory=list)
    epochs: dict[str, Series] = field(default_factory=dict)  # per-epoch series by name
    steps: dict[str, Series] = field(default_factory=dict)  # per-step series by name
    evaluations: list[Evaluation] = field(default_factory=list)
    fit: FitSettings = field(default_factory=FitSettings)
    events: list[CallbackEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # lines skipped, oddities
    model: Any = None  # a partial ModelSpec from a model.summary() table, if any
    statements: list[Statement] = field(default_factory=list)  # what the text around it says
    skipped_lines: int = 0  # lines of the text that were neither records nor anything else read

    _counted: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def epoch_count(self) -> int:
        """Number of distinct epochs with at least one value."""
        return self._distinct(self.epochs)

    @property
    def step_count(self) -> int:
        return self._distinct(self.steps)

    def _distinct(self, table: dict[str, Series]) -> int:
        """Distinct x over the series of ``table``, kept for as long as the series are the same
        (the window asks for the counts often: a 1M-row log must not be sorted each time)."""
        key = tuple((name, id(s.x), len(s.x)) for name, s in table.items())
        found = self._counted.get(key)
        if found is None:
            found = _distinct_x([s.x for s in table.values() if len(s)])
            self._counted.clear()  # (one entry per table is all a run needs)
            self._counted[key] = found
        return found

    def metric_names(self) -> list[str]:
        return sorted(set(self.epochs) | set(self.steps))

    def series(self, name: str, axis: Axis = "epoch") -> Series | None:
        table = self.epochs if axis == "epoch" else self.steps
        return table.get(canonical_metric(name))

    def pairs(self) -> list[tuple[str, str | None]]:
        """(train, validation) name pairs of the per-epoch series, by metric name."""
        out: list[tuple[str, str | None]] = []
        names = set(self.epochs)
        for name in sorted(names):
            if is_validation(name):
                if metric_base(name) not in names:
                    out.append((name, None))
                continue
            val = "val_" + name
            out.append((name, val if val in names else None))
        return out

    def last_values(self) -> dict[str, float]:
        return {name: s.last for name, s in sorted(self.epochs.items()) if len(s)}

    def add_series(self, series: Series, table: dict[str, Series] | None = None) -> None:
        target = self.epochs if series.axis == "epoch" else self.steps
        if table is not None:
            target = table
        target[series.name] = series


def same_x(a: np.ndarray, b: np.ndarray) -> bool:
    """One x array (the same object, or equal values): series of one run usually share it."""
    return a is b or (a.shape == b.shape and np.array_equal(a, b))


def increasing(x: np.ndarray) -> bool:
    """Strictly increasing, so already sorted and distinct (no np.unique needed)."""
    return x.size < 2 or bool(np.all(x[1:] > x[:-1]))


def _distinct_x(xs: list[np.ndarray]) -> int:
    """Distinct values over the x arrays: one increasing array (the usual case, often shared
    by every series) is counted without sorting."""
    if not xs:
        return 0
    first = xs[0]
    if all(same_x(x, first) for x in xs[1:]):
        if increasing(first):
            return int(first.size)
        return int(np.unique(first).size)
    return int(np.unique(np.concatenate(xs)).size)


def series_from_points(
    name: str,
    axis: Axis,
    points: Iterable[tuple[int, float, int]],
    *,
    raw_name: str = "",
    source_path: str = "",
) -> Series:
    """Build a series from ``(x, y, line)`` triples; a later value for the same x wins."""
    by_x: dict[int, tuple[float, int]] = {}
    for x, y, line in points:
        by_x[int(x)] = (float(y), int(line))
    xs = sorted(by_x)
    return Series(
        name=name,
        axis=axis,
        x=np.array(xs, dtype=np.int64),
        y=np.array([by_x[x][0] for x in xs], dtype=np.float64),
        raw_name=raw_name or name,
        source_path=source_path,
        source_lines=np.array([by_x[x][1] for x in xs], dtype=np.int64),
    )
