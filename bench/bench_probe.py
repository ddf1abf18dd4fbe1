"""How long the probe takes (issue 15: goal ≤ 30 s for models up to 5M parameters, 2 CPU cores).

Four models, saved once by real Keras to ``bench/out/probe_*.keras`` (an MLP, a small CNN, a
~5M-parameter CNN and ResNet50 with 25.6M), each probed on a random sample of 256 rows of its
input shape (``app.probe.run_probe``: a new TensorFlow worker process, the model rebuilt from
its config with its weights, dead units, per-layer gradients, the loss in both modes). The
baseline, interleaved in the same run: what a user would do otherwise, a fresh Python process
that calls ``keras.models.load_model`` on the same file and ``model.evaluate`` on the same
sample (no gradients, no per-layer outputs). Both include starting Python and importing
TensorFlow. The worker's own ``seconds`` (importing TensorFlow, rebuilding, measuring) is printed too.

    .venv/bin/python bench/bench_probe.py [--only mlp|cnn|cnn5m|resnet50]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
sys.path.insert(0, ROOT)

BUILD = r"""
import sys, keras
from keras import layers
name, path = sys.argv[1], sys.argv[2]
keras.utils.set_random_seed(0)
if name == "mlp":
    model = keras.Sequential([keras.Input((20,)), layers.Dense(64, activation="relu"),
                              layers.Dense(64, activation="relu"), layers.Dense(3, activation="softmax")])
elif name == "cnn":
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(32, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Conv2D(64, 3, activation="relu"),
                              layers.BatchNormalization(), layers.GlobalAveragePooling2D(),
                              layers.Dense(10, activation="softmax")])
elif name == "cnn5m":
    model = keras.Sequential([keras.Input((64, 64, 3)), layers.Conv2D(64, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Conv2D(128, 3, activation="relu"),
                              layers.BatchNormalization(), layers.MaxPooling2D(),
                              layers.Conv2D(256, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Conv2D(512, 3, activation="relu"), layers.BatchNormalization(),
                              layers.Flatten(), layers.Dense(256, activation="relu"),
                              layers.Dense(10, activation="softmax")])
else:
    model = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=10)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.save(path)
print(model.count_params())
"""

BASELINE = r"""
import sys, numpy as np, keras
model = keras.models.load_model(sys.argv[1])
data = np.load(sys.argv[2])
model.evaluate(data["x"], data["y"], batch_size=64, verbose=0)
"""

SHAPES = {"mlp": (20,), "cnn": (32, 32, 3), "cnn5m": (64, 64, 3), "resnet50": (224, 224, 3)}
CLASSES = {"mlp": 3, "cnn": 10, "cnn5m": 10, "resnet50": 10}


def _model(name: str) -> tuple[str, int]:
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"probe_{name}.keras")
    count_path = path + ".params"
    if not os.path.exists(path):
        done = subprocess.run([sys.executable, "-c", BUILD, name, path], capture_output=True, text=True, check=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        with open(count_path, "w") as handle:
            handle.write(done.stdout.strip().splitlines()[-1])
    with open(count_path) as handle:
        return path, int(handle.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=tuple(SHAPES))
    args = parser.parse_args()
    from app.io.data_sample import DataSample
    from app.probe import run_probe

    print(f"{os.cpu_count()} CPU cores; goal: the probe within 30 s for models up to 5M parameters")
    for name in ([args.only] if args.only else list(SHAPES)):
        path, params = _model(name)
        rng = np.random.default_rng(0)
        x = rng.random((256, *SHAPES[name]), dtype=np.float32)
        y = rng.integers(0, CLASSES[name], 256)
        sample = DataSample("random", "npz", x, y, len(x))
        os.environ["TRAINDOC_CACHE"] = tempfile.mkdtemp(prefix="bench-probe-cache-")  # measured, not cached
        start = time.perf_counter()
        measured = run_probe(path, sample)
        ours = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as folder:
            sample_path = os.path.join(folder, "sample.npz")
            np.savez(sample_path, x=x, y=y)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", BASELINE, path, sample_path], check=True, capture_output=True,
                           env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
            base = time.perf_counter() - start
        layers = len(measured.get("gradients") or [])
        print(f"{name}: {params:,} parameters, {layers} weight layers: probe {ours:.1f} s "
              f"(in the worker {measured.get('seconds')} s, {measured.get('rows')} rows); baseline load_model + evaluate {base:.1f} s; "
              f"ratio {ours / base:.2f}")
        trial = measured.get("learn_trial") or {}
        print(f"    learn trial: {trial.get('steps', '-')} steps; skipped: {'; '.join(measured.get('skipped') or []) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
