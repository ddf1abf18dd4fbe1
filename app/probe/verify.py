"""Verify a fix (``traindoc verify``, *Try this fix*): the client side of the A/B trial.

Pure Python (no TensorFlow): the arms are built here — the original model config and its fit
settings, and for each fix the config and settings ``traindoc patch`` would write (the same
:func:`app.patches.plan`) — the data sample is split into a training and a validation part,
and one worker process (:mod:`app.probe.trial`) trains them all, streaming every epoch. The
verdict of each fix against the original is :func:`app.rules.verified.verdict`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from app.core.progress import NO_PROGRESS, Progress

VALIDATION_SHARE = 0.2  # of the sample's rows, chosen at random (seeded), for validation
MIN_TRAIN_ROWS = 16
MIN_VALIDATION_ROWS = 8
TRIAL_ROWS = 2048  # rows of the sample used at most (a short trial, on CPU)
DEFAULT_SEEDS = 3
DEFAULT_BUDGET = 60.0


class TrialInputError(Exception):
    """The sample cannot hold a trial (none, no labels, too small): the message says what is needed."""


@dataclass
class TrialArm:
    name: str  # "original", or the fix's patch id
    config: dict
    training: dict
    fix: str | None = None
    cause: str | None = None


@dataclass
class TrialPlan:
    arms: list[TrialArm]
    not_tried: list[str] = field(default_factory=list)  # fixes that could not become an arm, and why


def trial_arms(document: Any, patches: list[Any], base_training: dict | None = None) -> TrialPlan:
    """The original arm and one arm per patch (each fix alone against the original)."""
    from app.patches import plan

    base = dict(base_training or {})
    arms = [TrialArm("original", document.config, base)]
    not_tried: list[str] = []
    for patch in patches:
        result = plan(document, [patch], dict(base))
        if not result.applied:
            reasons = "; ".join(r.describe("en") for r in result.refused) or "it changes nothing in the model or its settings"
            not_tried.append(f"{patch.id}: not tried ({reasons})")
            continue
        if result.unsafe:
            not_tried.append(f"{patch.id}: not tried (the patched config holds objects TrainDoc does not rebuild)")
            continue
        arms.append(TrialArm(patch.id, result.document.config, result.training, fix=patch.id, cause=patch.cause))
    return TrialPlan(arms, not_tried)


def split_sample(sample: Any, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, x_val, y_val): a seeded random VALIDATION_SHARE for validation; the training rows
    keep their order in the file (class-sorted data stays sorted: that is part of the setup)."""
    if sample is None or getattr(sample, "x", None) is None:
        raise TrialInputError("a trial needs a data sample with inputs (--data: .npz, .npy or CSV/TSV)")
    if sample.y is None:
        raise TrialInputError(f"{sample.path}: a trial needs labels in the data sample (y)")
    rows = min(len(sample.x), len(sample.y), TRIAL_ROWS)
    validation = max(MIN_VALIDATION_ROWS, int(round(VALIDATION_SHARE * rows)))
    if rows - validation < MIN_TRAIN_ROWS:
        raise TrialInputError(f"{sample.path}: {rows} rows are too few for a trial: it needs "
                              f"{MIN_TRAIN_ROWS + MIN_VALIDATION_ROWS} at least (training and validation)")
    chosen = np.zeros(rows, dtype=bool)
    chosen[np.random.default_rng(seed).choice(rows, size=validation, replace=False)] = True
    x, y = np.asarray(sample.x[:rows]), np.asarray(sample.y[:rows])
    return x[~chosen], y[~chosen], x[chosen], y[chosen]


def run_trial(model_path: str, plan: TrialPlan, sample: Any, *, seeds: int = DEFAULT_SEEDS,
              budget: float = DEFAULT_BUDGET, from_saved: bool = False, progress: Progress = NO_PROGRESS,
              on_epoch: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Train the arms in one worker and judge each fix: ``{"trials": [...], "original": ...}``."""
    from app.probe.client import run_worker
    from app.rules.verified import judge

    x, y, x_val, y_val = split_sample(sample)
    with tempfile.TemporaryDirectory(prefix="traindoc-trial-") as folder:
        path = os.path.join(folder, "sample.npz")
        np.savez(path, x=x, y=y, x_val=x_val, y_val=y_val)
        request = {"op": "trial", "source": os.fspath(model_path), "sample": path, "seeds": int(seeds),
                   "budget": float(budget), "from_saved": bool(from_saved),
                   "arms": [{"name": a.name, "fix": a.fix, "cause": a.cause, "config": a.config,
                             "training": a.training} for a in plan.arms]}

        def data(message: dict) -> None:
            if on_epoch is not None and isinstance(message.get("trial_epoch"), dict):
                on_epoch(message["trial_epoch"])

        raw = run_worker(request, progress, timeout=float(budget) * 3 + 120, on_data=data)
    return judge(raw, not_tried=plan.not_tried)
