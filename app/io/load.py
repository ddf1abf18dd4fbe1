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
from app.io.table import run_name
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


_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image"), (b"\x89PNG\r\n", "a PNG image"), (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"), (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a zip archive that is not a .keras model"), (b"\x89HDF", "an HDF5 file without a Keras model"),
    (b"\x93NUMPY", "a NumPy array (.npy)"), (b"\x80\x02", "a Python pickle"), (b"\x80\x03", "a Python pickle"),
    (b"\x80\x04", "a Python pickle"), (b"\x80\x05", "a Python pickle"), (b"\x7fELF", "a program (ELF binary)"),
    (b"MZ", "a Windows program"), (b"RIFF", "a sound or video file (RIFF)"), (b"ID3", "an MP3 file"),
    (b"\x00\x00\x00\x18ftyp", "a video (MP4)"), (b"\x00\x00\x00\x20ftyp", "a video (MP4)"),
)


def describe(probe: Probe) -> str:
    """What an unreadable input looks like, in a few words ("a JPEG image", "an HTML page")."""
    if probe.size == 0:
        return "an empty file"
    head = probe.head
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if probe.text is None:
        return f"binary data (starting {head[:8]!r})"
    text = probe.text.lstrip("\ufeff \t\r\n")
    lower = text[:400].lower()
    if lower.startswith(("<!doctype html", "<html")) or "<body" in lower or "<head>" in lower:
        return "an HTML page (save the page's text, or copy the log out of it)"
    if lower.startswith("<?xml") or lower.startswith("<svg"):
        return "an XML document"
    if text[:1] in "{[":
        return "JSON that is neither a Keras history, a trainer_state.json nor a model config"
    first = next((line.strip() for line in probe.text.splitlines() if line.strip()), "")
    return f"text without metric values, code or a description of a run (it starts {first[:60]!r})"


_EXPECTED = "a training log, a model file (.keras, .h5) or training code"


def _whole_text(probe: Probe, source: TextSource | str) -> str | None:
    """The text of a small input (a post, a pasted snippet); None for big logs and binaries."""
    if probe.text is None or probe.encoding is None or probe.size > MAX_POST_BYTES:
        return None
    if isinstance(source, TextSource):
        return "".join(source.chunks())
    return "".join(TextSource.from_file(source, probe.encoding).chunks())


def _read(probe: Probe, source: TextSource | str, progress: Progress) -> Loaded:
    """Read one input: the best reader that accepts it; for a small text (a forum post) also
    the code it quotes and what its prose says."""
    loaded: Loaded | None = None
    first_error: InputError | None = None
    for _score, module in registry.rank(probe):
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
        loaded = Loaded(models=[result]) if module.KIND == "model" else Loaded(runs=list(result))
        break
    if loaded is not None and loaded.models:
        return loaded  # a model file or training code
    text = _whole_text(probe, source)
    if text is None:
        if loaded is not None:
            return loaded
        raise first_error or InputError(probe.path, _EXPECTED, found=describe(probe))
    label = source.label if isinstance(source, TextSource) else str(source)
    return _post(text, label, loaded, first_error, probe)


# A log that also quotes the training code or describes the run in words (a forum post,
# a notebook export) is read for all of it when it is small enough to be a post rather
# than a console capture.
MAX_POST_BYTES = 1_000_000


def _post(text: str, label: str, loaded: Loaded | None, error: InputError | None, probe: Probe) -> Loaded:
    """The runs of a small text with the code it quotes and the statements of its prose."""
    from app.io.code import model_of, quotes_code, read_code
    from app.io.prose import read_statements

    code = None
    if quotes_code(text) >= 0.5:
        code = read_code(text, label)
    model = model_of(code)
    statements = read_statements(text, label)
    if model is not None:
        model.warnings.insert(0, f"model read from the code quoted in {label} (never run)")
        _described_settings(model, statements)
    runs = loaded.runs if loaded is not None else []
    if not runs and (statements or (code is not None and code.fit_source is not None and model is None)):
        runs = [Run(name=run_name(label), format="prose", paths=[label])]  # a post without a log
    if not runs:
        if model is not None:
            return Loaded(models=[model])
        raise error or InputError(label, _EXPECTED, found=describe(probe))
    for run in runs:
        run.statements = list(statements)
        if model is not None:
            run.model = model  # the run's own model (it fills its parameter counts from a summary table)
        if code is not None and model is None and code.fit_source is not None:
            _join_fit(run, code.fit)  # model.fit(...) posted alone: its settings still count
    return Loaded(runs=runs)


def _join_fit(run: Run, fit) -> None:
    for key in run.fit.to_dict():
        value = getattr(fit, key)
        if value is not None:
            run.fit.set(key, value, fit.sources.get(key))


def _described_settings(model: ModelSpec, statements: list) -> None:
    """A loss the code does not show but the text names (seed 000: code without compile(),
    "不要用mean_squared_error" in the prose) is taken from the text, and says so."""
    from app.core.model import CompileSpec, LossSpec

    if model.compile is not None and model.compile.loss:
        return
    stated = next((s for s in statements if s.kind == "setting" and s.id == "loss"), None)
    if stated is None:
        return
    if model.compile is None:
        model.compile = CompileSpec()
    model.compile.loss = [LossSpec(name=stated.value)]
    model.warnings.append(f"loss {stated.value} taken from the text ({stated.path}:{stated.line}: "
                          f"\u201c{stated.sentence}\u201d): the code does not compile the model")


_CODE_EXPECTED = "training code (Keras layers, compile() or fit() calls), read without running it"


def load_code_path(path: str | os.PathLike, progress: Progress = NO_PROGRESS) -> Loaded:
    """Read a file given as training code (``traindoc diagnose --code``): its model and
    ``fit()`` settings however little of the code there is (a fragment without imports,
    ``model.fit(...)`` alone), and the log and the statements of a post that holds them too.
    Never silent: a file with nothing of the kind raises :class:`InputError` saying why."""
    from app.io.code import model_of, read_code
    from app.io.prose import read_statements

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(path, _CODE_EXPECTED, found="nothing at that path" if not os.path.exists(path)
                         else "a folder")
    probe = probe_file(path)
    if probe.text is None or probe.encoding is None:
        raise InputError(path, _CODE_EXPECTED, found=describe(probe))
    source = TextSource.from_file(path, probe.encoding)
    text = "".join(source.chunks())
    code = read_code(text, path)
    model = model_of(code)
    runs: list[Run] = []
    try:
        runs = [run for run in _read(probe, path, progress).runs if run.format != "prose"]
    except InputError:
        runs = []
    # A script's comments and docstrings are not a post's prose; a text file may be a post.
    is_script = probe.name.endswith((".py", ".pyw", ".ipynb")) or code.notebook is not None
    statements = read_statements(text, path) if probe.size <= MAX_POST_BYTES and not is_script else []
    if model is None and code.fit_source is None and not runs and not statements:
        why = code.unresolved[0].why if code.unresolved else "no Keras layer, compile() or fit() call is in it"
        raise InputError(path, _CODE_EXPECTED, found=f"{describe(probe) if not code.lines else 'code'} in which {why}")
    if model is not None:
        _described_settings(model, statements)
        if not runs and not statements:
            return Loaded(models=[model])
    if not runs:
        runs = [Run(name=run_name(path), format="prose", paths=[path])]
    for run in runs:
        run.statements = list(statements)
        if model is not None:
            run.model = model
        elif code.fit_source is not None:
            _join_fit(run, code.fit)
    return Loaded(runs=runs)


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
