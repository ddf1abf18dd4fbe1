"""A short A/B trial of the original and the patched setups (worker only: imports Keras).

Each arm is a model config (allow-listed, checked before anything is built) with its compile
settings and its fit settings (``batch_size``, ``shuffle``, ``class_weight``). Every seed
builds each arm from the same fresh initialization (``keras.utils.set_random_seed(seed)``
before the build: layers created in the same order draw the same weights), or with
``from_saved`` from the saved weights carried over as the patches carry them, and trains it on
the training split of the sample, validating on its validation split, for its share of the
budget. Every epoch is streamed to the client as it ends (``{"data": {"trial_epoch": ...}}``).
Nothing of the user's files is written; the models live in memory only.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any, Callable

import numpy as np

from app.core.progress import NO_PROGRESS, Progress
from app.core.serialize import from_number, number

MAX_EPOCHS = 50  # per run; the budget usually ends it first
DEFAULT_BATCH = 32


def run_trial(source_path: str, arms: list[dict[str, Any]], x: np.ndarray, y: np.ndarray, x_val: np.ndarray,
              y_val: np.ndarray, seeds: int, budget: float, from_saved: bool = False,
              progress: Progress = NO_PROGRESS, send: Callable[[dict], None] = lambda message: None) -> dict[str, Any]:
    """Train every arm ``seeds`` times; return each run's history (the metrics per epoch)."""
    import keras

    from app.patches.allowlist import check_config
    from app.probe.client import Refused
    from app.probe.rebuild import BuildError, _compile, fresh_model, rebuilt_model

    start = time.monotonic()
    runs_total = max(1, seeds * len(arms))
    share = budget / runs_total
    out: dict[str, Any] = {"arms": [], "seeds": seeds, "rows_train": int(len(x)), "rows_validation": int(len(x_val))}
    for arm in arms:
        refusals = check_config(arm["config"])
        out["arms"].append({"name": arm["name"], "fix": arm.get("fix"), "cause": arm.get("cause"), "runs": [],
                            "error": "; ".join(str(r) for r in refusals[:3]) if refusals else None})
    done = 0
    for seed in range(seeds):
        for index, arm in enumerate(arms):
            record = out["arms"][index]
            if record["error"]:
                continue
            deadline = start + share * (done + 1)
            progress.report(done / runs_total, f"training {arm['name']}, seed {seed + 1} of {seeds}")
            try:
                if from_saved:
                    model, _ = rebuilt_model(source_path, arm["config"])
                else:
                    model = fresh_model(arm["config"], seed)
                    if isinstance(arm["config"].get("compile_config"), dict):
                        _compile(model, copy.deepcopy(arm["config"]["compile_config"]), [])
                if getattr(model, "optimizer", None) is None:
                    raise BuildError("the arm has no compile settings: there is no loss to train")
                _adapt_normalization(model, x)
            except (Refused, BuildError) as error:
                record["error"] = str(error)
                continue
            history = _fit(keras, model, arm.get("training") or {}, x, y, x_val, y_val, deadline,
                           lambda epoch, logs, arm=arm, seed=seed: send({"trial_epoch": {
                               "arm": arm["name"], "seed": seed, "epoch": epoch, "logs": logs}}))
            record["runs"].append({"seed": seed, **history})
            done += 1
            keras.backend.clear_session()
    out["seconds"] = round(time.monotonic() - start, 2)
    progress.report(1.0, "trial done")
    return out


def _fit(keras: Any, model: Any, training: dict[str, Any], x: np.ndarray, y: np.ndarray, x_val: np.ndarray,
         y_val: np.ndarray, deadline: float, on_epoch: Callable[[int, dict], None]) -> dict[str, Any]:
    history: dict[str, list] = {}
    began = time.monotonic()

    class _Stream(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = {key: number(float(value)) for key, value in (logs or {}).items()}
            accuracy = _balanced_accuracy(self.model, x_val, y_val)
            if accuracy is not None:  # one metric for every arm, whatever their losses make of "accuracy"
                logs["val_balanced_accuracy"] = round(accuracy, 4)
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            on_epoch(epoch + 1, logs)
            if time.monotonic() >= deadline or not math.isfinite(from_number(logs.get("loss", 0.0))):
                self.model.stop_training = True  # the run's share of the budget, or a NaN loss (it stays)

    batch = training.get("batch_size") if isinstance(training.get("batch_size"), int) else DEFAULT_BATCH
    shuffle = training.get("shuffle") if isinstance(training.get("shuffle"), bool) else True
    weights = training.get("class_weight")
    class_weight = _balanced(y) if weights == "balanced" else \
        {int(k): float(v) for k, v in weights.items()} if isinstance(weights, dict) and weights else None
    callbacks = [_Stream(), *_callbacks(keras, training.get("callbacks"))]
    try:
        model.fit(x, y, batch_size=max(1, min(batch, len(x))), epochs=MAX_EPOCHS, shuffle=shuffle,
                  class_weight=class_weight, validation_data=(x_val, y_val), verbose=0, callbacks=callbacks)
        error = None
    except Exception as failure:  # labels the loss cannot take, a shape Keras refuses: said per run
        error = " ".join(f"{type(failure).__name__}: {failure}".split())[:240]
    return {"history": history, "epochs": len(next(iter(history.values()), [])),
            "seconds": round(time.monotonic() - began, 2), "error": error,
            "settings": {"batch_size": batch, "shuffle": shuffle, "class_weight": bool(class_weight),
                         "callbacks": [type(c).__name__ for c in callbacks[1:]]}}


def _adapt_normalization(model: Any, x: np.ndarray) -> None:
    """Normalization layers without their mean and variance (as the insert_normalization patch
    leaves them, to adapt on the training data) adapt on the trial's training split, as the
    patch's code change tells the user to."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if type(layer).__name__ == "Normalization" and getattr(layer, "input_mean", None) is None:
            layer.adapt(x)


# The callbacks a patch can add, built from their names and plain settings (nothing else runs).
CALLBACKS = ("EarlyStopping", "ReduceLROnPlateau")


def _callbacks(keras: Any, entries: Any) -> list[Any]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        name = entry.get("class_name") if isinstance(entry, dict) else None
        settings = entry.get("config") if isinstance(entry, dict) else None
        if name in CALLBACKS and isinstance(settings, dict):
            plain = {k: v for k, v in settings.items() if isinstance(v, (int, float, str, bool)) or v is None}
            try:
                found.append(getattr(keras.callbacks, name)(**plain))
            except TypeError:
                continue
    return found


def _balanced(y: np.ndarray) -> dict[int, float] | None:
    """class_weight="balanced": each class weighted by rows / (classes x its rows)."""
    from app.probe.measure import class_labels

    array = np.asarray(y)
    labels = class_labels(array, array.shape[1] if array.ndim == 2 else 1)
    if labels is None or labels.size == 0 or labels.min() < 0:
        return None
    counts = np.bincount(labels)
    return {i: float(labels.size / (len(counts) * c)) for i, c in enumerate(counts) if c}


def _balanced_accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float | None:
    """The mean over the classes of (x, y) of the share of their rows predicted right
    (:func:`app.probe.measure.predicted_classes`), when y holds class labels; None otherwise.
    Balanced: a model that answers the majority class scores 1/C, as chance."""
    from app.probe.measure import class_labels, predicted_classes

    labels = np.asarray(y)
    if labels.dtype.kind not in "biuf" or not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
        return None  # no class labels (before the predictions are computed for nothing)
    outputs = model.predict(x, verbose=0, batch_size=256)
    if isinstance(outputs, (list, tuple, dict)):
        return None
    table = np.asarray(outputs, dtype=np.float64).reshape(len(x), -1)
    labels = class_labels(y, table.shape[1])
    if labels is None:
        return None
    if not np.all(np.isfinite(table)):
        return 0.0  # outputs gone NaN: nothing is predicted right
    predicted = predicted_classes(table)
    recalls = [float(np.mean(predicted[labels == c] == c)) for c in np.unique(labels)]
    return float(np.mean(recalls)) if recalls else None
