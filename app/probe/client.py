"""The pure side of the probe: start the TensorFlow worker process and talk to it.

Nothing here imports TensorFlow or Keras, so the window and the command line can import
this module freely. :func:`run_rebuild` starts ``python -m app.probe.worker`` in a
subprocess, sends it one JSON request on stdin and reads JSON lines from its stdout
(``{"progress": f, "message": m}`` ..., then ``{"result": {...}}`` or ``{"error": {...}}``);
:func:`run_rebuild_many` sends several models to one worker (one TensorFlow import).
A worker that crashes (a segfault in TensorFlow, an abort, an out-of-memory kill) raises
:class:`WorkerCrashed` here; the calling process is never taken down with it. Cancelling
through the ``progress`` object kills the worker at once.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from app.core.errors import InputError
from app.core.files import OutputError, same_file
from app.core.progress import NO_PROGRESS, Cancelled, Progress
from app.patches.allowlist import check_config

# The folder holding the ``app`` package, so the worker finds it from any working directory.
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Temporary files the worker writes next to the output: ``<prefix><worker pid>-<random>.keras``.
TEMP_PREFIX = ".traindoc-rebuild-"
STDERR_LINES_KEPT = 40
MAX_PROTOCOL_LINE = 64 * 1024 * 1024


class ProbeError(Exception):
    """Base of the errors :func:`run_rebuild` raises about the rebuild itself."""


class Refused(ProbeError):
    """The patched config may not be rebuilt (a Lambda layer, a custom object, a module
    outside Keras ...). ``reasons`` name the config path of each offending object."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        shown = "; ".join(self.reasons[:5])
        more = f" (and {len(self.reasons) - 5} more)" if len(self.reasons) > 5 else ""
        super().__init__(f"the patched model is not written: its config holds objects TrainDoc "
                         f"does not rebuild: {shown}{more}")


class RebuildFailed(ProbeError):
    """Keras could not build, compile or save the model from a config that passed the
    allowlist (an invalid argument value, a shape that does not fit ...)."""


class WorkerCrashed(ProbeError):
    """The worker process died or stopped answering.

    ``returncode`` is its exit status (negative: killed by that signal), ``signal_name``
    the signal's name when there was one, ``stderr_tail`` its last lines of stderr.
    """

    def __init__(self, message: str, returncode: int | None = None, stderr_tail: str = "") -> None:
        self.returncode = returncode
        self.signal_name = None
        if returncode is not None and returncode < 0:
            try:
                self.signal_name = signal.Signals(-returncode).name
            except ValueError:
                self.signal_name = f"signal {-returncode}"
        self.stderr_tail = stderr_tail
        text = message
        if self.signal_name:
            text += f" (killed by {self.signal_name})"
        elif returncode is not None:
            text += f" (exit status {returncode})"
        if stderr_tail:
            text += "; its last output:\n" + stderr_tail
        super().__init__(text)


@dataclass
class RebuildResult:
    """What the worker wrote: the new ``.keras`` file and which weights it carries."""

    out_path: str
    layers_carried: list[str] = field(default_factory=list)  # "vgg_base/block1_conv1", "dense"
    layers_reinitialized: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    compiled: bool = False
    notes: list[str] = field(default_factory=list)
    layers_nonfinite: list[str] = field(default_factory=list)  # saved weights held NaN/inf: re-initialized

    def to_dict(self) -> dict[str, Any]:
        return {"out_path": self.out_path, "layers_carried": list(self.layers_carried),
                "layers_reinitialized": [[name, reason] for name, reason in self.layers_reinitialized],
                "compiled": self.compiled, "notes": list(self.notes),
                "layers_nonfinite": list(self.layers_nonfinite)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RebuildResult":
        return cls(out_path=str(data["out_path"]), layers_carried=[str(n) for n in data.get("layers_carried", [])],
                   layers_reinitialized=[(str(n), str(r)) for n, r in data.get("layers_reinitialized", [])],
                   compiled=bool(data.get("compiled")), notes=[str(n) for n in data.get("notes", [])],
                   layers_nonfinite=[str(n) for n in data.get("layers_nonfinite", [])])


def check_out_path(source: str, out: str, overwrite: bool = False) -> None:
    """Raise :class:`OutputError` unless ``out`` is a new ``.keras`` file we may write."""
    if not out.endswith(".keras"):
        raise OutputError(f"{out}: a rebuilt model is saved as a Keras 3 archive; "
                          "the file name must end in .keras")
    if os.path.exists(out) and os.path.exists(source) and same_file(out, source):
        raise OutputError(f"{out}: refusing to overwrite the input model; choose a new file name")
    if os.path.abspath(out) == os.path.abspath(source):
        raise OutputError(f"{out}: refusing to overwrite the input model; choose a new file name")
    if os.path.isdir(out):
        raise OutputError(f"{out}: is a folder; choose a file name ending in .keras")
    if os.path.exists(out) and not overwrite:
        raise OutputError(f"{out}: the file already exists; choose a new file name")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise OutputError(f"{out}: the folder {folder} does not exist")


def run_rebuild(source: str | os.PathLike, config: dict[str, Any], out: str | os.PathLike,
                progress: Progress = NO_PROGRESS, timeout: float = 600, *,
                overwrite: bool = False) -> RebuildResult:
    """Rebuild the patched model ``config`` with the weights of ``source``; write ``out``.

    Runs in a worker process. Raises :class:`OutputError` (before any work) for an output
    that would overwrite the input or an existing file, :class:`Refused` for a config off
    the allowlist (checked here and again in the worker), :class:`InputError` for an
    unreadable ``source``, :class:`RebuildFailed` when Keras rejects the config,
    :class:`WorkerCrashed` when the worker dies or exceeds ``timeout`` seconds and
    :class:`Cancelled` when ``progress`` asks to stop.
    """
    request = {"op": "rebuild", **_checked_item(source, config, out, overwrite)}
    reply = run_worker(request, progress, timeout, cleanup_folder=os.path.dirname(request["out"]))
    return RebuildResult.from_dict(reply)


def _checked_item(source: str | os.PathLike, config: Any, out: str | os.PathLike, overwrite: bool
                  ) -> dict[str, Any]:
    """The worker's request fields for one rebuild, after the checks made before any work:
    the output path (:class:`OutputError`) and the allowlist (:class:`Refused`)."""
    source, out = os.fspath(source), os.fspath(out)
    check_out_path(source, out, overwrite)
    if not isinstance(config, dict):
        raise Refused([f"config: a model config is a JSON object, not {type(config).__name__}"])
    refusals = check_config(config)
    if refusals:
        raise Refused([str(refusal) for refusal in refusals])
    return {"source": os.path.abspath(source), "config": config, "out": os.path.abspath(out),
            "overwrite": overwrite}


RebuildItem = tuple["str | os.PathLike", "dict[str, Any]", "str | os.PathLike"]


def run_rebuild_many(items: list[RebuildItem], progress: Progress = NO_PROGRESS, timeout: float = 1200, *,
                     overwrite: bool = False) -> list[RebuildResult | Exception]:
    """:func:`run_rebuild` for several ``(source, config, out)`` items in ONE worker process.

    TensorFlow is imported once for all of them. The answer has one entry per item, in
    order: its :class:`RebuildResult`, or the exception :func:`run_rebuild` would have
    raised for it — :class:`OutputError` or :class:`Refused` from the checks made here
    before any work (an ``out`` given twice in the batch is an :class:`OutputError` for the
    later item), :class:`InputError`, :class:`RebuildFailed`, :class:`Refused` or
    :class:`ProbeError` from the worker. One item's failure never stops the others.
    Failures of the whole batch are raised: :class:`WorkerCrashed` (the worker died, or
    ran past ``timeout`` seconds for the batch) and :class:`Cancelled`.
    """
    answers: list[RebuildResult | Exception | None] = []
    requests: list[dict[str, Any]] = []
    positions: list[int] = []  # index in ``answers`` of each request sent
    outs: set[str] = set()
    for source, config, out in items:
        try:
            request = _checked_item(source, config, out, overwrite)
            if os.path.normcase(request["out"]) in outs:
                raise OutputError(f"{os.fspath(out)}: given as the output of two models in one batch")
        except (OutputError, Refused) as error:
            answers.append(error)
            continue
        outs.add(os.path.normcase(request["out"]))
        positions.append(len(answers))
        answers.append(None)
        requests.append(request)
    if requests:
        folders = sorted({os.path.dirname(request["out"]) for request in requests})
        reply = run_worker({"op": "rebuild_many", "items": requests}, progress, timeout, cleanup_folder=folders)
        replies = reply.get("items")
        if not isinstance(replies, list) or len(replies) != len(requests):
            raise ProbeError(f"the worker answered {len(replies) if isinstance(replies, list) else 'no'} items "
                             f"for {len(requests)} models")
        for position, item_reply in zip(positions, replies):
            answers[position] = _answer(item_reply)
    return [answer for answer in answers if answer is not None]


def _answer(reply: Any) -> RebuildResult | Exception:
    """One item's reply of a batch: its result, or the exception it stands for."""
    if isinstance(reply, dict) and isinstance(reply.get("result"), dict):
        try:
            return RebuildResult.from_dict(reply["result"])
        except (KeyError, TypeError, ValueError) as error:
            return ProbeError(f"the worker answered {reply['result']!r} ({error})")
    if isinstance(reply, dict) and "error" in reply:
        error = reply["error"]
        return _error(error if isinstance(error, dict) else {"message": str(error)})
    return ProbeError(f"the worker answered {reply!r}")


def _error(error: dict[str, Any]) -> Exception:
    """The exception an ``error`` reply of the worker stands for."""
    kind = error.get("kind")
    message = str(error.get("message", "the worker failed"))
    if kind == "refused":
        return Refused([str(reason) for reason in error.get("reasons", [])] or [message])
    if kind == "input" and isinstance(error.get("input"), dict):
        data = error["input"]
        return InputError(str(data.get("path")), str(data.get("expected")), found=data.get("found"),
                          line=data.get("line"), entry=data.get("entry"))
    if kind == "input":
        return InputError("<model>", "a readable model file", found=message)
    if kind == "output":
        return OutputError(message)
    if kind == "build":
        return RebuildFailed(message)
    if kind == "mismatch":
        return SampleMismatch(message)
    return ProbeError(f"the worker failed: {message}")


def _raise_error(error: dict[str, Any]) -> None:
    raise _error(error)


def _reader(stream: Any, lines: "queue.Queue[bytes | None]") -> None:
    try:
        for line in iter(lambda: stream.readline(MAX_PROTOCOL_LINE), b""):
            lines.put(line)
    finally:
        lines.put(None)


def _collect(stream: Any, tail: collections.deque) -> None:
    for line in iter(stream.readline, b""):
        tail.append(line.decode("utf-8", "replace").rstrip())


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL
        pass


def _finish(process: subprocess.Popen, threads: list[threading.Thread]) -> None:
    """Wait for the worker to exit (it has answered or been killed) and close its pipes."""
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _kill(process)
    for thread in threads:
        thread.join(timeout=2)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _remove_temp_files(folders: str | list[str] | None, pid: int) -> None:
    for folder in filter(None, [folders] if isinstance(folders, str) else folders or []):
        for path in glob.glob(os.path.join(glob.escape(folder), f"{TEMP_PREFIX}{pid}-*")):
            try:
                os.unlink(path)
            except OSError:
                pass


def run_worker(request: dict[str, Any], progress: Progress = NO_PROGRESS, timeout: float = 600,
               cleanup_folder: str | list[str] | None = None,
               on_data: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Send one ``request`` to a new worker process; return its ``result`` object.

    Progress lines go to ``progress``, data lines (a trial's epochs) to ``on_data`` as they
    come; an ``error`` reply is raised as the matching
    exception. Whatever happens, the worker is gone when this returns or raises; when it
    was killed, its temporary files in ``cleanup_folder`` (one folder or several) are removed.
    """
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONPATH"] = _PROJECT_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    process = subprocess.Popen([sys.executable, "-m", "app.probe.worker"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=_PROJECT_ROOT)
    lines: "queue.Queue[bytes | None]" = queue.Queue()
    tail: collections.deque = collections.deque(maxlen=STDERR_LINES_KEPT)
    threads = [threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True),
               threading.Thread(target=_collect, args=(process.stderr, tail), daemon=True)]
    for thread in threads:
        thread.start()
    reply: dict[str, Any] | None = None
    try:
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(request).encode("utf-8"))
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the worker died at once: reported below with its exit status
        deadline = time.monotonic() + timeout
        while reply is None:
            if progress.cancelled():
                raise Cancelled()
            if time.monotonic() > deadline:
                _kill(process)
                raise WorkerCrashed(f"the model worker did not finish within {timeout:g} s and was stopped",
                                    None, "\n".join(tail))
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                continue
            if line is None:  # stdout closed: the worker ended without a reply
                break
            try:
                message = json.loads(line)
            except ValueError:
                tail.append(line.decode("utf-8", "replace").rstrip())
                continue
            if not isinstance(message, dict):
                continue
            if "progress" in message:
                progress.report(float(message["progress"]), str(message.get("message", "")))
            elif "data" in message:
                if on_data is not None and isinstance(message["data"], dict):
                    on_data(message["data"])
            elif "result" in message or "error" in message:
                reply = message
        if reply is None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _kill(process)
            threads[1].join(timeout=2)
            raise WorkerCrashed("the model worker stopped without an answer", process.returncode,
                                "\n".join(tail))
    except BaseException:
        _kill(process)
        _remove_temp_files(cleanup_folder, process.pid)
        raise
    finally:
        _finish(process, threads)
    if "error" in reply:
        _raise_error(reply["error"] if isinstance(reply["error"], dict) else {"message": str(reply["error"])})
    result = reply["result"]
    if not isinstance(result, dict):
        raise ProbeError(f"the worker answered {result!r}")
    return result


class SampleMismatch(ProbeError):
    """The data sample does not fit the model (its rows' shape)."""


# Model files the probe rebuilds with their weights (a model.to_json() text has none).
PROBED_FORMATS = ("keras", "h5")


def probed_files(models: Any) -> list[str]:
    """The paths of the model files among ``models`` (ModelSpec) the probe can measure."""
    return [m.source_path for m in models if m.format in PROBED_FORMATS and m.source_path]


@dataclass
class ProbeRun:
    """The probe of several model files: what each measured, and what could not be probed."""

    results: dict = field(default_factory=dict)  # model path -> the probe's measurements
    messages: list[str] = field(default_factory=list)  # one sentence per file not probed, and why
    mismatched: bool = False  # the sample does not fit a model (a bad input, not a failure)


def probe_files(paths: list[str], sample: Any, progress: Progress = NO_PROGRESS,
                budget: float = 30.0) -> ProbeRun:
    """:func:`run_probe` for each model file; what cannot be probed becomes a message, so the
    diagnosis without it still stands (the command line and the window both call this)."""
    done = ProbeRun()
    for index, path in enumerate(paths):
        progress.report(index / max(1, len(paths)), os.path.basename(path))
        try:
            done.results[path] = run_probe(path, sample, progress, budget=budget)
        except Refused as error:  # not rebuilt, so nothing of it runs: its saved arrays are still read as data
            done.messages.append(f"{path}: probed from its saved weights only, its config holds objects TrainDoc "
                                 "does not rebuild: " + "; ".join(error.reasons[:3]))
            try:
                done.results[path] = run_worker({"op": "saved_weights", "source": path, "reasons": error.reasons},
                                                progress)
            except (ProbeError, InputError) as failure:
                text = failure.message() if isinstance(failure, InputError) else str(failure)
                done.messages.append(f"{path}: its saved weights could not be read ({text})")
        except SampleMismatch as error:
            done.messages.append(f"{getattr(sample, 'path', 'the sample')}: does not fit {path}: {error} "
                                 "(diagnosed without the probe)")
            done.mismatched = True
        except (ProbeError, InputError) as error:
            text = error.message() if isinstance(error, InputError) else str(error)
            done.messages.append(f"{path}: the probe failed ({text}); diagnosed without it")
    return done


PROBE_BUDGET = 30.0  # seconds of measuring, TensorFlow's import not counted
PROBE_ROWS = 256  # rows of the data sample the worker runs the model on
IMAGE_ROWS = 64  # images of an image folder decoded by the worker (round robin over the classes)


def run_probe(model_path: str | os.PathLike, sample: Any, progress: Progress = NO_PROGRESS,
              budget: float = PROBE_BUDGET, timeout: float = 600) -> dict[str, Any]:
    """Measure inside the model of ``model_path`` on the data sample ``sample``
    (:class:`app.io.data_sample.DataSample`; ``None``: the weights alone): the worker rebuilds the model from
    its allow-listed config with its saved weights and runs it on CPU. Returns the worker's
    measurements (:mod:`app.probe.measure`); raises :class:`Refused` for a config the
    allowlist refuses, :class:`SampleMismatch`, :class:`WorkerCrashed` ..."""
    import tempfile

    import numpy as np

    from app.patches.document import load_document

    model_path = os.fspath(model_path)
    images = list(getattr(sample, "files", None) or [])[:IMAGE_ROWS] if getattr(sample, "x", None) is None else []
    if sample is not None and getattr(sample, "x", None) is None and not images:
        raise SampleMismatch("the data sample holds no inputs")
    document = load_document(model_path)
    refusals = check_config(document.config)
    if refusals:
        raise Refused([str(refusal) for refusal in refusals])
    arrays = {} if images or sample is None else {"x": np.ascontiguousarray(sample.x[:PROBE_ROWS])}
    if sample is not None and sample.y is not None:
        arrays["y"] = np.ascontiguousarray(sample.y[:len(images) or PROBE_ROWS])
    key = probe_key(model_path, arrays, budget, images)
    cached = _cached(key)
    if cached is not None:
        progress.report(1.0, "probe result from the cache")
        return cached
    with tempfile.TemporaryDirectory(prefix="traindoc-probe-") as folder:
        path = os.path.join(folder, "sample.npz")
        np.savez(path, **arrays)
        request = {"op": "probe", "source": model_path, "config": document.config, "sample": path,
                   "budget": budget, "images": images}
        result = run_worker(request, progress, timeout)
    _store(key, result)
    return result


# Probe results are kept by the hash of what decides them: the model file's bytes, the rows of
# the sample used, the budget and this version of the measurements. A second diagnosis of the
# same files (the app re-diagnoses as files come and go) gets them at once.
PROBE_VERSION = 2


def probe_cache_dir() -> str:
    """The folder of cached probe results (TRAINDOC_CACHE, else the user's cache folder)."""
    base = os.environ.get("TRAINDOC_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "traindoc")
    return os.path.join(base, "probe")


def probe_key(model_path: str, arrays: dict, budget: float, images: list[str] = ()) -> str:
    import hashlib

    digest = hashlib.sha256(f"traindoc-probe-{PROBE_VERSION}-{budget:g}".encode())
    for path in [model_path, *images]:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    for name in sorted(arrays):
        array = arrays[name]
        digest.update(f"{name}{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _cached(key: str) -> dict[str, Any] | None:
    path = os.path.join(probe_cache_dir(), key + ".json")
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _store(key: str, result: dict[str, Any]) -> None:
    """Keep ``result`` (atomically; a cache that cannot be written is no error)."""
    import tempfile

    folder = probe_cache_dir()
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".part-", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(result, out)
        os.replace(temp, os.path.join(folder, key + ".json"))
    except OSError:
        pass
