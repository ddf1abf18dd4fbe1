"""The worker process: ``python -m app.probe.worker`` (started by :mod:`app.probe.client`).

Reads one JSON request from stdin — ``{"op": "rebuild", "source": ..., "config": {...},
"out": ..., "overwrite": false}`` — and writes JSON lines to its protocol channel:
``{"progress": f, "message": m}`` ..., then exactly one ``{"result": {...}}`` or
``{"error": {"kind": "refused"|"input"|"output"|"build"|"internal", "message": ...,
"reasons": [...]}}``.

The op ``rebuild_many`` — ``{"op": "rebuild_many", "items": [{"source": ..., "config": ...,
"out": ..., "overwrite": false}, ...]}`` — rebuilds several models in this one process (one
TensorFlow import for all) and answers ``{"result": {"items": [reply, ...]}}``: one
``{"result": {...}}`` or ``{"error": {...}}`` per item, in order. An item that fails (even
with an unexpected exception) gets its error and the next item is still rebuilt.

The protocol channel is the original stdout, duplicated before TensorFlow is imported;
file descriptor 1 is then pointed at stderr, so whatever TensorFlow, absl or Keras print
(from Python or from native code) can never corrupt the protocol.

For the crash-isolation tests only, the op ``crash_for_test`` aborts the process when the
environment variable ``TRAINDOC_TEST_CRASH=1`` is set (and is refused otherwise).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, TextIO


class _ProtocolProgress:
    """A :class:`~app.core.progress.Progress` that writes progress lines to the channel."""

    def __init__(self, channel: TextIO) -> None:
        self._channel = channel

    def report(self, fraction: float, message: str = "") -> None:
        _send(self._channel, {"progress": round(float(fraction), 4), "message": message})

    def cancelled(self) -> bool:
        return False  # the client cancels by killing the process


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _protocol_channel() -> TextIO:
    """The original stdout as the protocol channel; fd 1 (and sys.stdout) now go to stderr."""
    sys.stdout.flush()
    channel_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(channel_fd, "w", encoding="utf-8", buffering=1)


class _ItemProgress:
    """Progress of item ``index`` of ``count`` in a batch, mapped onto the whole batch."""

    def __init__(self, inner: Any, index: int, count: int) -> None:
        self._inner, self._index, self._count = inner, index, count

    def report(self, fraction: float, message: str = "") -> None:
        overall = (self._index + min(max(float(fraction), 0.0), 1.0)) / self._count
        self._inner.report(overall, f"model {self._index + 1} of {self._count}: {message}")

    def cancelled(self) -> bool:
        return False


def _internal(message: str) -> dict[str, Any]:
    return {"error": {"kind": "internal", "message": message, "reasons": []}}


def handle(request: Any, channel: TextIO) -> dict[str, Any]:
    """Run one request; the reply object (``result`` or ``error``)."""
    if not isinstance(request, dict):
        return _internal("the request is not a JSON object")
    op = request.get("op")
    if op == "crash_for_test":
        if os.environ.get("TRAINDOC_TEST_CRASH") == "1":
            os.abort()
        return _internal("crash_for_test needs TRAINDOC_TEST_CRASH=1")
    if op == "rebuild":
        return _rebuild_one(request, _ProtocolProgress(channel))
    if op == "rebuild_many":
        return _rebuild_many(request, _ProtocolProgress(channel))
    if op == "probe":
        return _probe(request, _ProtocolProgress(channel))
    if op == "saved_weights":
        return _saved_weights(request)
    if op == "trial":
        return _trial(request, _ProtocolProgress(channel), lambda data: _send(channel, {"data": data}))
    return _internal(f"unknown op {op!r}")


def _rebuild_many(request: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Every item of a ``rebuild_many`` request in turn; one reply per item, in order."""
    items = request.get("items")
    if not isinstance(items, list):
        return _internal("bad request: rebuild_many needs a list of items")
    replies = []
    for index, item in enumerate(items):
        item_progress = _ItemProgress(progress, index, len(items))
        try:
            reply = _rebuild_one(item, item_progress)
        except Exception as error:  # one item's surprise must not cost the others their models
            traceback.print_exc()
            reply = _internal(f"{type(error).__name__}: {error}")
        replies.append(reply)
        _forget_models()
    return {"result": {"items": replies}}


def _forget_models() -> None:
    """Drop Keras' global state between the models of a batch (each starts as in a fresh worker)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        try:
            keras.backend.clear_session()
        except Exception:  # pragma: no cover - clearing is housekeeping, never a reason to fail
            traceback.print_exc()


def _rebuild_one(request: Any, progress: Any) -> dict[str, Any]:
    """One rebuild (``source``, ``config``, ``out``, ``overwrite``); its ``result`` or ``error``."""
    from app.core.errors import InputError
    from app.core.files import OutputError
    from app.probe.client import Refused

    if not isinstance(request, dict):
        return _internal("bad request: an item is not a JSON object")
    try:
        source, config, out = request["source"], request["config"], request["out"]
        if not isinstance(source, str) or not isinstance(out, str):
            raise TypeError("source and out must be strings")
    except (KeyError, TypeError) as error:
        return _internal(f"bad request: {error}")
    from app.probe import rebuild as rebuild_module

    try:
        result = rebuild_module.rebuild(source, config, out, progress,
                                        overwrite=bool(request.get("overwrite", False)))
    except Refused as error:
        return {"error": {"kind": "refused", "message": str(error), "reasons": error.reasons}}
    except InputError as error:
        return {"error": {"kind": "input", "message": error.message(), "reasons": [], "input": error.to_dict()}}
    except OutputError as error:
        return {"error": {"kind": "output", "message": str(error), "reasons": []}}
    except rebuild_module.BuildError as error:
        return {"error": {"kind": "build", "message": str(error), "reasons": []}}
    return {"result": result.to_dict()}


def _probe(request: dict[str, Any], progress: Any) -> dict[str, Any]:
    """One probe (``source``, ``config``, ``sample`` an .npz of x and y written by the client)."""
    import numpy as np

    from app.core.errors import InputError
    from app.probe.client import Refused

    try:
        source, config, sample = request["source"], request["config"], request["sample"]
        budget = float(request.get("budget", 30.0))
    except (KeyError, TypeError, ValueError) as error:
        return _internal(f"bad request: {error}")
    from app.probe import measure, rebuild as rebuild_module

    try:
        with np.load(sample, allow_pickle=False) as arrays:
            x = arrays["x"] if "x" in arrays.files else None
            y = arrays["y"] if "y" in arrays.files else None
        images = request.get("images") or []
        result = measure.probe(source, config, x, y, progress, budget, images=images)
    except Refused as error:
        return {"error": {"kind": "refused", "message": str(error), "reasons": error.reasons}}
    except InputError as error:
        return {"error": {"kind": "input", "message": error.message(), "reasons": [], "input": error.to_dict()}}
    except rebuild_module.BuildError as error:
        return {"error": {"kind": "build", "message": str(error), "reasons": []}}
    except measure.ProbeInputError as error:
        return {"error": {"kind": "mismatch", "message": str(error), "reasons": []}}
    return {"result": result}


def _trial(request: dict[str, Any], progress: Any, send: Any) -> dict[str, Any]:
    """An A/B trial (``source``, ``arms``, ``sample`` an .npz of x, y, x_val, y_val, ``seeds``,
    ``budget``, ``from_saved``); each epoch is sent as a data line as it ends."""
    import numpy as np

    from app.core.errors import InputError
    from app.probe import trial

    try:
        source, arms, sample = request["source"], request["arms"], request["sample"]
        seeds, budget = int(request.get("seeds", 3)), float(request.get("budget", 60.0))
    except (KeyError, TypeError, ValueError) as error:
        return _internal(f"bad request: {error}")
    try:
        with np.load(sample, allow_pickle=False) as arrays:
            parts = [arrays[key] for key in ("x", "y", "x_val", "y_val")]
        result = trial.run_trial(source, arms, *parts, seeds=seeds, budget=budget,
                                 from_saved=bool(request.get("from_saved")), progress=progress, send=send)
    except InputError as error:
        return {"error": {"kind": "input", "message": error.message(), "reasons": [], "input": error.to_dict()}}
    return {"result": result}


def _saved_weights(request: dict[str, Any]) -> dict[str, Any]:
    """The saved arrays of a model that is not rebuilt (``source``, ``reasons``), read as data."""
    from app.core.errors import InputError
    from app.probe import measure

    try:
        return {"result": measure.saved_weights(request["source"], list(request.get("reasons") or []))}
    except KeyError as error:
        return _internal(f"bad request: {error}")
    except InputError as error:
        return {"error": {"kind": "input", "message": error.message(), "reasons": [], "input": error.to_dict()}}


def main() -> int:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    channel = _protocol_channel()
    try:
        try:
            request = json.loads(sys.stdin.buffer.read())
        except ValueError as error:
            reply = {"error": {"kind": "internal", "message": f"the request is not JSON ({error})", "reasons": []}}
        else:
            reply = handle(request, channel)
    except Exception as error:  # anything unexpected: one clear answer, the traceback on stderr
        traceback.print_exc()
        reply = {"error": {"kind": "internal", "message": f"{type(error).__name__}: {error}", "reasons": []}}
    _send(channel, reply)
    channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
