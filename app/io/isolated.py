"""Untrusted HDF5 is read where a hang cannot hurt: in a child process with a time limit.

A damaged HDF5 file can make libhdf5 loop for ever while it holds Python's GIL: no thread
of the process runs again, the window cannot even close (issue 20). So model files are
parsed by :func:`call` in a child process (``python -m app.io.isolated``, started once and
reused) that is killed when it takes longer than a few seconds scaled by the file's size,
with a clear message; the app and the CLI stay up, and the next call starts a fresh child.

The protocol is one pickled request per call on the child's stdin (the module and name of one
of our functions, and its arguments: paths, our own dataclasses) and one pickled reply on its
stdout (the result, or the exception raised). Both sides are TrainDoc's own code: nothing from
a user's file is ever unpickled, only our objects built from its data, and the parent reads a
reply with an unpickler that knows only those classes (:data:`REPLY_CLASSES`).
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import subprocess
import sys
import threading
from typing import Any, Callable

from app.core.errors import InputError
from app.core.progress import NO_PROGRESS, Cancelled, Progress

BASE_SECONDS = 20.0  # every model file gets this long (a cold child imports numpy and h5py first) ...
SECONDS_PER_MB = 1.0  # ... plus this per MB: reading is far faster than 1 MB/s
POLL = 0.1
ALLOWED_MODULES = ("app.io.readers.", "app.patches.")  # what the child may be asked to run

_lock = threading.Lock()
_child: subprocess.Popen | None = None


# What a reply may hold besides plain data: our own result types. Everything else is refused
# when the reply is read, so even a child whose libhdf5 was subverted by a crafted file
# cannot make the parent run anything by what it writes back.
REPLY_CLASSES = {
    ("app.core.model", name) for name in ("ModelSpec", "LayerSpec", "BatchNormSpec", "LossSpec", "OptimizerSpec",
                                          "CompileSpec")
} | {("app.core.run", name) for name in ("FitSettings", "Source")} | {
    ("app.core.errors", "_rebuild_input_error"), ("app.patches.document", "ModelDocument"),
    ("builtins", "ValueError"), ("builtins", "RuntimeError"), ("builtins", "OSError"), ("builtins", "KeyError"),
    ("builtins", "TypeError"), ("builtins", "set"), ("builtins", "frozenset"),
}


class _ReplyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in REPLY_CLASSES:
            raise pickle.UnpicklingError(f"a reply naming {module}.{name}")
        return super().find_class(module, name)


class ChildFailed(Exception):
    """The child process ended without a reply (it crashed)."""


def _start() -> subprocess.Popen:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "app.io.isolated"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


def _stop() -> None:
    global _child
    child, _child = _child, None
    if child is None:
        return
    if child.poll() is None:
        child.kill()
        child.wait()
    for stream in (child.stdin, child.stdout):
        try:
            stream.close()
        except (OSError, ValueError):
            pass


atexit.register(_stop)


def time_limit(path: str) -> float:
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    return BASE_SECONDS + SECONDS_PER_MB * size / 2**20


def call(fn: Callable[..., Any], *args: Any, path: str, expected: str, entry: str | None = None,
         progress: Progress = NO_PROGRESS, seconds: float | None = None) -> Any:
    """``fn(*args)`` run in the child process (``fn`` a module-level function of a reader);
    its result, or its exception. A child that runs past the time limit is killed and an
    :class:`InputError` names the file; cancelling (``progress``) kills it too."""
    global _child
    limit = time_limit(path) if seconds is None else seconds
    with _lock:  # one request at a time: the child answers in order
        if _child is None or _child.poll() is not None:
            _child = _start()
        child = _child
        reply: list = []

        def exchange() -> None:
            try:
                pickle.dump((fn.__module__, fn.__qualname__, args), child.stdin)
                child.stdin.flush()
                reply.append(_ReplyUnpickler(child.stdout).load())
            except Exception as error:  # EOF (the child died), or a reply that does not unpickle
                reply.append((False, ChildFailed(str(error) or "no reply")))

        talker = threading.Thread(target=exchange, daemon=True)
        talker.start()
        waited = 0.0
        while talker.is_alive():
            if progress.cancelled():
                _stop()
                raise Cancelled()
            if waited >= limit:
                _stop()
                raise InputError(path, expected, entry=entry,
                                 found=f"data that makes the HDF5 library hang: TrainDoc stopped reading it after "
                                       f"{limit:.0f} s (the file is damaged or crafted)")
            talker.join(POLL)
            waited += POLL
    ok, value = reply[0]
    if ok:
        return value
    if isinstance(value, InputError):
        raise value
    if isinstance(value, ChildFailed):
        _stop()
        raise InputError(path, expected, entry=entry, found="data that crashed the HDF5 library (the reader "
                                                            "process died; TrainDoc itself is unharmed)")
    raise InputError(path, expected, entry=entry, found=f"an HDF5 file HDF5 cannot read ({value})")


def _serve() -> None:
    """The child: answer requests until stdin closes."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a print in a reader must not corrupt the replies
    while True:
        try:
            module, name, args = pickle.load(stdin)
        except EOFError:
            return
        try:
            if not module.startswith(ALLOWED_MODULES):
                raise ValueError(f"{module} is not a reader")
            fn = getattr(importlib.import_module(module), name)
            reply = (True, fn(*args))
        except InputError as error:
            reply = (False, error)
        except Exception as error:  # named in a plain RuntimeError: the parent turns it into a message
            reply = (False, RuntimeError(f"{type(error).__name__}: {error}"))
        try:
            pickle.dump(reply, stdout)
        except Exception as error:  # an exception that does not pickle
            pickle.dump((False, RuntimeError(f"{type(error).__name__}: {error}")), stdout)
        stdout.flush()


if __name__ == "__main__":
    _serve()
