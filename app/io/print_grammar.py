"""The grammar of training prints: iteration keys, metric pairs, metric names.

Shared by the reader of hand-written loop prints (:mod:`app.io.readers.metric_prints`, where
the shapes are listed) and by anything else that needs to read ``Loss: 0.25, Accuracy: 0.9``
out of a line: :func:`parse_line` gives the keys and pairs of one line, :func:`canonical` the
canonical metric name of a printed one, :func:`clean` the line without its log prefix,
colour codes and the redraws before its last ``\\r``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

MAX_LINE = 4000  # longer lines are cut (a progress bar redrawn without line ends)

NUM = r"[-+]?(?:nan|inf(?:inity)?|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Log-line prefixes: glog (Caffe, TF1), Python logging, ISO time stamps, IPython prompts.
_PREFIX = re.compile(
    r"^\s*(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+\s+[\w./-]+:\d+\]\s*"
    r"|\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[.,\d]*(?:\s+(?:INFO|DEBUG|WARNING|WARN|ERROR))?\]?\s*"
    r"(?:[-|:]\s*)?(?:(?:INFO|DEBUG|WARNING|WARN)\b[\s:|-]*)?"
    r"|\d\d:\d\d:\d\d[.,]\d+\s+\[[^\]]*\]\s+(?:INFO|DEBUG|WARN|WARNING|ERROR)\s+\S+\s+-\s+"
    r"|(?:INFO|DEBUG):[\w.]*:\s*"
    r"|(?:>>>|\.\.\.|In \[\d*\]:|Out\[\d+\]:)\s*)")
_KEY = re.compile(
    r"(?<![A-Za-z_])(epoch|step|steps|iter|iteration|iterations|batch|global_step|round)(?![A-Za-z_])"
    r"\s*(?:no\.?|number|num)?\s*[:=#]?\s*[\[(]?\s*(\d+)(?!\d|\.\d)\s*[\])]?(?:\s*(?:/|of)\s*(\d+)\s*[\])]?)?",
    re.I)
# "0 epoch,  152  batch, ...": the number before the word.
_KEY_AFTER = re.compile(r"(?<![\w.])(\d+)\s*(epoch|step|iter|iteration|batch)s?(?![A-Za-z_])(?!\s*[:=#]?\s*\d)", re.I)
# "200/ 2983 batches" (PyTorch's word-language-model example): step 200 of 2983.
_FRACTION_KEY = re.compile(r"(?<![\w.])(\d+)\s*/\s*(\d+)\s*(?:batch|step|iter|iteration)(?:es|s)?(?![A-Za-z_])", re.I)
# "409 [D loss: nan, acc: 50.00%] [G loss: ...]": a line that starts with its iteration.
_LEADING_KEY = re.compile(r"^\s*(\d+)(?=\s*[\[:,|]|\s+[A-Za-z])")
_BRACKET_KEY = re.compile(r"^\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]")  # "[1,  2000] loss: 2.190"
_SAMPLES = re.compile(r"\s*\[\s*(\d+)\s*/\s*(\d+)\s*\((\d+)%\)\s*\]")  # "[640/60000 (1%)]"
_PAIR = re.compile(
    r"(?<![\w.])(?P<name>[A-Za-z][\w\-./]*(?:[ \t]+[A-Za-z][\w\-]*){0,3}?)"
    r"[ \t]*(?P<sep>[:=]|(?<=[A-Za-z0-9_])[ \t]+)[ \t]*"
    r"(?P<value>" + NUM + r")(?:\s*/\s*(?P<den>\d+))?(?P<pct>[ \t]*%)?(?![\w]|\.\d)", re.I)
_DICT_PAIR = re.compile(r"['\"]([A-Za-z_][\w/.-]*)['\"]\s*:\s*(?:np\.float\d*\()?(" + NUM + ")", re.I)
_CAFFE_NET = re.compile(r"(Test|Train) net output #\d+:\s*([\w/\-]+)\s*=\s*(" + NUM + ")", re.I)
_SET_LABEL = re.compile(r"^\s*(train(?:ing)?|val(?:id|idation)?|dev|test(?:ing)?|eval(?:uation)?)"
                        r"(?:\s+set)?\s*[:\-]\s*", re.I)
TIME = re.compile(r"\b\d+:\d\d(?::\d\d)?(?:\.\d+)?\b")

# Words that are metrics (a pair separated by whitespace must end in one of these).
_METRIC_WORDS = {"loss", "acc", "accuracy", "error", "err", "auc", "f1", "precision", "recall",
                 "mae", "mse", "rmse", "iou", "miou", "dice", "lr", "perplexity", "ppl", "bleu",
                 "map", "top1", "top5", "nll", "xent", "entropy", "wer", "cer", "psnr", "ssim"}
# Qualifiers in front of a metric name.
_TRAIN_WORDS = {"train", "training", "trn", "tr"}
_VAL_WORDS = {"val", "valid", "validation", "dev", "eval", "evaluation", "vali"}
_TEST_WORDS = {"test", "testing", "tst"}
_FILLER = {"avg", "average", "mean", "running", "batch", "minibatch", "mini", "total", "overall",
           "current", "cur", "final", "epoch", "the", "set", "data", "model", "net", "on", "of",
           "is", "was", "classification", "cls", "ave", "smoothed", "over"}
_SYNONYMS = {"acc": "accuracy", "err": "error", "lr": "learning_rate", "learningrate": "learning_rate",
             "learning_rate": "learning_rate", "xent": "loss", "cross_entropy": "loss", "cost": "loss", "nll": "loss",
             "crossentropy": "loss", "ppl": "perplexity", "accuracy_top_1": "accuracy", "accuracy_top1": "accuracy",
             "top_1_accuracy": "accuracy", "top1_accuracy": "accuracy"}
_PART_WORDS = {"d", "g", "gen", "disc", "reg", "kl", "ce", "bce", "mse", "l1", "l2", "rpn", "box", "bbox",
               "cls", "class", "mask", "recon", "content", "style", "adv", "perceptual", "aux"}
_TIME_WORDS = {"time", "speed", "elapsed", "eta", "duration", "runtime"}
# Names that are not metrics: time, speed, counters, bookkeeping.
_NOT_METRICS = {"time", "eta", "elapsed", "speed", "samples", "examples", "sec", "secs", "seconds",
                "ms", "s", "v_num", "it", "gpu", "mem", "memory", "throughput", "tokens", "eps",
                "epoch", "epochs", "step", "steps", "iter", "iteration", "iterations", "batch",
                "global_step", "round", "total_flos", "runtime", "train_runtime", "eval_runtime",
                "samples_per_second", "steps_per_second", "train_samples_per_second",
                "train_steps_per_second", "eval_samples_per_second", "eval_steps_per_second",
                "num", "no", "id", "seed", "size", "shape", "version", "batch_size", "data_time",
                "lr_scale", "grad_scale", "max_mem", "memory_allocated", "num_tokens", "tokens_per_sec"}
# A fastai results table: its header.
TABLE_HEADER = re.compile(r"^\s*\|?\s*epoch\s*[\s|]+(?:[a-z_\-]+\s*[\s|]+)*[a-z_\-]+\s*\|?\s*$", re.I)
# "Training loss (for 1 batch) at step 200: 3.1138": the name before the key, the value after.
_NAME_AT_KEY = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z_ \t]*?)\s*(?:\([^()]*\))?\s+(?:at|for|in|on|after)\s+"
    r"(?P<key>(?:epoch|step|iteration|iter|batch)\s*\d+)\s*:\s*(?P<value>" + NUM + r")", re.I)

def canonical(raw: str, labeled: bool = True) -> str | None:
    """The canonical metric name of a printed name, or None when it is not a metric.

    ``labeled``: the name stood before ``:`` or ``=`` (a label the code printed: all its
    words count, ``Discriminator Loss`` is not ``Generator Loss``); otherwise only its
    last metric word and a short qualifier before it count (``got loss 0.5`` is ``loss``).

    >>> canonical("Minibatch Loss"), canonical("Training Accuracy"), canonical("val loss")
    ('loss', 'accuracy', 'val_loss')
    >>> canonical("test accuracy"), canonical("Reg loss"), canonical("valid_loss")
    ('test_accuracy', 'reg_loss', 'val_loss')
    >>> canonical("Discriminator  Loss"), canonical("I got loss", labeled=False)
    ('discriminator_loss', 'loss')
    """
    words = [w for w in re.split(r"[\s_\-./]+", raw.strip().lower()) if w]
    if not words:
        return None
    prefix = ""
    kept: list[str] = []
    for word in words:
        if word in _VAL_WORDS:
            prefix = "val_"
            kept = []
        elif word in _TEST_WORDS:
            prefix = "test_"
            kept = []
        elif word in _TRAIN_WORDS:
            prefix = ""
            kept = []
        elif word not in _FILLER:
            kept.append(word)
    if not kept or any(word in _TIME_WORDS for word in kept):
        return None
    if not labeled and len(kept) > 1:
        # Leading prose ("I got loss") is dropped; a short qualifier ("reg loss") stays.
        tail = kept[-1:]
        if kept[-2] in _PART_WORDS:
            tail = kept[-2:]
        kept = tail
    base = "_".join(kept)
    base = _SYNONYMS.get(base, base)
    if base in _NOT_METRICS or base.isdigit():
        return None
    return prefix + base


def metricish(name: str) -> bool:
    """A canonical name whose last word is a metric word (``test_accuracy``, ``val_loss``)."""
    base = name.split("_", 1)[1] if name.startswith(("val_", "test_")) else name
    return base in ("accuracy", "loss", "error", "learning_rate", "perplexity") or \
        base.rsplit("_", 1)[-1] in _METRIC_WORDS


def to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _is_metric_word(name: str) -> bool:
    last = re.split(r"[\s_\-./]+", name.strip().lower())[-1]
    return last in _METRIC_WORDS


def line_pairs(text: str) -> list[tuple[str, str, float]]:
    """``(canonical, raw, value)`` pairs of one line with the keys already cut out."""
    out = []
    for match in _PAIR.finditer(text):
        raw = match.group("name")
        sep = match.group("sep")
        labeled = sep in (":", "=")
        if not labeled and not _is_metric_word(raw):
            continue
        name = canonical(raw, labeled)
        if name is None:
            continue
        value = to_float(match.group("value"))
        den = match.group("den")
        if den:
            value = value / float(den) if float(den) else math.nan
        elif match.group("pct"):
            value /= 100.0
        out.append((name, raw.strip(), value))
    return out


@dataclass
class Line:
    """What one printed line holds."""

    epoch: int | None = None
    epoch_total: int | None = None
    step: int | None = None
    step_total: int | None = None
    pairs: list[tuple[str, str, float]] = field(default_factory=list)
    label: str = ""  # "test", "val" for "Test set: ..." lines
    caffe: str | None = None  # "test" or "train" for Caffe's net output lines


def parse_line(seg: str) -> Line | None:
    """The keys and pairs of one line (prefix and colour codes removed), or None."""
    out = Line()
    if seg.lstrip()[:1] == "{" and ("':" in seg or '":' in seg):
        if "train_runtime" in seg:
            return None  # the trainer's closing summary (its train_loss is an average)
        for name, value in _DICT_PAIR.findall(seg):
            lower = name.lower()
            if lower == "epoch":
                number = to_float(value)
                out.epoch = number  # type: ignore[assignment]  # fractional: resolved by the caller
            elif lower in ("step", "global_step"):
                out.step = int(to_float(value)) if math.isfinite(to_float(value)) else None
            else:
                canon = canonical(name)
                if canon is not None:
                    out.pairs.append((canon, name, to_float(value)))
        return out if out.pairs else None
    caffe = _CAFFE_NET.search(seg)
    if caffe:
        kind = caffe.group(1).lower()
        canon = canonical(caffe.group(2))
        if canon is None:
            return None
        out.caffe = kind
        out.pairs.append((("test_" if kind == "test" else "") + canon, caffe.group(2), to_float(caffe.group(3))))
        return out
    at_key = _NAME_AT_KEY.match(seg)
    if at_key:
        seg = f"{at_key.group('key')} {at_key.group('name').strip()}: {at_key.group('value')}{seg[at_key.end():]}"
    rest = seg
    bracket = _BRACKET_KEY.match(seg)
    if bracket:
        out.epoch, out.step = int(bracket.group(1)), int(bracket.group(2))
        rest = seg[bracket.end():]
    else:
        pieces = []
        last = 0
        for key in _KEY.finditer(seg):
            word = key.group(1).lower()
            number = int(key.group(2))
            total = int(key.group(3)) if key.group(3) else None
            if word == "epoch":
                if out.epoch is not None:
                    continue
                out.epoch, out.epoch_total = number, total
                samples = _SAMPLES.match(seg, key.end())
                if samples and out.step is None:
                    out.step, out.step_total = int(samples.group(1)), int(samples.group(2))
                    pieces.append(seg[last:key.start()])
                    last = samples.end()
                    continue
            elif out.step is None:
                out.step, out.step_total = number, total
            pieces.append(seg[last:key.start()])
            last = key.end()
        pieces.append(seg[last:])
        rest = " ".join(pieces)
        if out.step is None:
            fraction = _FRACTION_KEY.search(rest)
            if fraction:
                out.step, out.step_total = int(fraction.group(1)), int(fraction.group(2))
                rest = rest[:fraction.start()] + " " + rest[fraction.end():]
        if out.epoch is None or out.step is None:
            rest = _keys_after(out, rest)
        if out.epoch is None and out.step is None:
            leading = _LEADING_KEY.match(rest)
            if leading:
                out.step = int(leading.group(1))
                rest = rest[leading.end():]
    label = _SET_LABEL.match(rest)
    if label and out.epoch is None and out.step is None:
        word = label.group(1).lower()
        out.label = "test" if word.startswith("test") else ("val" if word[0] in "vde" else "")
        rest = rest[label.end():]
    if "|" in rest and "it/s" in rest or "s/it" in rest:
        rest = rest.split("[", 1)[-1] if "[" in rest else rest  # tqdm: the postfix after the bar
    rest = TIME.sub(" ", rest)
    out.pairs = line_pairs(rest)
    if out.label:
        prefix = "test_" if out.label == "test" else "val_"
        out.pairs = [(name if name.startswith(("val_", "test_")) else prefix + name, raw, value)
                     for name, raw, value in out.pairs]
    if out.epoch is None and out.step is None and not out.pairs:
        return None
    return out


def _keys_after(out: Line, rest: str) -> str:
    """Keys written number first (``0 epoch,  152  batch``), cut out of ``rest``."""
    pieces = []
    last = 0
    for key in _KEY_AFTER.finditer(rest):
        word = key.group(2).lower()
        if word == "epoch":
            if out.epoch is not None:
                continue
            out.epoch = int(key.group(1))
        elif out.step is None:
            out.step = int(key.group(1))
        else:
            continue
        pieces.append(rest[last:key.start()])
        last = key.end()
    if not pieces:
        return rest
    pieces.append(rest[last:])
    return " ".join(pieces)


def clean(line: str) -> str:
    s = line.rstrip(" \t\r\b")
    cut = max(s.rfind("\r"), s.rfind("\b"))
    if cut >= 0:
        s = s[cut + 1:]
    if "\x1b" in s:
        s = _ANSI.sub("", s)
    if len(s) > MAX_LINE:
        s = s[:MAX_LINE]
    prefix = _PREFIX.match(s)
    return s[prefix.end():] if prefix else s
