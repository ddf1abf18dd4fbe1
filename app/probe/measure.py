"""The probe's measurements inside the model (worker only: imports Keras and TensorFlow).

The model is rebuilt from its allow-listed config with its saved weights
(:func:`app.probe.rebuild.rebuilt_model`, the path the patches use; the user's file is never
given to ``load_model``) and run on CPU on at most ``PROBE_ROWS`` rows of the data sample:

- the loss on the sample in inference mode and in training mode (BatchNormalization then
  normalizes with the batch's own statistics instead of its moving ones), the accuracy in
  inference mode, the share of the most predicted class and the outputs' entropy (1.0: the
  uniform guess);
- per ReLU layer, the share of units that never activate on the sample (dead units); per
  hidden sigmoid/tanh layer, the share of outputs in the flat ends of the curve (saturated);
- per BatchNormalization layer, its moving mean and variance against the sample's own
  statistics of its inputs;
- per weight layer, the RMS of the loss gradient of its kernel and of the kernel itself;
- *can it learn at all*: a fresh copy of the model (same config and loss, newly initialized)
  trained on ``LEARN_ROWS`` rows with Adam(1e-3) for up to ``LEARN_STEPS`` full-batch steps
  must drive the loss on them near zero. A standard optimizer at a standard rate takes the
  user's hyper-parameters out of the question: when even it cannot fit 32 rows, the model,
  the loss or the labels are broken.

The time budget is checked between batches inside each measurement: what it cut short is
measured on fewer rows (``rows_measured``) or listed in ``skipped``.

The answer is plain JSON data; :mod:`app.rules` turns it into evidence of kind ``measured``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from app.core.progress import NO_PROGRESS, Progress
from app.core.serialize import number  # JSON carries NaN/inf as text (the protocol is strict JSON)
from app.probe.client import PROBE_ROWS

BATCH = 64
RELU_ACTIVATIONS = {"relu", "relu6"}
# Saturated: sigmoid outside [0.01, 0.99] or |tanh| above 0.99, where the derivative is below
# 0.01 (sigmoid) or 0.02 (tanh) of its peak's scale: the gradient through the unit all but stops.
SATURATING = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}
# Rows are fewer for big inputs: activations grow with the input (ResNet50 on 224x224 images
# holds ~100 MB of ReLU outputs per row), so the rows used hold at most INPUT_VALUES values
# (256 rows of 20 features; 26 rows of 224x224x3 images) and batches at most BATCH_VALUES.
INPUT_VALUES = 4_000_000
BATCH_VALUES = 600_000
MIN_ROWS = 8
SYNTHETIC_ROWS = 128  # standard-normal rows measured without a data sample
LEARN_START_STEPS = 8  # a learn trial needs at least this many gradient steps' time left to start
LEARN_ROWS = 32
LEARN_STEPS = 300
LEARN_RATE = 1e-3
# Learned: the loss on the rows fell to LEARNED_SHARE of its start, or below LEARNED_LOSS.
LEARNED_SHARE = 0.1
LEARNED_LOSS = 0.05


def probe(source_path: str, config: dict[str, Any], x: np.ndarray | None, y: np.ndarray | None,
          progress: Progress = NO_PROGRESS, budget: float = 30.0, images: list[str] = ()) -> dict[str, Any]:
    """Measure the model of ``config`` (weights from ``source_path``) on ``x``/``y``, or on the
    image files ``images`` decoded to the model's input size (pixel values 0-255, as Keras'
    ``image_dataset_from_directory`` gives them)."""
    start = time.monotonic()
    from app.probe.rebuild import rebuilt_model

    model, rebuilt = rebuilt_model(source_path, config, progress)
    if x is None and not images:  # the model alone: its weights, and its units on synthetic inputs
        out = {"rows": 0, "notes": list(rebuilt.notes), "skipped": ["loss, gradients, outputs: no data sample"],
               "layers_reinitialized": [name for name, _ in rebuilt.layers_reinitialized],
               "layers_nonfinite": list(rebuilt.layers_nonfinite), "weights": _weight_stats(model)}
        synthetic = _synthetic_inputs(model)
        if out["layers_reinitialized"] or out["layers_nonfinite"]:
            out["skipped"].append("activations: some layers' saved weights were not used (NaN/inf, or shapes that "
                                  "do not fit), so the model measured would not be the saved one")
        elif synthetic is None:
            out["skipped"].append("activations: the model's input shape is not fixed (no synthetic inputs)")
        else:
            progress.report(0.8, "measuring activations on synthetic inputs")
            found = _activations(model, synthetic, _batch_rows(synthetic), start + budget)
            out.update(inputs="synthetic", rows=found.pop("rows_measured"), relu_layers=found["relu_layers"],
                       saturated_layers=found["saturated_layers"])
        out["seconds"] = round(time.monotonic() - start, 2)
        return out
    if images:
        progress.report(0.78, f"decoding {len(images)} images")
        x = _decode_images(model, images)
    per_row = max(1, int(np.prod(x.shape[1:])))
    rows = max(MIN_ROWS, min(PROBE_ROWS, INPUT_VALUES // per_row))
    batch = _batch_rows(x)
    x = np.asarray(x[:rows], dtype=np.float32)
    y = None if y is None else np.asarray(y[:rows])
    out: dict[str, Any] = {"rows": int(x.shape[0]), "batch": batch, "notes": list(rebuilt.notes),
                           "layers_reinitialized": [name for name, _ in rebuilt.layers_reinitialized],
                           "layers_nonfinite": list(rebuilt.layers_nonfinite), "weights": _weight_stats(model),
                           "skipped": []}
    _check_shape(model, x)
    deadline = start + budget
    progress.report(0.8, "measuring activations")
    out.update(_activations(model, x, batch, deadline))
    if out["rows_measured"] < x.shape[0]:
        out["skipped"].append(f"activations: measured on {out['rows_measured']} of {x.shape[0]} rows "
                              "(the time budget was used up)")
    if y is not None and rebuilt.compiled and getattr(model, "loss", None) is not None:
        progress.report(0.85, "measuring the loss and its gradients")
        timing: dict[str, float] = {}

        def gradients() -> None:
            began = time.monotonic()
            out["gradients"] = _gradients(model, x[:batch], y[:batch])
            timing["step"] = time.monotonic() - began

        def learn() -> None:
            # A training step costs about a gradient step, and fit() first traces its graph (a few
            # steps' worth): a trial the budget cannot hold is not started.
            needed = LEARN_START_STEPS * timing.get("step", 0.0)
            if deadline - time.monotonic() < needed:
                out["skipped"].append(f"learn trial: the time budget left ({max(0.0, deadline - time.monotonic()):.0f} s) "
                                      f"is below the ~{needed:.0f} s it needs to start")
                return
            out["learn_trial"] = _learn_trial(config, model, x, y, deadline)

        steps = (("loss", lambda: out.update(_losses(model, x, y, batch, deadline))),
                 ("gradients", gradients), ("learn trial", learn))
        for what, step in steps:
            if time.monotonic() >= deadline:
                out["skipped"].append(f"{what}: the time budget was used up")
                continue
            try:
                step()
            except Exception as error:  # labels the loss cannot take: Keras says so, the rest still counts
                out["skipped"].append(f"{what}: Keras could not compute it on the sample ({_short(error)})")
    else:
        out["skipped"].append("loss and gradients: " + ("no labels in the sample" if y is None
                                                         else "the model has no compile settings"))
    out["seconds"] = round(time.monotonic() - start, 2)
    progress.report(1.0, "probe done")
    return out


def _batch_rows(x: np.ndarray) -> int:
    """Rows of ``x`` in one batch: BATCH, fewer for big inputs (at most BATCH_VALUES values)."""
    return max(1, min(BATCH, BATCH_VALUES // max(1, int(np.prod(x.shape[1:])))))


def _synthetic_inputs(model: Any) -> np.ndarray | None:
    """Standard-normal rows of the model's input shape (SYNTHETIC_ROWS, fewer for big inputs;
    seeded): what the checks that need no labels run on without a data sample. None when the
    model has several inputs or a dimension that is not fixed."""
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1:
        return None
    shape = tuple(inputs[0].shape[1:])
    if not shape or any(d is None for d in shape):
        return None
    per_row = max(1, int(np.prod(shape)))
    rows = max(MIN_ROWS, min(SYNTHETIC_ROWS, INPUT_VALUES // per_row))
    return np.random.default_rng(0).standard_normal((rows, *shape)).astype(np.float32)


MAX_SAVED_ARRAYS = 100_000  # arrays looked at in a model file read without a model


def saved_weights(source_path: str, reasons: list[str]) -> dict[str, Any]:
    """What a model that is not rebuilt (a Lambda or custom layer: ``reasons``) still shows:
    its saved arrays read as data (h5py, the file checked to hold only its own data), per
    layer group the RMS and largest magnitude of its largest array, and the layers holding
    NaN/inf. Nothing of the model runs."""
    import h5py

    from app.io.hdf5_data_only import check_data_only
    from app.io.readers import h5_file
    from app.probe.rebuild import _open_keras_archive, _source_kind

    start = time.monotonic()
    groups: dict[str, list[Any]] = {}

    def visit(root: Any, layer_of) -> None:
        def item(name: str, node: Any) -> None:
            if isinstance(node, h5py.Dataset) and len(groups) < MAX_SAVED_ARRAYS and node.dtype.kind == "f":
                groups.setdefault(layer_of(name), []).append(node)
        root.visititems(item)

    def stats() -> None:
        for layer, arrays in groups.items():
            values = [np.asarray(array[()], dtype=np.float64) for array in arrays]
            largest = max(values, key=lambda v: v.size)
            finite = largest[np.isfinite(largest)]
            found["weights"].append({"layer": layer, "weight_rms": number(float(np.sqrt(np.mean(finite * finite))))
                                     if finite.size else number(float("nan")),
                                     "max_abs": number(float(np.max(np.abs(finite)))) if finite.size else 0.0,
                                     "trainable": None})
            if any(not np.all(np.isfinite(v)) for v in values):
                found["layers_nonfinite"].append(layer)

    found: dict[str, Any] = {"rows": 0, "inputs": "none", "weights": [], "layers_nonfinite": [], "notes": [],
                             "refused": list(reasons),
                             "skipped": ["everything that runs the model: its config holds objects TrainDoc does not "
                                         "rebuild (" + "; ".join(reasons[:3]) + "); its saved weights are read as data"]}
    if _source_kind(source_path) == "keras":
        with _open_keras_archive(source_path) as (_config, weights):
            if weights is not None:  # layers/<name>/vars/<i>, nested models under layers/<model>/layers/...
                visit(weights, lambda name: name.rsplit("/vars/", 1)[0].replace("layers/", ""))
                stats()
    else:
        with h5py.File(source_path, "r") as root:
            check_data_only(root, source_path, h5_file._EXPECTED)
            group = root.get("model_weights")
            if isinstance(group, h5py.Group):
                visit(group, lambda name: name.split("/", 1)[0])
                stats()
    if not groups:
        found["notes"].append("the file holds no weight arrays")
    found["seconds"] = round(time.monotonic() - start, 2)
    return found


class ProbeInputError(Exception):
    """The sample does not fit the model (its shape); the message says how."""


def _weight_stats(model: Any) -> list[dict[str, Any]]:
    """Per layer with a kernel, in model order: RMS and largest magnitude of the kernel, and
    whether it trains (a layer saved with NaN/inf weights is in ``layers_nonfinite`` and was
    rebuilt from its initializer)."""
    found = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        weights = np.asarray(kernel.numpy(), dtype=np.float64)
        found.append({"layer": layer.name, "weight_rms": number(float(np.sqrt(np.mean(weights * weights)))),
                      "max_abs": number(float(np.max(np.abs(weights)))) if weights.size else 0.0,
                      "trainable": bool(layer.trainable)})
    return found


def _decode_images(model: Any, files: list[str]) -> np.ndarray:
    """The image files as one float32 batch of the model's input height, width and channels."""
    import tensorflow as tf

    shape = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else ()
    if len(shape) != 3 or shape[0] is None or shape[1] is None:
        raise ProbeInputError(f"the model takes inputs of shape {shape}, not images of a fixed size")
    height, width, channels = shape
    rows = []
    for path in files:
        try:
            image = tf.io.decode_image(tf.io.read_file(path), channels=channels or 3, expand_animations=False)
        except Exception as error:  # a file that is no image (or a broken one): named
            raise ProbeInputError(f"{path}: not a readable image ({_short(error)})") from None
        rows.append(tf.image.resize(tf.cast(image, tf.float32), (height, width)).numpy())
    return np.stack(rows).astype(np.float32)


def _check_shape(model: Any, x: np.ndarray) -> None:
    wanted = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    if wanted is not None and tuple(x.shape[1:]) != tuple(d if d is not None else x.shape[i + 1]
                                                         for i, d in enumerate(wanted)):
        raise ProbeInputError(f"the sample's rows have shape {tuple(x.shape[1:])}, the model takes {wanted}")


def _activation_name(layer: Any) -> str | None:
    import keras

    if isinstance(layer, keras.layers.ReLU):
        return "relu"
    return getattr(getattr(layer, "activation", None), "__name__", None)


def _watched_layers(model: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The ReLU layers, the hidden sigmoid/tanh layers (not the model's outputs: a confident
    classifier's output saturates by design; not recurrent layers) and the BatchNormalization
    layers."""
    outputs = {id(tensor) for tensor in getattr(model, "outputs", None) or []}
    relu, saturating, batchnorm = [], [], []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        name = _activation_name(layer)
        if name in RELU_ACTIVATIONS:
            relu.append(layer)
        elif name in SATURATING and id(getattr(layer, "output", None)) not in outputs \
                and getattr(layer, "cell", None) is None:  # a recurrent layer's output is no plain tanh
            saturating.append(layer)
        if type(layer).__name__.startswith("BatchNormalization") and getattr(layer, "moving_mean", None) is not None:
            batchnorm.append(layer)
    return relu, saturating, batchnorm


def _activations(model: Any, x: np.ndarray, batch: int, deadline: float) -> dict[str, Any]:
    """Per ReLU layer the units (last axis) whose output is 0 for every row and position; per
    hidden sigmoid/tanh layer the share of saturated outputs; per BatchNormalization layer its
    inputs' mean and variance per channel. One batch at a time (reduced at once), until the
    deadline."""
    import keras

    relu, saturating, batchnorm = _watched_layers(model)
    found: dict[str, Any] = {"relu_layers": [], "saturated_layers": [], "batchnorm": [], "rows_measured": int(x.shape[0])}
    if not (relu or saturating or batchnorm):
        return found
    try:
        features = keras.Model(model.inputs, [layer.output for layer in relu + saturating]
                               + [layer.input for layer in batchnorm])
    except Exception:  # a subclassed or not-built model exposes no symbolic outputs
        return found
    active: list[np.ndarray | None] = [None] * len(relu)
    saturated = [[0, 0] for _ in saturating]  # saturated values, values
    moments = [[0, None, None] for _ in batchnorm]  # positions, sum, sum of squares per channel
    rows = 0
    for begin in range(0, x.shape[0], batch):
        if begin and time.monotonic() >= deadline:
            break
        outputs = features(x[begin:begin + batch], training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        values = [keras.ops.convert_to_numpy(value) for value in outputs]
        rows += min(batch, x.shape[0] - begin)
        for index, value in enumerate(values[:len(relu)]):
            fired = np.any(value.reshape(-1, value.shape[-1]) > 0, axis=0)
            active[index] = fired if active[index] is None else active[index] | fired
        for index, (layer, value) in enumerate(zip(saturating, values[len(relu):len(relu) + len(saturating)])):
            low, high = SATURATING[_activation_name(layer)]
            saturated[index][0] += int(np.count_nonzero((value < low) | (value > high)))
            saturated[index][1] += int(value.size)
        for index, value in enumerate(values[len(relu) + len(saturating):]):
            table = np.asarray(value, dtype=np.float64).reshape(-1, value.shape[-1])
            count, total, squares = moments[index]
            moments[index] = [count + table.shape[0], table.sum(axis=0) + (0 if total is None else total),
                              (table * table).sum(axis=0) + (0 if squares is None else squares)]
    found["rows_measured"] = rows
    for layer, fired in zip(relu, active):
        if fired is not None:
            found["relu_layers"].append({"layer": layer.name, "units": int(fired.size),
                                         "dead": int(fired.size - int(fired.sum())),
                                         "dead_share": round(float(1 - fired.mean()), 4) if fired.size else 0.0})
    for layer, (hits, total) in zip(saturating, saturated):
        if total:
            found["saturated_layers"].append({"layer": layer.name, "activation": _activation_name(layer),
                                              "saturated_share": round(hits / total, 4)})
    for layer, (count, total, squares) in zip(batchnorm, moments):
        if count:
            found["batchnorm"].append(_batchnorm_stats(layer, count, total, squares))
    return found


def _batchnorm_stats(layer: Any, count: int, total: np.ndarray, squares: np.ndarray) -> dict[str, Any]:
    """The sample's mean and variance of a BN layer's inputs against its moving ones: the RMS
    over channels of (sample mean - moving mean) / moving std, and the median variance ratio."""
    mean = total / count
    variance = np.maximum(squares / count - mean * mean, 0.0)
    moving_mean = np.asarray(layer.moving_mean.numpy(), dtype=np.float64).ravel()
    moving_variance = np.asarray(layer.moving_variance.numpy(), dtype=np.float64).ravel()
    if moving_mean.shape != mean.shape:  # a BN over another axis than the last: not compared
        return {"layer": layer.name, "channels": int(mean.size)}
    std = np.sqrt(moving_variance + float(getattr(layer, "epsilon", 1e-3)))
    shift = (mean - moving_mean) / std
    return {"layer": layer.name, "channels": int(mean.size),
            "mean_shift": number(float(np.sqrt(np.mean(shift * shift)))),
            "variance_ratio": number(float(np.median(variance / (std * std))))}


def _loss_value(model: Any, x: np.ndarray, y: np.ndarray, predictions: Any, training: bool) -> Any:
    """The compiled loss (Keras' own wrapper: label shapes, reductions, weight penalties)."""
    return model.compute_loss(x=x, y=y, y_pred=predictions, training=training)


def _number(value: Any) -> float:
    import keras

    return float(np.mean(keras.ops.convert_to_numpy(value)))


def _losses(model: Any, x: np.ndarray, y: np.ndarray, batch: int, deadline: float) -> dict[str, Any]:
    """The loss on the sample in inference and in training mode (the same weights), batch by
    batch, weighted by the batch's rows, until the deadline; with the inference-mode outputs'
    accuracy, most predicted class share and entropy."""
    import keras

    totals = {False: 0.0, True: 0.0}
    rows = 0
    predictions = []
    for begin in range(0, x.shape[0], batch):
        if begin and time.monotonic() >= deadline:
            break
        xb, yb = x[begin:begin + batch], y[begin:begin + batch]
        for training in (False, True):
            outputs = model(xb, training=training)
            totals[training] += _number(_loss_value(model, xb, yb, outputs, training)) * len(xb)
            if not training and not isinstance(outputs, (list, tuple, dict)):
                predictions.append(np.asarray(keras.ops.convert_to_numpy(outputs), dtype=np.float64))
        rows += len(xb)
    found = {"loss_inference": number(totals[False] / rows), "loss_training_mode": number(totals[True] / rows),
             "loss_rows": rows}
    if predictions:
        found.update(_output_facts(np.concatenate(predictions), y[:rows]))
    found["batchnorm_layers"] = sum(1 for layer in model._flatten_layers(include_self=False, recursive=True)
                                    if type(layer).__name__.startswith("BatchNormalization"))
    return found


def predicted_classes(table: np.ndarray) -> np.ndarray:
    """The class each row of outputs (rows x units, finite) answers: argmax, or for one unit a
    threshold at 0.5 (outputs within [0, 1]) or at 0 (a linear output)."""
    if table.shape[1] == 1:
        inside = table.min() >= 0 and table.max() <= 1
        return (table[:, 0] > (0.5 if inside else 0.0)).astype(np.int64)
    return np.argmax(table, axis=1)


def class_labels(y: np.ndarray, units: int) -> np.ndarray | None:
    """The labels as class ids (one-hot rows of ``units`` columns by argmax), or None when they
    are no class ids (several columns, NaN, fractions)."""
    labels = np.asarray(y)
    if labels.dtype.kind not in "biuf":
        return None
    if labels.ndim == 2 and labels.shape[1] == units and units > 1:
        labels = np.argmax(labels, axis=1)
    labels = labels.reshape(labels.shape[0], -1)
    if labels.shape[1] != 1 or not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
        return None
    return labels[:, 0].astype(np.int64)


def _output_facts(outputs: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """What the inference-mode outputs say: the output units, their RMS, the share of the most predicted
    class, the accuracy against the labels (one unit: a threshold at 0.5 for outputs in [0, 1],
    else at 0), and for probability rows (softmax) the mean entropy over ln(units)."""
    table = outputs.reshape(outputs.shape[0], -1)
    units = table.shape[1]
    # the crossentropy of the uniform guess: ln C over C softmax units, ln 2 for one sigmoid unit
    found: dict[str, Any] = {"output_units": int(units), "chance_loss": round(math.log(max(2, units)), 4)}
    if not np.all(np.isfinite(table)):
        return found
    found["output_rms"] = number(float(np.sqrt(np.mean(table * table))))  # the logits' scale for a linear output
    predicted = predicted_classes(table)
    counts = np.bincount(predicted)
    found["predicted_share"] = round(float(counts.max() / predicted.size), 4)
    labels = class_labels(y, units)
    if labels is not None:
        found["accuracy_inference"] = round(float(np.mean(predicted == labels)), 4)
    if units > 1 and table.min() >= 0 and np.allclose(table.sum(axis=1), 1.0, atol=1e-3):
        p = np.clip(table, 1e-12, 1.0)
        found["output_entropy"] = round(float(np.mean(-(p * np.log(p)).sum(axis=1)) / math.log(units)), 4)
    return found


def _gradients(model: Any, x: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """Per weight layer, in model order: RMS of the kernel's loss gradient and of the kernel."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        value = _loss_value(model, x, y, model(x, training=True), True)
    kernels = [(layer, layer.kernel) for layer in model._flatten_layers(include_self=False, recursive=True)
               if getattr(layer, "kernel", None) is not None and layer.trainable]
    grads = tape.gradient(value, [kernel for _, kernel in kernels])
    found = []
    for (layer, kernel), grad in zip(kernels, grads):
        weights = np.asarray(kernel.numpy(), dtype=np.float64)
        g = np.asarray(grad.numpy(), dtype=np.float64) if grad is not None else np.zeros_like(weights)
        found.append({"layer": layer.name, "grad_rms": number(float(np.sqrt(np.mean(g * g)))),
                      "weight_rms": number(float(np.sqrt(np.mean(weights * weights)))),
                      "nonfinite": int(np.count_nonzero(~np.isfinite(g)))})
    return found


def _learn_trial(config: dict[str, Any], trained: Any, x: np.ndarray, y: np.ndarray, deadline: float) -> dict[str, Any]:
    """A fresh copy of the model, trained full-batch on the first LEARN_ROWS rows with Adam."""
    import keras

    from app.probe.rebuild import fresh_model

    fresh = fresh_model(config)
    fresh.compile(optimizer=keras.optimizers.Adam(LEARN_RATE), loss=trained.loss)
    rows = min(LEARN_ROWS, x.shape[0], max(MIN_ROWS, BATCH_VALUES // max(1, int(np.prod(x.shape[1:])))))
    xs, ys = x[:rows], y[:rows]
    history: list[float] = []

    class _Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            history.append(float((logs or {}).get("loss", np.nan)))
            if time.monotonic() > deadline or (len(history) > 1 and _learned(history)):
                self.model.stop_training = True

    start_loss = _number(_loss_value(fresh, xs, ys, fresh(xs, training=False), False))
    fresh.fit(xs, ys, batch_size=rows, epochs=LEARN_STEPS, verbose=0, shuffle=False, callbacks=[_Stop()])
    end_loss = _number(_loss_value(fresh, xs, ys, fresh(xs, training=False), False))
    curve = [start_loss, *history]
    return {"rows": int(rows), "steps": len(history), "optimizer": f"Adam({LEARN_RATE:g})",
            "loss_start": number(start_loss), "loss_end": number(end_loss),
            "learned": bool(_learned([start_loss, end_loss])), "stopped_by_budget": time.monotonic() > deadline,
            "curve": [number(v) for v in curve[:: max(1, len(curve) // 20)]]}


def _learned(losses: list[float]) -> bool:
    first, last = losses[0], losses[-1]
    if not (math.isfinite(first) and math.isfinite(last)):
        return False
    return last <= LEARNED_LOSS or (first > 0 and last <= LEARNED_SHARE * first)


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}"
