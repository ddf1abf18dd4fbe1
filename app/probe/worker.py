"""The worker process: ``python -m app.probe.worker`` (started by :mod:`app.probe.client`).

Reads one JSON request from stdin — ``{"op": "rebuild", "source": ..., "config": {...},
"out": ..., "overwrite": false}`` — and writes JSON lines to its protocol channel:
``{"progress": f, "message": m}`` ..., then exactly one ``{"result": {...}}`` or
``{"error": {"kind": "refused"|"input"|"output"|"build"|"internal", "message": ...,
"reasons": [...]}}``.

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


def handle(request: Any, channel: TextIO) -> dict[str, Any]:
    """Run one request; the reply object (``result`` or ``error``)."""
    from app.core.errors import InputError
    from app.core.files import OutputError
    from app.probe.client import Refused

    if not isinstance(request, dict):
        return {"error": {"kind": "internal", "message": "the request is not a JSON object", "reasons": []}}
    op = request.get("op")
    if op == "crash_for_test":
        if os.environ.get("TRAINDOC_TEST_CRASH") == "1":
            os.abort()
        return {"error": {"kind": "internal", "message": "crash_for_test needs TRAINDOC_TEST_CRASH=1",
                          "reasons": []}}
    if op != "rebuild":
        return {"error": {"kind": "internal", "message": f"unknown op {op!r}", "reasons": []}}
    try:
        source, config, out = request["source"], request["config"], request["out"]
        if not isinstance(source, str) or not isinstance(out, str):
            raise TypeError("source and out must be strings")
    except (KeyError, TypeError) as error:
        return {"error": {"kind": "internal", "message": f"bad request: {error}", "reasons": []}}
    from app.probe import rebuild as rebuild_module

    try:
        result = rebuild_module.rebuild(source, config, out, _ProtocolProgress(channel),
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
