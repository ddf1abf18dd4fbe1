"""Training prints of hand-written loops, in one grammar: an iteration key and metric values.

What people print when they do not call ``fit``, or use another framework::

    Epoch 1, Step 10, Loss: 62.92216, Reg loss: 16.30484, Accuracy: 0.00000   (tf.keras loop)
    Epoch: 1, Loss: 2.30605627276727, Accuracy: 0.8906                          (CNTK-era print)
    traing iter: 54, test accuracy : 0.1805, loss : 1.5668                      (TF1 session loop)
    Iter 1280, Minibatch Loss= 1.6, Training Accuracy= 0.47                     (TF1 example)
    Epoch [1/10], Step [100/600], Loss: 0.2212                                  (PyTorch)
    [1,  2000] loss: 2.190                                                      (PyTorch tutorial)
    Train Epoch: 1 [640/60000 (1%)]	Loss: 2.30                                 (PyTorch example)
    Test set: Average loss: 0.1, Accuracy: 9800/10000 (98%)
    Epoch[0] Batch [100]	Speed: 2000 samples/sec	accuracy=0.5                (MXNet)
    Epoch 3: 100%|████| 469/469 [00:10<00:00, loss=0.123, v_num=0, val_loss=0.2] (Lightning/tqdm)
    {'loss': 0.51, 'learning_rate': 4e-05, 'epoch': 1.0}                         (Hugging Face)
    I0412 10:00:00.1 123 solver.cpp:228] Iteration 100, loss = 0.25              (Caffe)
    I0412 10:00:00.1 123 solver.cpp:404]     Test net output #0: accuracy = 0.97
    epoch  train_loss  valid_loss  accuracy  time                                (fastai table)

**The grammar.** A *key* is one of ``epoch``, ``step``, ``iter``/``iteration``, ``batch``,
``global_step``, ``round`` followed by a number (``:``/``=``/``#``/``[`` may stand between,
``/M`` or ``of M`` may follow), or a leading ``[E, B]``. A *pair* is a name, a separator
(``:``, ``=`` or whitespace) and a number (``nan``/``inf`` included, ``%`` divides by 100,
``9800/10000`` is a fraction). Names with a whitespace separator must be metric words (loss,
accuracy, error, auc ...), so prose is not read as metrics. A line holding only a key opens
it (``Epoch 1/10`` on its own line); the key-less pair lines below it belong to it, as do
Caffe's ``Test net output`` lines to the last iteration. Key-less ``Test ...`` lines after
the loop are evaluation results.

**Axes.** Records keyed by an epoch alone are per-epoch (``Epoch 0`` first: shifted so the
first epoch is 1); records with a step, iteration or batch key are per-step, numbered
globally (a step counter that restarts with each epoch is offset by the steps before).

**Names** are normalized as for Keras (``Loss``→``loss``, ``Training Accuracy``→``accuracy``,
``valid_loss``/``val loss``→``val_loss``); ``test_*`` stay apart from ``val_*``, but when a run
has a test curve and no validation curve, the test curve is the held-out curve
(``val_*``, with a warning). Accuracy printed in percent (all values in 1..100) is divided
by 100, with a warning.

**Speed.** Loops print one line shape over and over: the first line of a shape is parsed by
the grammar and becomes a *template* (its text with the numbers cut out); the lines of a
chunk are then matched against the template by one regular expression over the whole chunk,
and only lines that do not fit are parsed one by one.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field

import numpy as np

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Cancelled, Progress, check_cancelled
from app.core.run import Evaluation, Run, Series, Source
from app.io.print_grammar import (
    MAX_LINE, NUM, TABLE_HEADER, TIME, Line, canonical, clean, metricish, parse_line, to_float,
)
from app.io.sniff import Probe, TextSource
from app.io.table import run_name

ID = "metric_prints"
KIND = "run"
INPUT = "text"
TITLE = "Training prints (epoch / step / iteration with metric values)"
EXPECTED = "training prints with an epoch, step or iteration number and metric values"

CHUNK_CHARS = 1 << 20
MAX_RUNS = 100
MAX_METRICS = 200


@dataclass
class _RunState:
    epochs: dict[str, tuple[array, array, array]] = field(default_factory=dict)  # name -> x, y, line
    steps: dict[str, tuple[array, array, array]] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    evaluations: list[Evaluation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    first_epoch: int | None = None
    last_epoch: int | None = None
    last_step: int | None = None
    step_offset: int = 0
    step_gap: int = 1  # the last difference between two printed steps
    epoch_marker: bool = False  # a key-only epoch line ("Start of epoch 1") since the last step
    epoch_context: bool = False  # the prints have key-only epoch lines at all
    implied: int = 0  # epochs numbered by order: record lines that carry no key at all
    epochs_planned: int | None = None
    records: int = 0
    too_many: bool = False

    def add_many(self, axis: str, name: str, raw: str, x: np.ndarray, y: np.ndarray,
                 lines: np.ndarray) -> None:
        table = self.epochs if axis == "epoch" else self.steps
        column = table.get(name)
        if column is None:
            if len(table) >= MAX_METRICS:
                self.too_many = True
                return
            column = table[name] = (array("q"), array("d"), array("q"))
            self.raw.setdefault(name, raw)
        column[0].frombytes(np.ascontiguousarray(x, dtype=np.int64).tobytes())
        column[1].frombytes(np.ascontiguousarray(y, dtype=np.float64).tobytes())
        column[2].frombytes(np.ascontiguousarray(lines, dtype=np.int64).tobytes())

    def add(self, axis: str, name: str, raw: str, x: int, y: float, line: int) -> None:
        table = self.epochs if axis == "epoch" else self.steps
        column = table.get(name)
        if column is None:
            if len(table) >= MAX_METRICS:
                self.too_many = True
                return
            column = table[name] = (array("q"), array("d"), array("q"))
            self.raw.setdefault(name, raw)
        column[0].append(x)
        column[1].append(y)
        column[2].append(line)


_NUM_TOKEN = re.compile(r"(?<![\w.])[-+]?(?:nan|inf(?:inity)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
                        r"(?![\w]|\.\d)", re.I)
_SPACES = re.compile(r"[ \t]+")
MAX_TEMPLATES = 4
_VALUE = r"([^\s,;|\]\[()]+)"  # a number in the whole-chunk pattern (checked when converted)
MARKER = 7000  # numbers put in place of a line's numbers to see which role each one plays


@dataclass
class _Template:
    """A line shape with its numbers cut out, and the role of each number (see the module
    docstring): ``epoch``/``step`` and their totals are group indexes, ``pairs`` lists
    ``(group, canonical name, printed name, scale)``."""

    regex: re.Pattern  # one line, spacing as it comes
    exact: re.Pattern  # the whole chunk at once, spacing as in the first line (re.M)
    epoch: int | None
    epoch_total: int | None
    step: int | None
    step_total: int | None
    pairs: list[tuple[int, str, str, float]]

    def line(self, groups: tuple[str, ...]) -> Line:
        out = Line()
        if self.epoch is not None:
            out.epoch = int(groups[self.epoch])
            out.epoch_total = int(groups[self.epoch_total]) if self.epoch_total is not None else None
        if self.step is not None:
            out.step = int(groups[self.step])
            out.step_total = int(groups[self.step_total]) if self.step_total is not None else None
        out.pairs = [(name, raw, to_float(groups[group]) * scale) for group, name, raw, scale in self.pairs]
        return out


def _template(raw: str, parsed: Line) -> _Template | None:
    """The template of a keyed record line, or None when its numbers cannot be told apart."""
    line = raw.rstrip(" \t\r")
    if "\r" in line or "\b" in line or "\x1b" in line or len(line) > 600:
        return None
    cleaned = clean(line)
    start = len(line) - len(cleaned)
    tokens = list(_NUM_TOKEN.finditer(line))
    if not tokens or len(tokens) > 40:
        return None
    parts = []
    marked = []
    last = 0
    for index, token in enumerate(tokens):
        literal = line[last:token.start()]
        parts.append(_SPACES.sub(lambda _m: "\x00", literal))
        marked.append(literal)
        marked.append(str(MARKER + index) if token.start() >= start else token.group(0))
        last = token.end()
    tail = line[last:]
    parts.append(_SPACES.sub(lambda _m: "\x00", tail))
    marked.append(tail)
    role = parse_line(clean("".join(marked)))
    if role is None or role.label or role.caffe or isinstance(role.epoch, float):
        return None
    index_of = {MARKER + i: i for i in range(len(tokens))}

    def group(value: int | None) -> int | None:
        return None if value is None else index_of.get(value, -1)

    epoch, epoch_total = group(role.epoch), group(role.epoch_total)
    step, step_total = group(role.step), group(role.step_total)
    if -1 in (epoch, epoch_total, step, step_total):
        return None
    pairs = []
    for name, printed, value in role.pairs:
        if not math.isfinite(value):
            return None
        if value in index_of:
            pairs.append((index_of[int(value)], name, printed, 1.0))
        elif round(value * 100) in index_of and abs(value * 100 - round(value * 100)) < 1e-9:
            pairs.append((index_of[round(value * 100)], name, printed, 0.01))
        else:
            return None
    pattern = "".join(re.escape(part).replace("\x00", "[ \\t]+") + ("(" + NUM + ")" if i < len(tokens) else "")
                      for i, part in enumerate(parts))
    exact = "".join(re.escape(literal) + (_VALUE if i < len(tokens) else "")
                    for i, literal in enumerate(marked[0::2]))
    template = _Template(re.compile("^" + pattern + "[ \t\r]*$", re.I), re.compile("^" + exact + "$", re.M),
                         epoch, epoch_total, step, step_total, pairs)  # type: ignore[arg-type]
    match = template.regex.match(line)
    try:
        if match is None or not _same(template.line(match.groups()), parsed):
            return None
    except ValueError:
        return None
    return template


def _same(a: Line, b: Line) -> bool:
    if (a.epoch, a.epoch_total, a.step, a.step_total) != (b.epoch, b.epoch_total, b.step, b.step_total):
        return False
    if len(a.pairs) != len(b.pairs):
        return False
    return all(x[0] == y[0] and (x[2] == y[2] or (math.isnan(x[2]) and math.isnan(y[2])))
               for x, y in zip(a.pairs, b.pairs))


class _Parser:
    def __init__(self, label: str) -> None:
        self.label = label
        self.runs: list[_RunState] = []
        self.run: _RunState | None = None
        self.open_key: tuple[str, int, int] | None = None  # axis, x, line of a key-only line
        self.open_pairs = False  # the open key already got pairs on its own line
        self.last_record: tuple[str, int] | None = None  # axis, x of the last record
        self.table: list[str] | None = None  # fastai header columns
        self.bare: tuple[array, array] = (array("d"), array("q"))  # lines holding one number only
        self.fractional_epochs: dict[float, int] = {}
        self.skipped = 0
        self.lineno = 0
        self.templates: list[_Template] = []
        self.bulk = False  # the last chunk was all one template: try the next one whole

    # -- runs ---------------------------------------------------------------------
    def _new_run(self) -> _RunState:
        if self.run is not None and not (self.run.epochs or self.run.steps or self.run.evaluations):
            return self.run
        if len(self.runs) >= MAX_RUNS:
            return self.run  # type: ignore[return-value]
        self.run = _RunState()
        self.runs.append(self.run)
        self.open_key = None
        self.last_record = None
        self.fractional_epochs = {}
        return self.run

    def _current(self) -> _RunState:
        return self.run if self.run is not None else self._new_run()

    # -- lines --------------------------------------------------------------------
    def feed(self, raw: str, lineno: int) -> None:
        for template in self.templates:
            match = template.regex.match(raw)
            if match is not None:
                try:
                    line = template.line(match.groups())
                except ValueError:
                    break
                self._take(line, lineno)
                return
        seg = clean(raw)
        if not seg.strip():
            return
        if _BARE_NUMBER.fullmatch(seg):
            self.bare[0].append(to_float(seg))
            self.bare[1].append(lineno)
            return
        if self.table is not None:
            if self._table_row(seg, lineno):
                return
            self.table = None
        if TABLE_HEADER.match(seg) or _pandas_header(seg):
            columns = _table_columns(seg if TABLE_HEADER.match(seg) else "epoch " + seg)
            if len(columns) >= 2 and any(canonical(c) for c in columns[1:]):
                self.table = columns
                self._new_run() if self.run is not None and (self.run.epochs or self.run.steps) else None
                return
        parsed = parse_line(seg)
        if parsed is None:
            self.skipped += 1
            return
        if parsed.pairs and (parsed.epoch is not None or parsed.step is not None) \
                and len(self.templates) < MAX_TEMPLATES and self.table is None:
            template = _template(raw, parsed)
            if template is not None:
                self.templates.append(template)
        self._take(parsed, lineno)

    def feed_block(self, text: str, lines: list[str] | None, lineno: int) -> int:
        """The lines of one chunk (``text``, without its last line end): all at once when
        every line fits the one template, one by one otherwise. Returns the last line number."""
        if self.bulk and len(self.templates) == 1 and self.table is None:
            template = self.templates[0]
            count = text.count("\n") + 1
            rows = template.exact.findall(text)
            if len(rows) == count and self._bulk(template, rows, lineno + 1):
                self.lineno = lineno + count
                return self.lineno
        if lines is None:
            lines = text.split("\n")
        hits = 0
        feed = self.feed
        first = self.templates[0].regex.match if self.templates else None
        for line in lines:
            lineno += 1
            if first is not None:
                match = first(line)
                if match is not None:
                    try:
                        parsed = self.templates[0].line(match.groups())
                    except ValueError:
                        parsed = None
                    if parsed is not None:
                        self._take(parsed, lineno)
                        hits += 1
                        continue
            if line.strip():
                feed(line, lineno)
                if first is None and self.templates:
                    first = self.templates[0].regex.match
        self.bulk = hits == len(lines) or (hits >= len(lines) - 1 and len(lines) > 100)
        self.lineno = lineno
        return lineno

    def _bulk(self, template: _Template, rows: list, first_line: int) -> bool:
        """Records of one template, vectorized; False (nothing taken) when a run restarts
        in them or a value is not a number (then the lines are read one by one)."""
        run = self.run
        if run is None:
            return False
        roles = [g for g in (template.epoch, template.epoch_total, template.step, template.step_total)
                 if g is not None] + [group for group, _, _, _ in template.pairs]
        values = _parse_columns(rows, roles)
        if values is None:
            return False
        column = dict(zip(roles, values))

        def whole(group: int | None) -> np.ndarray | None:
            if group is None:
                return None
            data = column[group]
            if not bool(np.all(np.isfinite(data))) or not bool(np.all(data == np.floor(data))):
                raise ValueError
            return data.astype(np.int64)

        try:
            epoch, step, step_total = whole(template.epoch), whole(template.step), whole(template.step_total)
        except ValueError:
            return False
        n = len(rows)
        previous = None
        if epoch is not None:
            if run.first_epoch is None:
                return False
            epoch = epoch + (1 if run.first_epoch == 0 else 0)
            previous = np.concatenate(([run.last_epoch if run.last_epoch is not None else epoch[0]], epoch[:-1]))
            if bool(np.any(epoch < previous)):
                return False
        if step is None:
            axis, x = "epoch", epoch
        else:
            axis = "step"
            if previous is not None:
                prev_step = np.concatenate(([run.last_step if run.last_step is not None else -1], step[:-1]))
                restart = (epoch > previous) & (step <= prev_step) & (prev_step >= 0)
                width = prev_step if step_total is None else np.where(step_total > 0, step_total, prev_step)
                offset = run.step_offset + np.cumsum(np.where(restart, width, 0))
                run.step_offset = int(offset[-1])
            else:
                prev_step = np.concatenate(([run.last_step if run.last_step is not None else step[0]], step[:-1]))
                if bool(np.any(step < prev_step)):
                    return False
                offset = run.step_offset
            x = step + offset
            run.last_step = int(step[-1])
        if epoch is not None:
            run.last_epoch = int(epoch[-1])
        lines = np.arange(first_line, first_line + n, dtype=np.int64)
        for group, name, raw, scale in template.pairs:
            data = column[group]
            run.add_many(axis, name, raw, x, data * scale if scale != 1.0 else data, lines)
        run.records += n
        self.open_key = (axis, int(x[-1]), int(lines[-1]))
        self.open_pairs = True
        self.last_record = (axis, int(x[-1]))
        return True

    def _table_row(self, seg: str, lineno: int) -> bool:
        cells = [c for c in re.split(r"[\s|]+", seg.strip()) if c]
        columns = self.table or []
        if cells and all(set(c) <= {".", "…"} for c in cells):
            return True  # "...   ...   ..." where the poster cut rows out
        if len(cells) != len(columns) or not cells[0].isdigit():
            return False
        run = self._current()
        epoch = int(cells[0])
        if run.first_epoch is None:
            run.first_epoch = epoch
        x = epoch + (1 if run.first_epoch == 0 else 0)
        for name, cell in zip(columns[1:], cells[1:]):
            canon = canonical(name)
            if canon is None or TIME.fullmatch(cell):
                continue
            value = math.nan if cell.lower() in ("#na#", "nan", "none") else to_float(cell)
            run.add("epoch", canon, name, x, value, lineno)
        run.records += 1
        run.last_epoch = x
        return True

    def _epoch_x(self, run: _RunState, printed: int) -> int:
        if run.first_epoch is None:
            run.first_epoch = printed
            if printed == 0:
                run.warnings.append("the prints number epochs from 0; shifted by one so the first epoch is 1")
        return printed + (1 if run.first_epoch == 0 else 0)

    def _take(self, parsed: Line, lineno: int) -> None:
        run = self._current()
        if isinstance(parsed.epoch, float):  # a Hugging Face dict: epoch 0.25, 0.5 ...
            self._take_dict(run, parsed, lineno)
            return
        if parsed.caffe is not None:
            where = self.last_record or (self.open_key[:2] if self.open_key else None)
            if where is None:
                self.skipped += 1
                return
            axis, x = where  # "Iteration 18000, Testing net (#0)" opens the test outputs
            for name, raw, value in parsed.pairs:
                run.add(axis, name, raw, x, value, lineno)
            run.records += 1
            return
        if parsed.epoch is None and parsed.step is None:
            self._keyless(run, parsed, lineno)
            return
        axis = "step" if parsed.step is not None else "epoch"
        if axis == "epoch":
            x = self._epoch_x(run, parsed.epoch)
            if run.last_epoch is not None and x < run.last_epoch and not run.steps:
                run = self._new_run()
                x = self._epoch_x(run, parsed.epoch)
            run.last_epoch = x
            if parsed.epoch_total and run.epochs_planned is None:
                run.epochs_planned = parsed.epoch_total
        else:
            if parsed.epoch is not None:
                epoch = self._epoch_x(run, parsed.epoch)
                if run.last_epoch is not None and epoch > run.last_epoch and run.last_step is not None \
                        and parsed.step <= run.last_step:
                    run.step_offset += parsed.step_total or run.last_step
                elif run.last_epoch is not None and epoch < run.last_epoch:
                    run = self._new_run()
                    epoch = self._epoch_x(run, parsed.epoch)
                run.last_epoch = epoch
                if parsed.epoch_total and run.epochs_planned is None:
                    run.epochs_planned = parsed.epoch_total
            elif run.last_step is not None and parsed.step < run.last_step and run.epoch_marker:
                # "Start of epoch 2" then steps from 0 again: the same run, steps continued.
                run.step_offset += run.last_step + run.step_gap
            elif run.last_step is not None and parsed.step + run.step_offset < run.last_step \
                    and run.step_offset == 0 and parsed.step < run.last_step:
                run = self._new_run()
            if run.last_step is not None and parsed.step > run.last_step:
                run.step_gap = parsed.step - run.last_step
            x = parsed.step + run.step_offset
            run.last_step = parsed.step
            run.epoch_marker = False
        if not parsed.pairs:
            self.open_key = (axis, x, lineno)
            self.open_pairs = False
            if axis == "epoch":
                run.epoch_marker = run.epoch_context = True
            return
        for name, raw, value in parsed.pairs:
            run.add(axis, name, raw, x, value, lineno)
        run.records += 1
        self.open_key = (axis, x, lineno)
        self.open_pairs = True
        self.last_record = (axis, x)

    def _keyless(self, run: _RunState, parsed: Line, lineno: int) -> None:
        """Pairs without a key: lines under a key-only line, or results after the loop."""
        pairs = [pair for pair in parsed.pairs if metricish(pair[0])]
        if not pairs:
            self.skipped += 1
            return
        open_key = self.open_key
        if open_key is not None and open_key[0] == "step" and self.open_pairs and run.epoch_context \
                and run.last_epoch is not None and parsed.label != "test":
            # "Start of epoch 1", step lines with their own values, then "Validation acc: 0.91":
            # an epoch result, not a continuation of the last step line.
            for name, raw, value in pairs:
                run.add("epoch", name, raw, run.last_epoch, value, lineno)
            run.records += 1
            return
        if open_key is not None and lineno - open_key[2] <= 6 and not parsed.label == "test":
            axis, x, _ = open_key
            for name, raw, value in pairs:
                run.add(axis, name, raw, x, value, lineno)
            if not self.open_pairs:
                run.records += 1
            self.open_pairs = True
            self.last_record = (axis, x)
            return
        names = {name for name, _, _ in pairs}
        # " - loss: 13.78 - acc: 0.15 - val_loss: ..." with no epoch anywhere: one epoch a line
        # (the first such line needs a run without keys so far; later ones continue the count)
        if not parsed.label and "loss" in names and run.last_epoch is None and (
                run.implied or (open_key is None and run.last_step is None
                                and not any(name.startswith("test_") for name in names))):
            run.implied += 1
            for name, raw, value in pairs:
                run.add("epoch", name, raw, run.implied, value, lineno)
            run.records += 1
            if run.implied == 1:
                run.warnings.append("the lines carry no epoch number: numbered 1, 2, ... in the order printed")
            return
        if (parsed.label or any(name.startswith("test_") for name in names)):
            metrics = {}
            for name, _raw, value in pairs:
                metrics[name.split("_", 1)[1] if name.startswith(("test_", "val_")) else name] = value
            label = "test" if parsed.label == "test" or any(n.startswith("test_") for n in names) else "validation"
            last = run.evaluations[-1] if run.evaluations else None
            if last is not None and last.source.line is not None and lineno - last.source.line <= 2 \
                    and last.label == label and not set(metrics) & set(last.metrics):
                last.metrics.update(metrics)
            else:
                run.evaluations.append(Evaluation(metrics=metrics, source=Source(self.label, lineno),
                                                  label=label, after_epoch=run.last_epoch))
            return
        self.skipped += 1

    def _take_dict(self, run: _RunState, parsed: Line, lineno: int) -> None:
        epoch = float(parsed.epoch)  # type: ignore[arg-type]
        if parsed.step is not None:
            axis, x = "step", parsed.step
        elif epoch.is_integer() and all(k.is_integer() for k in self.fractional_epochs):
            axis, x = "epoch", int(epoch) + (1 if epoch == 0 else 0)
        else:
            axis = "step"
            x = self.fractional_epochs.setdefault(epoch, len(self.fractional_epochs) + 1)
        if axis == "epoch" and self.fractional_epochs:
            axis = "step"
            x = self.fractional_epochs.setdefault(epoch, len(self.fractional_epochs) + 1)
        self.fractional_epochs.setdefault(epoch, len(self.fractional_epochs) + 1)
        for name, raw, value in parsed.pairs:
            run.add(axis, name, raw, x, value, lineno)
        run.records += 1
        self.last_record = (axis, x)

    # -- the end ------------------------------------------------------------------
    def runs_out(self) -> list[Run]:
        kept = [state for state in self.runs if _is_training(state)]
        base = run_name(self.label)
        if not kept and self.bare_numbers_only():
            return [self._bare_run(base)]
        return [self._build(state, base if len(kept) == 1 else f"{base} #{index}")
                for index, state in enumerate(kept, 1)]

    def bare_numbers_only(self) -> bool:
        """Most lines are one number each (a printed list of losses, nothing else)."""
        count = len(self.bare[0])
        return count >= MIN_BARE_NUMBERS and count >= BARE_SHARE * (count + self.skipped)

    def _bare_run(self, name: str) -> Run:
        run = Run(name=name, format=ID, paths=[self.label])
        y = np.frombuffer(self.bare[0], dtype=np.float64).copy()
        lines = np.frombuffer(self.bare[1], dtype=np.int64)
        run.add_series(Series(name="loss", axis="step", x=np.arange(1, y.size + 1), y=y, raw_name="(one number per line)",
                              source_path=self.label, source_lines=lines))
        run.warnings.append(f"the text is {y.size} numbers, one per line, with no names: read as the loss, "
                            "one value per printed line (step 1, 2, ...)")
        return run

    def _build(self, state: _RunState, name: str) -> Run:
        run = Run(name=name, format=ID, paths=[self.label])
        for axis, table in (("epoch", state.epochs), ("step", state.steps)):
            for canon, (x, y, lines) in table.items():
                xs = np.frombuffer(x, dtype=np.int64)
                ys = np.frombuffer(y, dtype=np.float64).copy()
                ls = np.frombuffer(lines, dtype=np.int64)
                if xs.size > 1 and not bool(np.all(np.diff(xs) > 0)):
                    order = np.argsort(xs, kind="stable")
                    xs, ys, ls = xs[order], ys[order], ls[order]
                    keep = np.append(xs[1:] != xs[:-1], True)  # a later value for the same x wins
                    xs, ys, ls = xs[keep], ys[keep], ls[keep]
                if "accuracy" in canon:
                    finite = ys[np.isfinite(ys)]
                    if finite.size and finite.max() > 1.0 and finite.min() >= 0 and finite.max() <= 100:
                        ys = ys / 100.0
                        run.warnings.append(f"{state.raw.get(canon, canon)} is printed in percent; "
                                            "read as a fraction")
                run.add_series(Series(name=canon, axis=axis, x=xs, y=ys, raw_name=state.raw.get(canon, canon),
                                      source_path=self.label, source_lines=ls))
        _evaluations_as_curve(run, state)
        for table in (run.epochs, run.steps):
            if any(n.startswith("val_") for n in table):
                continue
            for canon in [n for n in table if n.startswith("test_")]:
                held = "val_" + canon[5:]
                if held not in table:
                    series = table.pop(canon)
                    series.name = held
                    table[held] = series
                    run.warnings.append(f"'{series.raw_name}' is the only held-out curve: used as the "
                                        "validation curve")
        run.evaluations = state.evaluations
        if state.epochs_planned:
            run.fit.set("epochs_planned", state.epochs_planned, Source(self.label))
        run.warnings.extend(state.warnings)
        if state.too_many:
            run.warnings.append(f"more than {MAX_METRICS} metric names: the later ones are not kept")
        if self.skipped:
            run.warnings.append(f"{self.skipped} line(s) without metric values skipped")
        return run


_WORDS_ONLY = re.compile(r"^\s*[A-Za-z_][\w\-]*(?:\s+[A-Za-z_][\w\-]*)+\s*$")


def _pandas_header(seg: str) -> bool:
    """``      loss       acc  val_loss   val_acc``: a DataFrame of the history (its rows start
    with the index) — every word a metric name."""
    if not _WORDS_ONLY.match(seg):
        return False
    words = seg.split()
    return all(canonical(w) is not None and metricish(canonical(w)) for w in words)


def _table_columns(header: str) -> list[str]:
    """The column names of a results table. In a fastai table (``train_loss valid_loss
    accuracy``) the metric columns are computed on the validation set: they get ``val_``."""
    columns = [c.replace("-", "_") for c in re.split(r"[\s|]+", header.strip().lower()) if c]
    fastai = "train_loss" in columns and any(c.startswith("valid") for c in columns)
    if fastai:
        columns = [c if i == 0 or "loss" in c or c.startswith(("train", "valid", "val_")) or c == "time"
                   else "valid_" + c for i, c in enumerate(columns)]
    return columns


def _parse_columns(rows: list[tuple[str, ...]], groups: list[int]) -> list[np.ndarray] | None:
    """The numbers of ``groups`` in ``rows`` (strings from the whole-chunk pattern) as
    float64 columns, parsed by Arrow's CSV reader (C++, several times faster than a Python
    loop over ``float``); None when one of them is not a number."""
    import io
    from operator import itemgetter

    import pyarrow as pa
    from pyarrow import csv as pa_csv

    pick = itemgetter(*groups)
    if len(groups) == 1:
        text = "\n".join(pick(row) if isinstance(row, tuple) else row for row in rows)
    else:
        text = "\n".join(",".join(pick(row)) for row in rows)
    names = [f"c{i}" for i in range(len(groups))]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(text.encode("ascii", "replace")),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pa_csv.ParseOptions(quote_char=False, escape_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.float64() for name in names}, null_values=["nan", "NaN", "-nan"],
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, ValueError):
        return None
    if table.num_rows != len(rows):
        return None
    return [table.column(name).to_numpy() for name in names]


def _evaluations_as_curve(run: Run, state: _RunState) -> None:
    """Results printed after every epoch (PyTorch's ``Test set: Average loss ...``) are the
    held-out curve when the run has none: one point per epoch they follow."""
    if any(n.startswith(("val_", "test_")) for n in run.epochs) or len(state.evaluations) < 2:
        return
    after = [e.after_epoch for e in state.evaluations]
    if None in after or any(b <= a for a, b in zip(after, after[1:])):
        return
    names = set(state.evaluations[0].metrics)
    if not names or any(set(e.metrics) != names for e in state.evaluations):
        return
    for name in sorted(names):
        canon = "val_" + name
        run.add_series(Series(
            name=canon, axis="epoch", x=np.array(after, dtype=np.int64),
            y=np.array([e.metrics[name] for e in state.evaluations], dtype=np.float64),
            raw_name=f"{state.evaluations[0].label} {name}", source_path=run.paths[0],
            source_lines=np.array([e.source.line or -1 for e in state.evaluations], dtype=np.int64)))
    run.warnings.append(f"{len(after)} results printed after the epochs are read as the validation curve")
    state.evaluations = []


def _is_training(state: _RunState) -> bool:
    """A run holds at least two records of a loss- or accuracy-like metric (or results)."""
    names = set(state.epochs) | set(state.steps)
    lossy = any(any(w in n for w in ("loss", "acc", "error", "perplexity", "auc", "f1", "dice", "iou"))
                for n in names)
    if state.evaluations and not names:
        return any(any(w in k for w in ("loss", "acc")) for e in state.evaluations for k in e.metrics)
    longest = max((len(col[0]) for table in (state.epochs, state.steps) for col in table.values()),
                  default=0)
    return lossy and longest >= 2


# ------------------------------------------------------------------------------ reading


BARE_SCORE = 0.35  # below every reader that finds names


def _head(text: str) -> "_Parser":
    """The first lines of ``text``, parsed (what ``identify`` judges by)."""
    parser = _Parser("<head>")
    if _LOG_HISTORY.search(text[:20000]):
        text = one_line_objects(text)
    lines = text.split("\n")[:3000]
    parser.feed_block("\n".join(lines), lines, 0)
    return parser


_KERAS_BAR = re.compile(r"\d+/\d+\s*(?:\[[=>.]|━|- \d+s)")
_KERAS_HEADER = re.compile(r"^\s*Epoch\s+\d+/\d+\s*$", re.M)


def identify(probe: Probe) -> float:
    """0.6 for text with several record lines (0.3 when it is Keras console output, which
    its own reader reads better), 0 otherwise."""
    text = probe.text
    if not text:
        return 0.0
    try:
        head = _head(text)
        if sum(state.records for state in head.runs if _is_training(state)) < 2:
            return BARE_SCORE if head.bare_numbers_only() else 0.0
        if _KERAS_HEADER.search(text) and _KERAS_BAR.search(text):
            return 0.3
        return 0.6
    except Exception:  # identify must never raise
        return 0.0


def read(source: TextSource, progress: Progress = NO_PROGRESS) -> list[Run]:
    """The runs printed in ``source``; raises :class:`InputError`."""
    parser = _Parser(source.label)
    try:
        _read_into(parser, source, progress)
    except (InputError, Cancelled):
        raise
    except OSError as error:
        raise InputError(source.label, EXPECTED, found=f"a file that cannot be read ({error})")
    except Exception as error:  # a bug here must still reach the user as one clear message
        raise InputError(source.label, EXPECTED, line=parser.lineno or None,
                         found=f"text this reader failed on ({type(error).__name__}: {error})")
    runs = parser.runs_out()
    if not runs:
        raise InputError(source.label, EXPECTED, found="no line with an epoch, step or iteration "
                         "number followed by loss or accuracy values")
    return runs


_BARE_NUMBER = re.compile(r"\s*[-+]?(?:nan|inf|\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+)\s*", re.I)
MIN_BARE_NUMBERS = 5
BARE_SHARE = 0.9
_FLAT_OBJECT = re.compile(r"\{[^{}]*\}")
_LOG_HISTORY = re.compile(r"[\"']log_history[\"']\s*:")


def one_line_objects(text: str) -> str:
    """Each flat ``{...}`` of a pretty-printed JSON (or Python dict) record on one line, the
    line ends it held moved after it, so line numbers stay those of the file: a Hugging Face
    ``trainer_state.json``, whole or cut off, reads as its ``log_history`` records."""
    def join(match: re.Match) -> str:
        body = match.group(0)
        return body.replace("\n", " ") + "\n" * body.count("\n")
    return _FLAT_OBJECT.sub(join, text)


def _read_into(parser: "_Parser", source: TextSource, progress: Progress) -> None:
    total = max(1, source.size)
    done = 0
    carry = ""
    lineno = 0
    objects = None
    for chunk in source.chunks(CHUNK_CHARS):
        check_cancelled(progress)
        done += len(chunk)
        text = carry + chunk
        if objects is None:
            objects = bool(_LOG_HISTORY.search(text[:20000]))
        if objects:
            end = text.rfind("}")
            cut = text.find("\n", end) if end >= 0 else -1
            if cut < 0:
                cut = text.rfind("\n")
            body, carry = (text[:cut], text[cut + 1:]) if cut >= 0 else ("", text)
            if body:
                lineno = parser.feed_block(one_line_objects(body), None, lineno)
            progress.report(min(1.0, done / total), "reading training prints")
            continue
        cut = text.rfind("\n")
        body, carry = (text[:cut], text[cut + 1:]) if cut >= 0 else ("", text)
        if len(carry) > MAX_LINE * 4:
            carry = carry[-MAX_LINE:]
        if body:
            lineno = parser.feed_block(body, None, lineno)
        progress.report(min(1.0, done / total), "reading training prints")
    if carry:
        lineno += 1
        parser.feed(carry, lineno)
        parser.lineno = lineno
