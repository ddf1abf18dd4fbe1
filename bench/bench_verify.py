"""How long the A/B trial of a fix takes (issue 16: a verdict within 90 s for models up to 1M
parameters, 2 CPU cores), with its defaults (60 s budget, 3 seeds).

Three models saved by real Keras (``bench/out/probe_*.keras``, the probe benchmark's: an MLP and
a small CNN; and a CNN of 3.65M parameters, beyond the goal's size), each tried with one fix
(``set_learning_rate``, a tenth of the rate) on 512 random rows of its input shape:
``app.probe.verify.run_trial``, a new TensorFlow worker training both arms 3 times. The
baseline, interleaved in the same run: what a user does otherwise, two fresh Python processes
(the original and the changed setup, by hand) that load the model and ``fit`` it for as many
epochs as the trial gave each run, once (one seed).

    .venv/bin/python bench/bench_verify.py [--only mlp|cnn|cnn5m] [--budget 60] [--seeds 3]
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
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from bench_probe import CLASSES, SHAPES, _model  # noqa: E402  (the same saved models)

BASELINE = r"""
import sys, numpy as np, keras
model = keras.models.load_model(sys.argv[1])
data = np.load(sys.argv[2])
model.fit(data["x"], data["y"], batch_size=32, epochs=int(sys.argv[3]), validation_data=(data["x_val"], data["y_val"]),
          verbose=0)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("mlp", "cnn", "cnn5m"))
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    from app.io.data_sample import DataSample
    from app.patches import Patch, load_document
    from app.probe.verify import run_trial, split_sample, trial_arms

    print(f"{os.cpu_count()} CPU cores; budget {args.budget:g} s, {args.seeds} seeds; goal: the verdict within 90 s "
          "for models up to 1M parameters")
    for name in ([args.only] if args.only else ["mlp", "cnn", "cnn5m"]):
        path, params = _model(name)
        rng = np.random.default_rng(0)
        x = rng.random((512, *SHAPES[name]), dtype=np.float32)
        y = rng.integers(0, CLASSES[name], 512)
        sample = DataSample("random", "npz", x, y, len(x))
        plan = trial_arms(load_document(path), [Patch("set_learning_rate", {"factor": 0.1})])
        start = time.perf_counter()
        result = run_trial(path, plan, sample, seeds=args.seeds, budget=args.budget)
        ours = time.perf_counter() - start
        epochs = max(1, result["trials"][0]["patched"]["epochs"])
        x_train, y_train, x_val, y_val = split_sample(sample)
        with tempfile.TemporaryDirectory() as folder:
            data = os.path.join(folder, "sample.npz")
            np.savez(data, x=x_train, y=y_train, x_val=x_val, y_val=y_val)
            start = time.perf_counter()
            for _ in range(2):  # the original and the changed setup, by hand, one seed each
                subprocess.run([sys.executable, "-c", BASELINE, path, data, str(epochs)], check=True,
                               capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
            base = time.perf_counter() - start
        trial = result["trials"][0]
        print(f"{name}: {params:,} parameters: verdict '{trial['verdict']}' in {ours:.1f} s (the worker: "
              f"{result['seconds']} s; {args.seeds} seeds x 2 setups, {epochs} epochs each); baseline, two "
              f"fresh processes fitting {epochs} epochs once each: {base:.1f} s; ratio {ours / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
