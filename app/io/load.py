"""One entry point for everything a user can hand us: files, folders, pasted text.

``load_path(path)`` and ``load_text(text)`` detect the format by content (whatever the
file is called), run the matching reader and return a :class:`Loaded` bundle of runs and
models. Unreadable input raises :class:`~app.core.errors.InputError` with the file, the
line or entry and what was expected. In a folder, files that are not a run or a model are
listed in ``Loaded.skipped`` and the rest is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from app.core.errors import InputError
from app.core.model import ModelSpec
from app.core.progress import NO_PROGRESS, Progress, check_cancelled
from app.core.run import Run
from app.io import registry
from app.io.sniff import Probe, TextSource, probe_file, probe_text

# Files we never try in a folder walk (weights, images, code, checkpoints).
_IGNORED_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf", ".npy", ".npz", ".pkl", ".pickle", ".pt",
    ".pth", ".ckpt", ".index", ".pb", ".py", ".ipynb", ".md", ".gz", ".zip", ".tar", ".whl",
    ".so", ".dll", ".exe", ".weights.h5",
)
_IGNORED_NAMES = {"checkpoint", "readme", "license", ".ds_store", "fixtures.json"}


@dataclass
class Loaded:
    """What was read from one or more inputs."""

    runs: list[Run] = field(default_factory=list)
    models: list[ModelSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why" for files left out

    def extend(self, other: "Loaded") -> None:
        self.runs.extend(other.runs)
        self.models.extend(other.models)
        self.skipped.extend(other.skipped)


def _describe(probe: Probe) -> str:
    if probe.size == 0:
        return "an empty file"
    if probe.text is None:
        return f"binary data starting {probe.head[:8]!r}"
    first = next((line.strip() for line in probe.text.splitlines() if line.strip()), "")
    return f"text starting {first[:60]!r}"


_EXPECTED = ("a training log (Keras console output, CSVLogger CSV, History JSON, TensorBoard "
             "events, Lightning metrics.csv, trainer_state.json, CSV/TSV with an epoch or step "
             "column) or a model file (.keras, .h5, model.to_json())")


def _read(probe: Probe, source: TextSource | str, progress: Progress) -> Loaded:
    ranked = registry.rank(probe)
    if not ranked:
        quoted = _quoted_code(probe, source)  # a forum post with its code and no log
        if quoted is not None:
            return Loaded(models=[quoted])
        raise InputError(probe.path, _EXPECTED, found=_describe(probe))
    first_error: InputError | None = None
    for _score, module in ranked:
        try:
            if module.INPUT == "text":
                if not isinstance(source, TextSource):
                    if probe.encoding is None:
                        continue
                    src: TextSource | str = TextSource.from_file(source, probe.encoding)
                else:
                    src = source
            else:
                if isinstance(source, TextSource):
                    continue  # binary formats cannot come from pasted text
                src = source
            result = module.read(src, progress)
        except InputError as error:
            # The best-scoring reader's complaint is the most useful one to show.
            first_error = first_error or error
            continue
        loaded = Loaded()
        if module.KIND == "model":
            loaded.models.append(result)
        else:
            loaded.runs.extend(result)
            quoted = _quoted_code(probe, source) if result else None
            for run in result if quoted is not None else ():
                run.model = quoted  # the run's own model, as its model.summary() table is
        return loaded
    assert first_error is not None
    quoted = _quoted_code(probe, source)
    if quoted is not None:
        return Loaded(models=[quoted])
    raise first_error


# A log that also quotes the training code (a forum post, a notebook export) is read for
# both, when it is small enough to be a post rather than a console capture.
MAX_QUOTED_CODE_BYTES = 1_000_000


def _quoted_code(probe: Probe, source: TextSource | str) -> ModelSpec | None:
    """The model built by the code a log quotes (seed 004: the code, then the log), or None."""
    from app.io.code import quotes_code, read_code

    if probe.text is None or probe.encoding is None or probe.size > MAX_QUOTED_CODE_BYTES \
            or quotes_code(probe.text) < 0.5:
        return None
    if not isinstance(source, TextSource):
        source = TextSource.from_file(source, probe.encoding)
    code = read_code("".join(source.chunks()), source.label)
    model = code.model
    if model is None or not model.layers:
        return None
    model.warnings.insert(0, f"model read from the code quoted in {source.label} (never run)")
    return model


def load_text(text: str, label: str = "<pasted text>", progress: Progress = NO_PROGRESS) -> Loaded:
    """Read pasted text (a console log, CSV, JSON ...)."""
    if not text.strip():
        raise InputError(label, "some text", found="nothing (empty)")
    return _read(probe_text(text, label), TextSource.from_text(text, label), progress)


def load_path(path: str | os.PathLike, progress: Progress = NO_PROGRESS) -> Loaded:
    """Read a file or a folder."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(path, "an existing file or folder", found="nothing at that path")
    if os.path.isdir(path):
        return _load_dir(path, progress)
    probe = probe_file(path)
    if probe.size == 0:
        raise InputError(path, _EXPECTED, found="an empty file")
    return _read(probe, path, progress)


def _is_event_file(name: str) -> bool:
    return "tfevents" in name


def _load_dir(path: str, progress: Progress) -> Loaded:
    loaded = Loaded()
    tensorboard = registry.reader_by_id("tensorboard")
    has_events = False
    candidates: list[str] = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            if _is_event_file(name):
                has_events = True
                continue
            lower = name.lower()
            if lower in _IGNORED_NAMES or lower.startswith(".") or lower.endswith(_IGNORED_SUFFIXES):
                continue
            candidates.append(full)
    if has_events:
        try:
            loaded.runs.extend(tensorboard.read(path, progress))
        except InputError as error:
            loaded.skipped.append(error.message())
    for index, full in enumerate(candidates):
        check_cancelled(progress)
        progress.report(index / max(1, len(candidates)), os.path.basename(full))
        try:
            loaded.extend(load_path(full, progress))
        except InputError as error:
            loaded.skipped.append(error.message())
    if not loaded.runs and not loaded.models:
        raise InputError(path, "a folder holding training logs or model files",
                         found=f"{len(candidates)} file(s), none readable")
    return loaded


def load_paths(paths: list[str], progress: Progress = NO_PROGRESS) -> Loaded:
    """Read several inputs; ``-`` means standard input."""
    import sys

    loaded = Loaded()
    for path in paths:
        if path == "-":
            loaded.extend(load_text(sys.stdin.read(), "<stdin>", progress))
        else:
            loaded.extend(load_path(path, progress))
    return loaded
