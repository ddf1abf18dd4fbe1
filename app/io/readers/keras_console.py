"""Keras console output of ``fit``/``evaluate``: what users copy from a terminal or notebook.

The text is streamed in chunks (a 1 GB log is never held) and cut into lines at ``\\n``.
A verbose-1 progress bar redraws itself on one line with ``\\r`` (Keras 2/3) or ``\\b``
(Keras 1/2), so of each line only the part after the last ``\\r``/``\\b`` is what the
terminal finally showed; only that part is parsed (``str.rfind``, no Python loop over the
redraws). The earlier redraws are skipped, apart from the first one of an epoch when the
counter counts samples (Keras 1/2 with ``Train on N samples``): it gives the batch size.

Records. A *bar record* is ``count/target`` followed by a bar (``[====>...]``, ``━━━``) or
by `` - 3s -`` (verbose 2), then ``name: value`` pairs; a verbose-2 line of old Keras has no
counter (`` - 3s - loss: 0.2 - acc: 0.9``). Consecutive records of one progress bar form a
*bar* (the counter grows; the last record holds the epoch's values). A bar belongs to the
epoch announced by the last ``Epoch N/M`` line; a bar with no epoch of its own is an
``evaluate`` result when it has no ``val_*`` values, and an epoch whose header was lost
(translated pages print ``史诗1/6`` for ``Epoch 1/6``) when it has them.

Also read: ``Train on N samples, validate on M samples``, ``Epoch 0`` headers (Keras 0/1:
the run is shifted so its first epoch is 1), callback messages wherever they are glued
(early stopping, restoring best weights, ReduceLROnPlateau and LearningRateScheduler,
ModelCheckpoint, TerminateOnNaN), printed ``evaluate`` results (``[0.69, 0.50]``,
``{'loss': ...}``, ``Test loss: 0.69``) and a ``model.summary()`` table (see
:mod:`app.io.summary_table`). TensorFlow's own log lines, prose, Markdown and ANSI colour
codes around the log are skipped. A second ``fit`` (epochs starting again) starts a
second run.
"""

from __future__ import annotations

import codecs
import math
import re
from array import array
from dataclasses import dataclass, field

import numpy as np

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Cancelled, Progress, check_cancelled
from app.core.run import (
    CallbackEvent, Evaluation, FitSettings, Run, Series, Source, canonical_metric,
    series_from_points,
)
from app.io import summary_table
from app.io.sniff import Probe, TextSource
from app.io.table import run_name

ID = "keras_console"
KIND = "run"
INPUT = "text"
TITLE = "Keras console output (fit / evaluate)"

EXPECTED = "Keras console output with 'Epoch N/M' lines and 'loss: ...' values"
CHUNK_CHARS = 1 << 18  # characters (bytes for files) decoded and parsed at a time
MAX_CARRY = 1 << 20  # a line longer than this (redraws without '\n') is cut to its last redraw
MAX_KEPT_LINE = 2000  # longer lines are cut before being kept for a summary table
MAX_EVENTS = 100_000  # per run; more callback messages than this are counted, not kept
MAX_EVALUATIONS = 10_000
MAX_RUNS = 1_000  # fit() calls in one log
MAX_METRICS = 1_000  # metric names per run
MAX_STEP_RECORDS = 100_000  # step lines kept of an epoch that never finished
MIN_STEP_RECORDS = 3  # step lines that make an unfinished epoch a step curve
FLUSH_VALUES = 1 << 14  # values held in a plain list before they are moved into their columns

NUM = r"[-+]?(?:nan|inf(?:inity)?|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# "name: value" as Keras prints it; names start with a letter (so "00:00:17" is no pair).
_PAIR = re.compile(r"(?<![\w.])([^\W\d]\w*)\s?[:：]\s*(" + NUM + ")", re.I)
# The counter of a bar record, followed by a bar, by " - 3s" (verbose 2) or by the time.
_COUNT = re.compile(r"(\d+)/(\d+|Unknown)(?=\s*(?:\[|━|─|=|-\s|-\d|ETA|\d+s\b|$))")
# Verbose-2 lines of old Keras have no counter: " - 3s - loss: ..." or "0s - loss: ...".
_V2_START = re.compile(r"\s*(?:-\s*\d+s\b|\d+s\s+-\s)")
_HEADER = re.compile(r"\s*Epoch\s+(\d+)\s*/\s*(\d+)(?![\d:])|\s*Epoch\s+(\d+)\s*$")
_TRAIN_ON = re.compile(
    r"Train(?:ing)? on (\d+) samples?(?:,? validate on (\d+) samples?)?"
    r"|训练\s*(\d+)\s*个样本(?:\s*[,，]\s*验证\s*(\d+)\s*个样本)?"
)
_TF_LOG = re.compile(
    r"[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w./-]+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]*: [IWEF] "
    r"|\bWARNING:(?:absl|tensorflow):"
)
_EVAL_CALL = re.compile(r"\bevaluate(?:_generator)?\(\s*(?:x\s*=\s*)?([\w.\[\]'\"]+)")
_LIST = re.compile(r"\s*\[\s*((?:(?:np\.float\d*\()?" + NUM + r"\)?\s*,\s*)*(?:np\.float\d*\()?"
                   + NUM + r"\)?)\s*\]\s*$", re.I)
_DICT = re.compile(r"\s*\{\s*(['\"]\w+['\"]\s*:\s*(?:np\.float\d*\()?" + NUM
                   + r"\)?\s*(?:,\s*['\"]\w+['\"]\s*:\s*(?:np\.float\d*\()?" + NUM
                   + r"\)?\s*)*)\}\s*$", re.I)
_DICT_PAIR = re.compile(r"['\"](\w+)['\"]\s*:\s*(?:np\.float\d*\()?(" + NUM + ")", re.I)
_LABELED_BODY = (
    r"(test|validation|valid|val|train|training|eval|evaluation)(?:[ _]set)?[\s_]+"
    r"(loss|accuracy|acc|score|mae|mse|auc|precision|recall|top_k_categorical_accuracy)"
    r"\s*[:=：;]\s*(" + NUM + r")\s*(%?)\s*$")
_LABELED = re.compile(r"\s*" + _LABELED_BODY, re.I)
_NUMBER_IN = re.compile(NUM, re.I)
_LABELED_SCAN = re.compile(r"^[ \t]*" + _LABELED_BODY, re.I | re.M)

# Callback messages. Each pattern's first group is the epoch (or batch) number it names.
_CALLBACKS = (
    ("early_stopping", re.compile(r"Epoch (\d+): early stopping")),
    ("restore_best_weights",
     re.compile(r"Restoring model weights from the end of the best epoch(?:\s*[:：]?\s*(\d+))?")),
    ("lr_change", re.compile(
        r"Epoch (\d+): ReduceLROnPlateau reducing learning rate to (" + NUM + ")")),
    ("lr_change", re.compile(
        r"Epoch (\d+): LearningRateScheduler (?:setting|reducing) learning rate to (" + NUM + ")")),
    ("checkpoint", re.compile(
        r"Epoch (\d+): (\w+) improved from (" + NUM + r"|None) to (" + NUM
        + r"),? saving model to (\S+)")),
    ("checkpoint", re.compile(r"Epoch (\d+): ([\w]+) did not improve from (" + NUM + ")")),
    ("checkpoint", re.compile(r"Epoch (\d+): (?:finished )?saving model to (\S+)")),
    ("terminate_on_nan", re.compile(r"Batch (\d+): Invalid loss, terminating training")),
)
_CALLBACK_WORDS = ("Epoch", "Batch", "Restoring")
_CALLBACK_ANY = re.compile("|".join(f"(?:{p.pattern})" for _, p in _CALLBACKS))

# Metric names as machine translation renders them on copied web pages (seed 004).
_TRANSLATED = {"损失": "loss", "损耗": "loss", "丢失": "loss", "失利": "loss", "准确率": "accuracy",
               "准确度": "accuracy", "精度": "accuracy", "精确度": "accuracy", "손실": "loss",
               "정확도": "accuracy"}
_NOT_METRICS = {"eta"}

# identify(): cheap looks at the head.
_HEADER_SCAN = re.compile(r"^[\s\x1b\[\d;m]*Epoch\s+\d+(?:\s*/\s*\d+|\s*$)", re.M)
_LOSS_SCAN = re.compile(r"(?<![\w.])\w*loss\s?[:：]\s*[-+]?(?:\d|\.\d|nan|inf)", re.I)
_KERAS_PAIRS_SCAN = re.compile(r" - \w*loss: [-+]?(?:\d|\.\d|nan|inf)")
_BAR_SCAN = re.compile(r"\d+/\d+\s*(?:\[[=>.]|(?:\x1b\[[\d;]*m)*━|- \d+s)")


def identify(probe: Probe) -> float:
    """0.9 for ``Epoch N/M`` lines with ``loss:`` values, 0.5 for a bare bar with
    ``loss:``, 0.25 for ``loss: value`` alone, 0 for JSON, CSV and everything else."""
    text = probe.text
    if not text:
        return 0.0
    try:
        headers = _HEADER_SCAN.search(text) is not None
        if text.lstrip("\ufeff \t\r\n")[:1] in "{[" and not headers:
            return 0.0  # JSON (History dump, trainer_state.json)
        loss = _LOSS_SCAN.search(text) is not None
        if headers and loss and (_BAR_SCAN.search(text) or _KERAS_PAIRS_SCAN.search(text)):
            return 0.9
        if headers and loss:
            return 0.5  # headers and loss values, but not Keras' bar: a loop's own prints
        if loss and _BAR_SCAN.search(text):
            return 0.5
        if loss:
            return 0.25
        return 0.25 if _LABELED_SCAN.search(text) else 0.0  # evaluate() results printed by the script
    except Exception:  # identify must never raise
        return 0.0


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> list[Run]:
    """The runs (one per ``fit`` call) in a console log; raises :class:`InputError`."""
    parser = _ConsoleParser(source.label)
    try:
        parser.parse(source, progress)
    except (InputError, Cancelled):
        raise
    except OSError as error:
        raise InputError(source.label, EXPECTED, found=f"a file that cannot be read ({error})")
    except Exception as error:  # a bug here must still reach the user as one clear message
        raise InputError(source.label, EXPECTED, line=parser.lineno or None,
                         found=f"text this reader failed on ({type(error).__name__}: {error})")
    runs = parser.runs_out()
    if not runs:
        raise InputError(source.label, EXPECTED, found=_first_line(source))
    return runs


# --------------------------------------------------------------------------- parsing state


class _Column:
    """One metric's values, 8 bytes each. Epoch numbers and line numbers live once per run
    (:attr:`_RunState.epochs`); a metric present in every epoch since its first (the usual
    case) only records where it started, otherwise ``index`` lists its epochs' positions."""

    __slots__ = ("raw", "y", "start", "index")

    def __init__(self, raw: str, start: int) -> None:
        self.raw = raw
        self.y = array("d")
        self.start = start
        self.index: array | None = None


@dataclass(slots=True)
class _Bar:
    """The records of one progress bar seen so far."""

    epoch: int | None  # the epoch (run numbering) it belongs to, None if no header claims it
    target: int | None
    count: int | None
    first_count: int | None
    metrics: dict[str, float]  # raw name -> value
    text: str  # the last record as printed (evaluate results are matched by printed value)
    line: int
    has_val: bool
    complete: bool
    line_of_last: int  # line number of the last record (same line = redraw)
    steps: list | None = None  # (count, metrics, line) of records printed on lines of their own


@dataclass
class _RunState:
    """What one ``fit`` call produced, while it is being read."""

    columns: dict[str, _Column] = field(default_factory=dict)
    epochs: array = field(default_factory=lambda: array("q"))  # one entry per epoch with values
    epoch_lines: array = field(default_factory=lambda: array("q"))  # the line holding them
    by_raw: dict[str, _Column] = field(default_factory=dict)  # raw spelling -> its column
    fit: FitSettings = field(default_factory=FitSettings)
    events: list[CallbackEvent] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    model: object = None
    header_epoch: int | None = None  # the epoch the last header announced (run numbering)
    epoch_open: bool = False  # header seen, its values not taken yet
    last_epoch: int | None = None  # the last epoch with values
    shift: int = 0  # added to printed epoch numbers (1 when the log counts from 0)
    headers: int = 0
    implied: int = 0  # epochs counted from bars without a header
    samples_counter: bool = False  # the bar counts samples, not steps
    overshoot: str | None = None
    dropped_events: int = 0
    unnamed_lists: int = 0  # printed lists whose values could not be tied to names
    too_many_metrics: bool = False
    layout_keys: tuple | None = None  # the metric names of the last epoch, in printed order
    layout: list = field(default_factory=list)  # their columns
    pending: list = field(default_factory=list)  # values of layout epochs not yet in columns
    step_points: dict = field(default_factory=dict)  # raw name -> [(step, value, line)] of unfinished epochs

    @property
    def has_epochs(self) -> bool:
        return self.last_epoch is not None


class _ConsoleParser:
    def __init__(self, label: str) -> None:
        self.label = label
        self.runs: list[_RunState] = []
        self.run: _RunState | None = None
        self.bar: _Bar | None = None
        self.lineno = 0
        self.foreign_since_bar = False
        self.pending_label: tuple[str, int] | None = None
        self.last_eval: tuple[Evaluation, dict[str, str], int] | None = None
        self.table: list[str] | None = None
        self.table_first = 0
        self.table_chars = 0
        self.recent_lines: list[str] = []  # the few lines before a summary header
        self.pending_model = None
        self.names: dict[str, str] = {}  # raw metric name -> canonical name
        self.translated: set[str] = set()
        self.samples_seen = False  # a 'Train on N samples' line was read
        self.skipped_lines = 0  # non-blank lines read as nothing (prints, prose, code)

    # ------------------------------------------------------------------ streaming

    def parse(self, source: TextSource, progress: Progress) -> None:
        """Stream ``source``: chunks are split at ``\\n``; the unfinished last line is carried
        into the next chunk (cut to its last redraw when it grows past MAX_CARRY)."""
        carry = ""
        read = 0
        total = max(1, source.size)
        cr_only: bool | None = None
        for chunk, size in _chunks(source):
            check_cancelled(progress)
            read += size
            if cr_only is None:
                # Classic Mac line ends: no '\n' at all, '\r' between lines.
                cr_only = "\n" not in chunk and chunk.count("\r") > 1 and "Epoch" in chunk
            if cr_only:
                chunk = chunk.replace("\r", "\n")
            text = carry + chunk if carry else chunk
            cut = text.rfind("\n")
            if cut < 0:
                carry = self._trim_long_line(text)
                continue
            lines = text.split("\n")
            carry = lines.pop()
            if len(carry) > MAX_CARRY:
                carry = self._trim_long_line(carry)
            self._feed_lines(lines)
            del lines, text
            progress.report(min(1.0, read / total), "reading console log")
        if carry:
            self.feed_line(carry)
        self.finish()

    def _trim_long_line(self, partial: str) -> str:
        """Keep a line without '\\n' bounded: scan what is cut for callback messages and
        keep only its last redraw (which may still be growing)."""
        if len(partial) <= MAX_CARRY:
            return partial
        end = len(partial) - 1
        cut = max(partial.rfind("\r", 0, end), partial.rfind("\b", 0, end))
        if cut <= 0:
            cut = len(partial) - MAX_CARRY // 2  # no redraw at all: keep the tail
        dropped = partial[:cut]
        if any(word in dropped for word in _CALLBACK_WORDS):
            self._callbacks(ANSI.sub("", dropped), self.lineno + 1)
        if self.samples_seen and self.want_first_count:
            self._first_redraw(dropped, self.lineno + 1)
        return partial[cut:]

    # ------------------------------------------------------------------ one line

    def _feed_lines(self, lines: list[str]) -> None:
        """The per-line loop, kept tight: blank lines cost one ``rstrip``, a bar line two
        ``rfind`` calls before its last redraw is handed to :meth:`_segment`."""
        lineno = self.lineno
        segment = self._segment
        for line in lines:
            lineno += 1
            s = line.rstrip(" \t\r\b")
            if s:
                cut = s.rfind("\r")
                back = s.rfind("\b")
                if back > cut:
                    cut = back
                self.lineno = lineno
                segment(s, cut, lineno)
        self.lineno = lineno

    def feed_line(self, line: str) -> None:
        """One line (without its ``\\n``); the last, unterminated line of the text."""
        self.lineno += 1
        s = line.rstrip(" \t\r\b")
        if not s:
            return
        cut = s.rfind("\r")
        back = s.rfind("\b")
        if back > cut:
            cut = back
        self._segment(s, cut, self.lineno)

    def _segment(self, s: str, cut: int, lineno: int) -> None:
        """One non-blank line ``s`` whose last redraw starts after position ``cut``."""
        if cut >= 0:
            seg = s[cut + 1:]
            # The earlier redraws matter only for the batch size of a samples counter.
            # (Callback messages end with '\n': they are in the last redraw of a line.)
            if self.samples_seen and self.want_first_count:
                self._first_redraw(s[:cut], lineno)
        else:
            seg = s
        if "\x1b" in seg:
            seg = _plain(seg)
        if self.table is not None:
            self._table_line(seg, lineno)
        record_end = len(seg)
        if "Epoch" in seg or "Batch" in seg or "Restoring" in seg:
            header = _HEADER.match(seg)
            if header:
                self._header(header, lineno)
                rest = seg[header.end():]
                if ":" in rest:
                    self._values(rest, lineno)
                return
            first = self._callbacks(seg, lineno)
            if first is not None:
                record_end = first
                if not seg[:first].strip():
                    return
        part = seg[:record_end] if record_end < len(seg) else seg
        if ":" in part or "：" in part or ";" in part:  # "test loss; 0.82" (a typo people print)
            if self._values(part, lineno):
                return
        self._other(part, lineno)

    def _values(self, part: str, lineno: int) -> bool:
        """A bar record, a labeled result or a printed dict; False if it is none of them."""
        if "]" in part or "WARNING" in part:
            tf_log = _TF_LOG.search(part)
            if tf_log:
                part = part[:tf_log.start()]
                if ":" not in part:
                    return False
        count = _COUNT.search(part)
        if count is None:
            labeled = _LABELED.match(part)
            if labeled:
                self._labeled(labeled, lineno)
                return True
            if part.lstrip()[:1] == "{":
                return self._printed_dict(part, lineno)
        start = count.end() if count else 0
        metrics = _keras_pairs(part, start)
        if metrics is None:
            metrics = _any_pairs(part, start)
            if not metrics:
                return False
        has_val = " val_" in part or "-val_" in part or part.startswith("val_")
        if count is None:
            # No counter: a verbose-2 line of old Keras, or a stray "name: value" in prose.
            v2 = _V2_START.match(part) is not None
            in_epoch = self.run is not None and self.run.epoch_open
            if not (v2 or (in_epoch and any("loss" in name.lower() for name in metrics))):
                return False
            self._record(None, None, metrics, has_val, lineno, part)
            return True
        target_text = count.group(2)
        target = None if target_text == "Unknown" else int(target_text)
        self._record(int(count.group(1)), target, metrics, has_val, lineno, part)
        return True

    def _other(self, seg: str, lineno: int) -> None:
        """Lines that are not records: results printed as lists, fit settings, summary
        tables, code mentioning evaluate(), prose."""
        stripped = seg.strip()
        if not stripped:
            return
        self.foreign_since_bar = True
        if stripped[:1] == "[" and stripped[-1:] == "]":
            match = _LIST.match(stripped)
            if match:
                self._printed_list(match.group(1), lineno)
                return
        if "samples" in seg or "个样本" in seg:
            match = _TRAIN_ON.search(seg)
            if match:
                self._train_on(match, lineno)
                return
        if "evaluate" in seg:
            match = _EVAL_CALL.search(seg)
            if match:
                self.pending_label = (_label_of(match.group(1)), lineno)
        if self.table is None and summary_table.is_header(seg):
            self.table = self.recent_lines[-4:] + [seg[:MAX_KEPT_LINE]]
            self.table_chars = 0
            self.table_first = lineno - len(self.table) + 1
            return
        if self.table is None:
            self.skipped_lines += 1
            self.recent_lines.append(seg[:MAX_KEPT_LINE])
            if len(self.recent_lines) > 8:
                del self.recent_lines[:4]

    # ------------------------------------------------------------------ runs and epochs

    def _new_run(self) -> _RunState:
        """Start the next ``fit`` call's run (or start the current one afresh when nothing
        was read into it yet; past :data:`MAX_RUNS` the last run takes everything)."""
        self._close_bar()
        current = self.run
        if current is not None and not (current.columns or current.evaluations or current.events):
            fresh = _RunState(model=current.model)
            if fresh.model is None and self.pending_model is not None:
                fresh.model, self.pending_model = self.pending_model, None
            fresh.fit.train_samples, fresh.fit.val_samples = (current.fit.train_samples,
                                                              current.fit.val_samples)
            fresh.fit.sources.update(current.fit.sources)
            self.runs[-1] = self.run = fresh
            return fresh
        if current is not None and len(self.runs) >= MAX_RUNS:
            if not any("more fit() calls" in w for w in current.warnings):
                current.warnings.append(f"more fit() calls than {MAX_RUNS}: the later ones are "
                                        "read into this run")
            current.header_epoch = None
            current.headers = 0
            return current
        run = _RunState()
        if self.pending_model is not None:
            run.model, self.pending_model = self.pending_model, None
        self.runs.append(run)
        self.run = run
        self.last_eval = None
        return run

    def _current_run(self) -> _RunState:
        return self.run if self.run is not None else self._new_run()

    def _header(self, match: re.Match, lineno: int) -> None:
        """``Epoch N/M``: closes the previous epoch's bar; an epoch number that does not
        grow (or a different ``/M``) means a new ``fit`` call, hence a new run."""
        if self.table is not None:
            self._finish_table()
        printed = int(match.group(1) if match.group(1) is not None else match.group(3))
        planned = int(match.group(2)) if match.group(2) is not None else None
        run = self._current_run()
        self._close_bar()
        epoch = printed + run.shift
        restart = run.headers and (
            (run.header_epoch is not None and epoch <= run.header_epoch)
            or (planned is not None and run.fit.epochs_planned is not None
                and planned != run.fit.epochs_planned)
        )
        if restart or (not run.headers and run.last_epoch is not None and epoch <= run.last_epoch):
            run = self._new_run()
            epoch = printed
        if not run.headers and run.implied and run.last_epoch is not None and epoch - 1 > run.last_epoch:
            # Epochs read before the first header (a log copied from the middle of a run):
            # they are the epochs just before it.
            moved = epoch - 1 - run.last_epoch
            for index in range(len(run.epochs)):
                run.epochs[index] += moved
            run.last_epoch += moved
            run.warnings.append(f"the first {run.implied} epoch(s) had no 'Epoch N/M' line; numbered "
                                f"as the epochs before epoch {printed}")
        elif not run.headers:
            if printed == 0:
                run.shift = 1
                epoch = 1
                run.warnings.append("the log numbers epochs from 0 ('Epoch 0'); shifted by one "
                                    "so the first epoch is 1")
            elif printed > 1 and run.last_epoch is None:
                run.fit.set("initial_epoch", printed - 1, Source(self.label, lineno))
        run.headers += 1
        run.header_epoch = epoch
        run.epoch_open = True
        if run.fit.epochs_planned is None and planned is not None:
            run.fit.set("epochs_planned", planned, Source(self.label, lineno))
        self.pending_label = None

    def _train_on(self, match: re.Match, lineno: int) -> None:
        """``Train on N samples, validate on M samples``: after epochs, a new ``fit`` call."""
        train = match.group(1) or match.group(3)
        val = match.group(2) or match.group(4)
        run = self._current_run()
        if run.has_epochs:
            run = self._new_run()
        source = Source(self.label, lineno)
        run.fit.set("train_samples", int(train), source)
        self.samples_seen = True
        if val:
            run.fit.set("val_samples", int(val), source)

    def _record(self, count: int | None, target: int | None, metrics: dict[str, float],
                has_val: bool, lineno: int, text: str) -> None:
        """One bar record: continue the open bar or start a new one."""
        bar = self.bar
        if bar is not None and not self._continues(bar, count, target, has_val, lineno):
            self._close_bar()
            bar = None
        if bar is None:
            run = self._current_run()
            epoch = run.header_epoch if run.epoch_open else None
            bar = _Bar(epoch=epoch, target=target, count=count, first_count=count, metrics=metrics,
                       text=text, line=lineno, has_val=has_val, complete=False,
                       line_of_last=lineno, steps=[(count, metrics, lineno)] if count is not None else None)
            self.bar = bar
        else:
            if bar.steps is not None and lineno != bar.line_of_last and count is not None \
                    and len(bar.steps) < MAX_STEP_RECORDS:
                bar.steps.append((count, metrics, lineno))
            bar.count = count
            bar.metrics = metrics
            bar.text = text
            bar.line = lineno
            bar.has_val = has_val
            bar.line_of_last = lineno
            if target is not None:
                bar.target = target
        bar.complete = count is None or has_val or (target is not None and count >= target)
        if count is not None and target is not None and count > target and self.run is not None:
            self.run.overshoot = self.run.overshoot or f"{count}/{target}"
        self.foreign_since_bar = False

    def _continues(self, bar: _Bar, count: int | None, target: int | None, has_val: bool,
                   lineno: int) -> bool:
        """Whether a record redraws the open bar (rather than starting another one, such as
        the bar of an ``evaluate`` printed right after the last epoch)."""
        if count is None or bar.count is None or count < bar.count:
            return False
        if target != bar.target and bar.target is not None:
            return False  # ("5/Unknown" then "19/19": the last redraw learned the target)
        if not bar.complete:
            return True
        if has_val and not bar.has_val:
            return True  # the final redraw adds the validation values
        return lineno == bar.line_of_last and not self.foreign_since_bar

    def _first_redraw(self, text: str, lineno: int) -> None:
        """The first redraw of a line: with a samples counter its count is the batch size."""
        body = text.lstrip("\r\b")
        end = min((i for i in (body.find("\r"), body.find("\b")) if i >= 0), default=len(body))
        first = ANSI.sub("", body[:end])
        count = _COUNT.search(first)
        if count and count.group(2) != "Unknown":
            metrics = _any_pairs(first, count.end())
            if metrics:
                has_val = any(name.startswith("val_") for name in metrics)
                self._record(int(count.group(1)), int(count.group(2)), metrics, has_val, lineno,
                             first)

    @property
    def want_first_count(self) -> bool:
        """Whether the first redraw of a line is needed: a samples counter may be running
        (``Train on N samples`` seen) and the batch size is not known yet."""
        run = self.run
        return (run is not None and run.fit.train_samples is not None
                and run.fit.batch_size is None and run.fit.steps_per_epoch is None
                and (self.bar is None or self.bar.complete))

    def _close_bar(self) -> None:
        bar, self.bar = self.bar, None
        if bar is None or self.run is None:
            return
        run = self.run
        unfinished = not bar.complete and bar.steps is not None and len(bar.steps) >= MIN_STEP_RECORDS
        if unfinished:
            self._keep_steps(run, bar)
            if bar.epoch is None:
                return  # the step lines of an epoch that never finished: not an evaluate() result
        if bar.epoch is not None and run.epoch_open and bar.epoch == run.header_epoch:
            run.epoch_open = False
            self._commit(run, bar.epoch, bar)
        elif bar.has_val:
            # Epoch values with no 'Epoch' line of their own (header lost or translated).
            epoch = (run.last_epoch or 0) + 1
            if not run.implied:
                run.warnings.append(
                    f"line {bar.line}: progress bars with validation values but no 'Epoch N/M' "
                    "line before them are counted as the next epochs")
            run.implied += 1
            run.epoch_open = False
            self._commit(run, epoch, bar)
        else:
            self._evaluation_from_bar(run, bar)

    def _commit(self, run: _RunState, epoch: int, bar: _Bar) -> None:
        position = len(run.epochs)
        run.epochs.append(epoch)
        run.epoch_lines.append(bar.line)
        run.last_epoch = epoch
        metrics = bar.metrics
        keys = tuple(metrics)
        if keys == run.layout_keys:
            # Same metrics as the epoch before (the usual case): one C-level call; the
            # values are spread over their columns in blocks (see _flush).
            pending = run.pending
            pending.extend(metrics.values())
            if len(pending) >= FLUSH_VALUES:
                _flush(run)
        else:
            _flush(run)
            self._commit_columns(run, position, metrics, keys)
        if bar.target is not None and not run.fit.steps_per_epoch and not run.samples_counter:
            self._steps_from_bar(run, bar)

    def _commit_columns(self, run: _RunState, position: int, metrics: dict[str, float],
                        keys: tuple[str, ...]) -> None:
        """Append one epoch's values metric by metric (new names, or some missing)."""
        by_raw = run.by_raw
        layout = []
        for raw, value in metrics.items():
            column = by_raw.get(raw)
            if column is None:
                column = self._column(run, raw, position)
            values = column.y
            if column.index is not None:
                column.index.append(position)
            elif column.start + len(values) != position:  # the metric skipped an epoch
                column.index = array("q", range(column.start, column.start + len(values)))
                column.index.append(position)
            values.append(value)
            layout.append(column)
        contiguous = all(column.index is None for column in layout) and not run.too_many_metrics
        run.layout_keys, run.layout = (keys, layout) if contiguous else (None, [])

    def _steps_from_bar(self, run: _RunState, bar: _Bar) -> None:
        """Steps per epoch from the bar's target, or the batch size when it counts samples."""
        source = Source(self.label, bar.line)
        if run.fit.train_samples and bar.target == run.fit.train_samples:
            run.samples_counter = True
            first = bar.first_count
            if first is not None and 0 < first < bar.target:
                run.fit.set("batch_size", first, source)
                run.fit.set("steps_per_epoch", math.ceil(bar.target / first), source)
                run.warnings.append(
                    f"the progress bar counts samples ({bar.target}); batch size {first} "
                    "from its first step")
        else:
            run.fit.set("steps_per_epoch", bar.target, source)

    def _column(self, run: _RunState, raw: str, position: int) -> _Column:
        name = self._canonical(raw)
        column = run.columns.get(name)
        if column is None:
            if len(run.columns) >= MAX_METRICS:
                if not run.too_many_metrics:
                    run.warnings.append(f"more than {MAX_METRICS} metric names; the others "
                                        "are not kept")
                run.too_many_metrics = True
                return _Column(raw, position)  # filled and dropped
            column = run.columns[name] = _Column(raw, position)
        if len(run.by_raw) < 4 * MAX_METRICS:
            run.by_raw[raw] = column
        return column

    def _canonical(self, raw: str) -> str:
        name = self.names.get(raw)
        if name is None:
            base, prefix = (raw[4:], "val_") if raw.startswith("val_") else (raw, "")
            if base in _TRANSLATED:
                self.translated.add(raw)
                base = _TRANSLATED[base]
            name = canonical_metric(prefix + base)
            if len(self.names) < 10_000:
                self.names[raw] = name
        return name

    # ------------------------------------------------------------------ evaluate results

    def _take_label(self, lineno: int) -> str:
        if self.pending_label and lineno - self.pending_label[1] <= 30:
            label = self.pending_label[0]
            self.pending_label = None
            return label
        return ""

    def _add_evaluation(self, run: _RunState, evaluation: Evaluation) -> None:
        if len(run.evaluations) < MAX_EVALUATIONS:
            run.evaluations.append(evaluation)

    def _keep_steps(self, run: _RunState, bar: _Bar) -> None:
        """The records of an epoch that never finished (a crash, TerminateOnNaN, a log cut
        mid-epoch): a per-step curve, numbered from the epochs before it."""
        steps_before = 0
        if bar.epoch is not None and bar.target:
            steps_before = (bar.epoch - 1) * bar.target
        counter = 1
        first = bar.first_count or 0
        if run.fit.train_samples and bar.target == run.fit.train_samples and first > 1:
            counter = first  # a samples counter: its first count is the batch size
        points = run.step_points
        for count, metrics, line in bar.steps or ():
            step = steps_before + max(1, count // counter)
            for raw, value in metrics.items():
                points.setdefault(raw, []).append((step, value, line))
        if not any("never finished" in w for w in run.warnings):
            run.warnings.append(f"line {bar.line}: the step lines of an epoch that never finished "
                                f"({bar.count}/{bar.target or '?'}) are read as a per-step curve")

    def _evaluation_from_bar(self, run: _RunState, bar: _Bar) -> None:
        metrics = {self._canonical(raw): value for raw, value in bar.metrics.items()}
        evaluation = Evaluation(metrics=metrics, source=Source(self.label, bar.line),
                                label=self._take_label(bar.line), after_epoch=run.last_epoch)
        self._add_evaluation(run, evaluation)
        printed = {raw: text for raw, text in _PAIR.findall(bar.text) if raw in bar.metrics}
        self.last_eval = (evaluation, printed, bar.line)

    def _recent_eval(self, lineno: int) -> tuple[Evaluation, dict[str, str], int] | None:
        if self.last_eval is not None and lineno - self.last_eval[2] <= 5:
            return self.last_eval
        return None

    def _printed_list(self, body: str, lineno: int) -> None:
        """``[2.616441249847412, 0.5]``: what ``evaluate`` returned, printed."""
        self._close_bar()
        values = [float(v) for v in _NUMBER_IN.findall(re.sub(r"np\.float\d*", "", body))]
        if not values or len(values) > 64:
            return
        run = self._current_run()
        recent = self._recent_eval(lineno)
        if recent is not None:
            evaluation, printed, _line = recent
            names = _match_printed(values, printed)
            if names is not None:
                for raw, value in zip(names, values):
                    evaluation.metrics[self._canonical(raw)] = value
                self.last_eval = None
                return
        if recent is None and not (run.has_epochs or self.pending_label):
            return  # a list of numbers in prose, not an evaluate() result
        trained = self._training_names(run)
        if len(trained) == len(values) and len(values) > 1:
            # evaluate() returns [loss, *metrics] in compile order, the order fit printed them
            metrics = dict(zip(trained, values))
            self._add_evaluation(run, Evaluation(metrics=metrics, source=Source(self.label, lineno),
                                                 label=self._take_label(lineno), after_epoch=run.last_epoch))
            run.warnings.append(f"line {lineno}: a printed list of {len(values)} values named "
                                f"{', '.join(trained)} (evaluate() returns the loss, then the metrics "
                                "in the order fit printed them)")
            return
        metrics = {f"value_{i}": value for i, value in enumerate(values)}
        evaluation = Evaluation(metrics=metrics, source=Source(self.label, lineno),
                                label=self._take_label(lineno), after_epoch=run.last_epoch)
        self._add_evaluation(run, evaluation)
        if not run.unnamed_lists:
            run.warnings.append(f"line {lineno}: a printed list of {len(values)} value(s) "
                                "could not be matched to metric names; kept as value_0, "
                                "value_1, ...")
        run.unnamed_lists += 1

    def _training_names(self, run: "_RunState") -> list[str]:
        """The training metrics of the last epoch line, loss first (evaluate's order)."""
        names = [str(key) for key in (run.layout_keys or ()) if not str(key).startswith("val_")]
        canonical = [self._canonical(n) for n in names]
        return sorted(canonical, key=lambda n: n != "loss") if "loss" in canonical else []

    def _printed_dict(self, part: str, lineno: int) -> bool:
        match = _DICT.match(part)
        if not match:
            return False
        self._close_bar()
        pairs = {name: float(value) for name, value in _DICT_PAIR.findall(match.group(1))}
        run = self._current_run()
        recent = self._recent_eval(lineno)
        if recent is not None and all(
                name in recent[1] and _printed_equal(recent[1][name], value)
                for name, value in pairs.items()):
            for name, value in pairs.items():
                recent[0].metrics[self._canonical(name)] = value
            self.last_eval = None
            return True
        metrics = {self._canonical(name): value for name, value in pairs.items()}
        self._add_evaluation(run, Evaluation(metrics=metrics, source=Source(self.label, lineno),
                                             label=self._take_label(lineno),
                                             after_epoch=run.last_epoch))
        return True

    def _labeled(self, match: re.Match, lineno: int) -> None:
        """``Test loss: 0.69`` / ``Test accuracy: 0.5`` (consecutive lines make one result)."""
        self._close_bar()
        run = self._current_run()
        label = _label_of(match.group(1))
        metric = match.group(2).lower()
        note = None
        if metric == "score":
            metric = "loss"
            if not any("'score'" in warning for warning in run.warnings):
                note = f"line {lineno}: 'score' read as the loss (as Keras examples print it)"
        name = self._canonical(metric)
        value = _float(match.group(3))
        if match.group(4):
            value /= 100.0  # "Test accuracy: 97.86%"
        recent = self._recent_eval(lineno)
        if recent is not None:
            evaluation = recent[0]
            same = name not in evaluation.metrics or math.isclose(
                evaluation.metrics[name], value, rel_tol=1e-3, abs_tol=1e-4)
            if same and (not evaluation.label or evaluation.label == label):
                evaluation.metrics[name] = value
                evaluation.label = evaluation.label or label
                self.last_eval = (evaluation, recent[1], lineno)
                if note:
                    run.warnings.append(note)
                return
        evaluation = Evaluation(metrics={name: value}, source=Source(self.label, lineno),
                                label=label, after_epoch=run.last_epoch)
        self._add_evaluation(run, evaluation)
        self.last_eval = (evaluation, {}, lineno)
        if note:
            run.warnings.append(note)

    # ------------------------------------------------------------------ callbacks

    def _callbacks(self, text: str, lineno: int) -> int | None:
        """Record every callback message in ``text``; the start of the first, or None."""
        first = None
        for match in _CALLBACK_ANY.finditer(text):
            first = match.start() if first is None else first
            self._event(match.group(0), lineno)
        return first

    def _event(self, text: str, lineno: int) -> None:
        for kind, pattern in _CALLBACKS:
            match = pattern.match(text)
            if match:
                break
        else:
            return
        run = self._current_run()
        if len(run.events) >= MAX_EVENTS:
            run.dropped_events += 1
            return
        epoch = run.header_epoch if run.header_epoch is not None else run.last_epoch
        params: dict = {}
        groups = match.groups()
        if kind == "terminate_on_nan":
            params["batch"] = int(groups[0])
        elif kind == "restore_best_weights":
            if groups[0] is not None:
                params["best_epoch"] = int(groups[0]) + run.shift
        else:
            params["printed_epoch"] = int(groups[0])
            if epoch is None:
                epoch = int(groups[0]) + run.shift
        if kind == "lr_change":
            params["learning_rate"] = float(groups[1])
        elif kind == "checkpoint":
            if len(groups) == 5:
                params.update(monitor=groups[1], improved=True, previous=_float(groups[2]),
                              value=_float(groups[3]), path=groups[4].rstrip(".,"))
            elif len(groups) == 3:
                params.update(monitor=groups[1], improved=False, best=_float(groups[2]))
            else:
                path = groups[1].rstrip(".,")
                if any(e.kind == "checkpoint" and e.epoch == epoch and e.params.get("path") == path
                       for e in run.events[-3:]):
                    return  # "saving model to x" followed by "finished saving model to x"
                params["path"] = path
        run.events.append(CallbackEvent(kind=kind, text=text.strip(),
                                        source=Source(self.label, lineno), epoch=epoch,
                                        params=params))

    # ------------------------------------------------------------------ summary tables

    def _table_line(self, seg: str, lineno: int) -> None:
        table = self.table
        assert table is not None
        if _HEADER.match(seg):
            self._finish_table()
            return
        table.append(seg[:MAX_KEPT_LINE])
        self.table_chars += min(len(seg), MAX_KEPT_LINE)
        if ("Non-trainable params" in seg or "不可训练" in seg
                or len(table) >= summary_table.MAX_TABLE_LINES or self.table_chars > 4_000_000):
            self._finish_table()

    def _finish_table(self) -> None:
        if self.table is None:
            return
        lines, self.table = self.table, None
        model = summary_table.parse_summary(lines, source_path=self.label,
                                            first_line=self.table_first)
        self.recent_lines = []
        if model is None:
            return
        run = self.run
        if run is not None and run.model is None and not run.has_epochs:
            run.model = model
        elif self.pending_model is None:
            self.pending_model = model

    # ------------------------------------------------------------------ the end

    def finish(self) -> None:
        self._finish_table()
        self._close_bar()
        if self.pending_model is not None:
            for run in reversed(self.runs):
                if run.model is None:
                    run.model = self.pending_model
                    break

    def runs_out(self) -> list[Run]:
        kept = [run for run in self.runs if run.columns or run.evaluations or run.step_points]
        base = run_name(self.label)
        out = []
        for index, state in enumerate(kept, 1):
            name = base if len(kept) == 1 else f"{base} #{index}"
            out.append(self._build(state, name))
        return out

    def _build(self, state: _RunState, name: str) -> Run:
        run = Run(name=name, format=ID, paths=[self.label])
        _flush(state)
        if state.columns:
            epochs = np.frombuffer(state.epochs, dtype=np.int64)
            lines = np.frombuffer(state.epoch_lines, dtype=np.int64)
            increasing = bool(np.all(np.diff(epochs) > 0))
            for canonical, column in state.columns.items():
                y = np.frombuffer(column.y, dtype=np.float64)
                if column.index is None:  # views: series with the same epochs share x and lines
                    where = slice(column.start, column.start + len(y))
                else:
                    where = np.frombuffer(column.index, dtype=np.int64)
                if increasing:
                    series = Series(name=canonical, axis="epoch", x=epochs[where], y=y,
                                    raw_name=column.raw, source_path=self.label,
                                    source_lines=lines[where])
                else:  # an epoch given twice (a bar without header, then the header): last wins
                    series = series_from_points(
                        canonical, "epoch", zip(epochs[where].tolist(), y.tolist(),
                                                lines[where].tolist()),
                        raw_name=column.raw, source_path=self.label)
                run.add_series(series)
        for raw, points in state.step_points.items():
            canonical = self._canonical(raw)
            run.add_series(series_from_points(canonical, "step", points, raw_name=raw,
                                              source_path=self.label))
        run.evaluations = state.evaluations
        run.events = state.events
        state.fit.derive()
        run.fit = state.fit
        run.model = state.model
        run.skipped_lines = self.skipped_lines
        run.warnings = list(state.warnings)
        if state.overshoot:
            run.warnings.append(f"the step counter ran past its target ({state.overshoot}); "
                                "the target is taken as the steps per epoch")
        translated = sorted(self.translated)
        if translated:
            pairs = ", ".join(f"{raw} -> {self._canonical(raw)}" for raw in translated)
            run.warnings.append(f"metric names in a translated log read as Keras names: {pairs}")
        if state.dropped_events:
            run.warnings.append(f"{state.dropped_events} more callback messages not kept")
        if not state.columns and not state.step_points:
            run.warnings.append("no epoch values in this log, only evaluate() results")
        return run


# --------------------------------------------------------------------------- helpers


def _chunks(source: TextSource):
    """``(text, size)`` pieces of the source. Files are decoded here in 1 MiB byte blocks
    with one incremental decoder call each (several times faster than ``TextIOWrapper.read``,
    which decodes 8 KiB at a time); pasted text comes from :meth:`TextSource.chunks`."""
    if source.path is None:
        for chunk in source.chunks(CHUNK_CHARS):
            yield chunk, len(chunk)
        return
    decoder = codecs.getincrementaldecoder(source.encoding)(errors="replace")
    first = True
    with open(source.path, "rb") as handle:
        while True:
            block = handle.read(CHUNK_CHARS)
            final = not block
            text = decoder.decode(block, final=final)
            if first and text:
                first = False
                if text[0] == "\ufeff":
                    text = text[1:]  # a BOM the codec keeps (utf-16-le/-be named without BOM)
            if text:
                yield text, len(block)
            if final:
                return


def _keras_pairs(part: str, start: int) -> dict[str, float] | None:
    """``name: value`` pairs in Keras' own spelling (`` - loss: 0.6931 - acc: 0.5000``), read
    with ``str.split``; ``None`` when anything else is there (then :func:`_any_pairs`)."""
    metrics = {}
    for item in part[start:].split(" - "):
        name, sep, value = item.partition(": ")
        if not sep:
            continue  # the bar, "1s 15ms/step", "34ms/epoch"
        if not name.isidentifier() or name == "ETA":
            return None
        try:
            metrics[name] = float(value)
        except ValueError:
            return None  # glued text ("1.6080Epoch 00001: ..."), a TF log line ...
    return metrics or None


def _any_pairs(part: str, start: int) -> dict[str, float]:
    """``name: value`` pairs however they are spaced or glued (``-损失:1.5150-acc:0.7662``)."""
    return {name: float(value) for name, value in _PAIR.findall(part, start)
            if name.lower() not in _NOT_METRICS}


def _flush(run: _RunState) -> None:
    """Move the pending values (epochs in the run's current layout, in printed order) into
    their columns: one numpy reshape, one ``frombytes`` per column."""
    pending = run.pending
    if not pending:
        return
    width = len(run.layout)
    block = np.array(pending, dtype=np.float64).reshape(-1, width)
    for j, column in enumerate(run.layout):
        column.y.frombytes(np.ascontiguousarray(block[:, j]).tobytes())
    pending.clear()


def _first_line(source: TextSource) -> str:
    """The first non-blank line of the source (as the terminal showed it), quoted."""
    try:
        head = source.head(8192)
    except OSError:
        return "text that cannot be read"
    for line in head.lstrip("\ufeff").split("\n"):
        shown = line.rstrip(" \t\r\b")
        cut = max(shown.rfind("\r"), shown.rfind("\b"))
        shown = _plain(shown[cut + 1:]).strip()
        if shown:
            return repr(shown[:80])
    return "no text (only blank lines)"


def _plain(text: str) -> str:
    """``text`` without ANSI colour codes (Keras 3's four codes are removed by ``replace``,
    which is several times faster than the regular expression)."""
    text = text.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[32m", "")
    text = text.replace("\x1b[37m", "")
    return ANSI.sub("", text) if "\x1b" in text else text


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _label_of(text: str) -> str:
    lower = text.lower()
    if "test" in lower:
        return "test"
    if "val" in lower:
        return "validation"
    if "train" in lower:
        return "train"
    return ""


def _printed_equal(printed: str, value: float) -> bool:
    """Whether ``value`` prints as ``printed`` at the precision shown (``0.5000``, ``1.2e-05``)."""
    try:
        shown = float(printed)
    except ValueError:
        return False
    if math.isnan(shown) or math.isnan(value):
        return math.isnan(shown) and math.isnan(value)
    if math.isinf(shown) or math.isinf(value):
        return shown == value
    mantissa, _, exponent = printed.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    scale = 10.0 ** int(exponent) if exponent.lstrip("+-").isdigit() else 1.0
    return abs(shown - value) <= 0.5 * 10.0 ** -decimals * scale * 1.001 + 1e-12


def _match_printed(values: list[float], printed: dict[str, str]) -> list[str] | None:
    """Names for a printed ``evaluate`` list, by the values the bar just showed.

    Keras returns ``[loss, *metrics]``; its bar may show them in another order (Keras 3
    sorts them). First the loss-first order is tried, then a value-by-value match that must
    be unambiguous. ``None`` when the list cannot be tied to names.
    """
    names = list(printed)
    if len(values) != len(names):
        return None
    ordered = [n for n in names if n == "loss"] + [n for n in names if n != "loss"]
    if all(_printed_equal(printed[n], v) for n, v in zip(ordered, values)):
        return ordered
    chosen: list[str] = []
    for value in values:
        fits = [n for n in names if n not in chosen and _printed_equal(printed[n], value)]
        if len(fits) != 1:
            return None
        chosen.append(fits[0])
    return chosen
