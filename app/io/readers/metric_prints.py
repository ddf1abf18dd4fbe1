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
    MAX_LINE, TABLE_HEADER, TIME, Line, canonical, clean, metricish, parse_line, to_float,
)
from app.io.print_templates import (
    MAX_OTHER_SHARE, MAX_TEMPLATES, ChunkRows, Template, TemplateSet, make_template, mixed_rows,
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


@dataclass
class _Part:
    """The lines of one template in a chunk, as columns."""

    template: Template
    offsets: np.ndarray  # line offsets in the chunk
    column: dict[int, np.ndarray]  # number group -> values
    axis: str
    epoch: np.ndarray | None
    epoch_total: np.ndarray | None
    step: np.ndarray | None
    step_total: np.ndarray | None
    x: np.ndarray | None = None

    @classmethod
    def of(cls, template: Template, column: dict[int, np.ndarray], offsets: np.ndarray,
           first_epoch: int | None) -> "_Part | None":

        def whole(group: int | None) -> np.ndarray | None:
            if group is None:
                return None
            data = column[group]
            if not bool(np.all(np.isfinite(data))) or not bool(np.all(data == np.floor(data))):
                raise ValueError
            return data.astype(np.int64)

        try:
            epoch, step = whole(template.epoch), whole(template.step)
            epoch_total, step_total = whole(template.epoch_total), whole(template.step_total)
        except ValueError:
            return None
        if epoch is not None:
            if first_epoch is None:
                return None
            epoch = epoch + (1 if first_epoch == 0 else 0)
        axis = "step" if step is not None else "epoch"
        return cls(template, offsets, column, axis, epoch, epoch_total, step, step_total)


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
        self.templates: list[Template] = []
        self.template_set: TemplateSet | None = None  # the templates as one pattern
        self.inert_shapes: dict[str, tuple[bool, int]] = {}  # line shape -> (inert, templates then)
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
    def feed(self, raw: str, lineno: int) -> bool:
        """One line; True when it fits a template (the chunk may be read whole next time)."""
        for template in self.templates:
            match = template.regex.match(raw)
            if match is not None:
                try:
                    line = template.line(match.groups())
                except ValueError:
                    break
                self._take(line, lineno)
                return True
        seg = clean(raw)
        if not seg.strip():
            return False
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
            template = make_template(raw, parsed)
            if template is not None:
                self.templates.append(template)
        self._take(parsed, lineno)

    def feed_block(self, text: str, lines: list[str] | None, lineno: int) -> int:
        """The lines of one chunk (``text``, without its last line end): all at once when the
        lines fit the templates (see :meth:`_bulk`), one by one otherwise. Returns the last
        line number."""
        if self.bulk and self.table is None and self.templates:
            if self.template_set is None or len(self.template_set.templates) != len(self.templates):
                self.template_set = TemplateSet.of(self.templates)
            chunk = mixed_rows(text, self.template_set)
            if chunk is not None and self._bulk(chunk, lineno + 1):
                self.lineno = lineno + chunk.lines
                return self.lineno
        if lines is None:
            lines = text.split("\n")
        hits = others = 0
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
                if feed(line, lineno):
                    hits += 1
                else:
                    others += 1
                if first is None and self.templates:
                    first = self.templates[0].regex.match
        self.bulk = hits > 0 and others <= MAX_OTHER_SHARE * len(lines)
        self.lineno = lineno
        return lineno

    def _inert(self, raw: str) -> bool:
        """A line that fits no template and changes nothing when read (it is only skipped).
        Lines of the same shape (digits aside) answer the same: the answer is kept by shape."""
        shape = _DIGITS.sub("0", raw)
        known = self.inert_shapes.get(shape)
        if known is not None and len(self.templates) == known[1]:
            return known[0]
        seg = clean(raw)
        if not seg.strip():
            return True
        inert = not any(template.regex.match(raw) for template in self.templates) \
            and not (_BARE_NUMBER.fullmatch(seg) or TABLE_HEADER.match(seg) or _pandas_header(seg)) \
            and parse_line(seg) is None
        if len(self.inert_shapes) < MAX_SHAPES:
            self.inert_shapes[shape] = (inert, len(self.templates))
        return inert

    def _bulk(self, chunk: ChunkRows, first_line: int) -> bool:
        """The records of a chunk whose lines fit the templates, vectorized, with the result
        of reading them one by one; False (nothing taken) when that is not certain: a run
        restarts, a value is not a number, two templates print the same metric on one axis,
        or a line outside the templates would be a record (then the lines are read one by one)."""
        run = self.run
        if run is None or not all(self._inert(line) for _, line in chunk.others):
            return False
        parts = []
        seen: set[tuple[str, str]] = set()
        for template, columns, offsets in zip(self.templates, chunk.columns, chunk.offsets):
            if offsets.size:
                part = _Part.of(template, columns, offsets, run.first_epoch)
                if part is None or any((part.axis, name) in seen for _, name, _, _ in template.pairs):
                    return False
                seen.update((part.axis, name) for _, name, _, _ in template.pairs)
                parts.append(part)
        stepped = [part for part in parts if part.step is not None]
        if not parts or len(stepped) > 1:
            return False
        # The epochs, in line order, never go back (else a new run starts: read line by line).
        epoch_at = np.zeros(chunk.lines, dtype=np.int64)
        has_epoch = np.zeros(chunk.lines, dtype=bool)
        for part in parts:
            if part.epoch is not None:
                epoch_at[part.offsets] = part.epoch
                has_epoch[part.offsets] = True
        order = np.flatnonzero(has_epoch)
        merged = epoch_at[order]
        before = np.concatenate(([run.last_epoch if run.last_epoch is not None else merged[0]], merged[:-1])) \
            if merged.size else merged
        if bool(np.any(merged < before)):
            return False
        for part in parts:
            part.x = part.epoch
        if stepped:
            if not self._step_x(run, stepped[0], before[np.searchsorted(order, stepped[0].offsets)]
                                if stepped[0].epoch is not None else None):
                return False
        if merged.size:
            run.last_epoch = int(merged[-1])
        for part in sorted(parts, key=lambda p: int(p.offsets[0])):
            if part.epoch_total is not None and run.epochs_planned is None and part.epoch_total[0] > 0:
                run.epochs_planned = int(part.epoch_total[0])
        last = max(parts, key=lambda p: int(p.offsets[-1]))
        for part in parts:
            lines = part.offsets.astype(np.int64) + first_line
            for group, name, raw, scale in part.template.pairs:
                data = part.column[group]
                run.add_many(part.axis, name, raw, part.x, data * scale if scale != 1.0 else data, lines)
            run.records += len(part.offsets)
        self.skipped += len(chunk.others)
        self.open_key = (last.axis, int(last.x[-1]), first_line + int(last.offsets[-1]))
        self.open_pairs = True
        self.last_record = (last.axis, int(last.x[-1]))
        return True

    @staticmethod
    def _step_x(run: _RunState, part: "_Part", epoch_before: np.ndarray | None) -> bool:
        """The global step numbers of the step lines (a counter restarting with each epoch is
        offset by the steps before, as :meth:`_take` does); False when steps go back."""
        step = part.step
        if epoch_before is not None:
            prev_step = np.concatenate(([run.last_step if run.last_step is not None else -1], step[:-1]))
            restart = (part.epoch > epoch_before) & (step <= prev_step) & (prev_step >= 0)
            width = prev_step if part.step_total is None else np.where(part.step_total > 0, part.step_total, prev_step)
            offset = run.step_offset + np.cumsum(np.where(restart, width, 0))
            run.step_offset = int(offset[-1])
        else:
            prev_step = np.concatenate(([run.last_step if run.last_step is not None else step[0]], step[:-1]))
            if bool(np.any(step < prev_step)):
                return False
            offset = run.step_offset
        rising = step > prev_step
        if run.last_step is None:
            rising[0] = False
        if bool(rising.any()):
            run.step_gap = int((step - prev_step)[rising][-1])
        part.x = step + offset
        run.last_step = int(step[-1])
        run.epoch_marker = False
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
        run.skipped_lines = self.skipped
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


_DIGITS = re.compile(r"\d+")
MAX_SHAPES = 10_000
FIRST_BLOCK = 64 * 1024  # characters read line by line before whole chunks are tried
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
        if body and lineno == 0 and len(body) > 2 * FIRST_BLOCK:
            # The templates come from the first lines: read a short block line by line first,
            # so the rest of the first chunk can already be read whole.
            first = body.find("\n", FIRST_BLOCK)
            if first > 0:
                lineno = parser.feed_block(body[:first], None, lineno)
                body = body[first + 1:]
        if body:
            lineno = parser.feed_block(body, None, lineno)
        progress.report(min(1.0, done / total), "reading training prints")
    if carry:
        lineno += 1
        parser.feed(carry, lineno)
        parser.lineno = lineno
