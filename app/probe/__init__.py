"""The TensorFlow side of TrainDoc, behind a process boundary.

Writing a patched model needs Keras: the model is rebuilt from its (allowlisted) config,
the original weights are put back and the result is saved as a new ``.keras`` file. That
work runs in a separate worker process (``python -m app.probe.worker``, modules
:mod:`app.probe.worker` and :mod:`app.probe.rebuild`), for two reasons:

- the window and the command line never import TensorFlow (start-up time, memory, and an
  import-linter contract), and
- a crash inside TensorFlow (a segfault, an abort, running out of memory) kills only the
  worker; the caller gets a :class:`WorkerCrashed` error and stays up.

This package exports only the pure client (:mod:`app.probe.client`): importing
``app.probe`` never imports TensorFlow or Keras. Never import ``app.probe.rebuild`` outside
the worker.
"""

from app.probe.client import (
    ProbeError,
    ProbeRun,
    RebuildFailed,
    RebuildResult,
    Refused,
    SampleMismatch,
    WorkerCrashed,
    check_out_path,
    probe_files,
    probed_files,
    run_probe,
    run_rebuild,
    run_rebuild_many,
    run_worker,
)

__all__ = ["ProbeError", "ProbeRun", "RebuildFailed", "RebuildResult", "Refused", "SampleMismatch", "WorkerCrashed",
           "check_out_path", "probe_files", "probed_files", "run_probe", "run_rebuild", "run_rebuild_many",
           "run_worker"]
