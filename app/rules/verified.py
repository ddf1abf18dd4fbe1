"""The verdict of a fix's A/B trial (``traindoc verify``, *Try this fix*) and the evidence it
gives the cause the fix answers. Pure Python: the worker's histories in, plain JSON data out.

The trial's metric is the balanced accuracy on the validation split measured by the worker
itself (``val_balanced_accuracy``: the mean over the classes of the share of their rows
predicted right, so answering the majority class scores 1/C), the same for every arm: the
arms' own ``val_accuracy`` can be different metrics (binary accuracy under binary
crossentropy, categorical accuracy under categorical crossentropy) and their losses different
losses. Without class labels, ``val_loss``, comparable only when the arms share the loss.
"""

from __future__ import annotations

import math
from typing import Any

from app.core.diagnosis import Evidence
from app.core.i18n import T
from app.core.serialize import from_number

LAST_EPOCHS = 3  # a run's result: the mean of its last epochs (one noisy epoch does not decide)
# A clear difference: at least MIN_ACCURACY_EFFECT of validation accuracy (or MIN_LOSS_EFFECT of
# the original's validation loss) and at least SE_FACTOR standard errors of it. Both arms of a
# seed start from the same initialization, so the seeds pair them: the standard error is that of
# the per-seed differences (what the seed does to both arms cancels), unpaired when a seed lacks
# one of the arms. On the fixture runs (bench/verify_accuracy.py, 24 s, 2 seeds) the healthy
# runs' arms end 0.000-0.005 apart (a fix for a cause they do not have), the "helps" verdicts
# 0.12-0.74 apart; 2 standard errors is the usual two-sided 95 % bound.
MIN_ACCURACY_EFFECT = 0.05
MIN_LOSS_EFFECT = 0.1
SE_FACTOR = 2.0
HELPS_WEIGHT, WORSE_WEIGHT, NO_DIFFERENCE_WEIGHT = 0.6, -0.5, -0.2

HELPS = T("tried on the data sample: {fix} takes {metric} from {original} to {patched} over {seeds} seed(s) "
          "({epochs} epochs each): the fix helps",
          "在数据样本上试验：{fix} 使 {metric} 从 {original} 变为 {patched}（{seeds} 个种子，每个约 {epochs} 轮）：修复有效")
WORSE = T("tried on the data sample: {fix} takes {metric} from {original} to {patched} over {seeds} seed(s): "
          "the fix makes it worse",
          "在数据样本上试验：{fix} 使 {metric} 从 {original} 变为 {patched}（{seeds} 个种子）：修复反而更差")
NO_DIFFERENCE = T("tried on the data sample: {fix} gives {metric} {patched} against {original} for the original "
                  "over {seeds} seed(s): no clear difference",
                  "在数据样本上试验：{fix} 得到 {metric} {patched}，原设置为 {original}（{seeds} 个种子）：没有明显差异")
TEXTS = {"helps": ("fix_helps_measured", HELPS, HELPS_WEIGHT), "worse": ("fix_worse_measured", WORSE, WORSE_WEIGHT),
         "no_difference": ("fix_no_difference_measured", NO_DIFFERENCE, NO_DIFFERENCE_WEIGHT)}


def _run_value(run: dict, metric: str) -> float | None:
    values = [from_number(v) for v in (run.get("history") or {}).get(metric) or []]
    tail = values[-LAST_EPOCHS:]
    if not tail:
        return None
    if not all(math.isfinite(v) for v in tail):
        return -math.inf if metric.endswith("accuracy") else math.inf  # a run that went NaN: the worst
    return sum(tail) / len(tail)


def _summary(arm: dict, metric: str) -> dict[str, Any]:
    """Mean and spread over the seeds of the runs' results (a run that went NaN counts as the
    worst result there is)."""
    values = [v for v in (_run_value(run, metric) for run in arm.get("runs") or []) if v is not None]
    if not values:
        mean, spread = math.nan, 0.0
    elif not all(math.isfinite(v) for v in values):
        mean, spread = (-math.inf if metric.endswith("accuracy") else math.inf), 0.0
    else:
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    epochs = [run.get("epochs", 0) for run in arm.get("runs") or []]
    return {"mean": mean, "std": spread, "values": values, "runs": len(values),
            "epochs": round(sum(epochs) / len(epochs)) if epochs else 0, "error": arm.get("error"),
            "run_errors": [run["error"] for run in arm.get("runs") or [] if run.get("error")]}


def trial_metric(arms: list[dict]) -> str:
    """``val_balanced_accuracy`` when the worker measured it in every arm, else ``val_loss``."""
    histories = [run.get("history") or {} for arm in arms for run in arm.get("runs") or []]
    if histories and all("val_balanced_accuracy" in h for h in histories):
        return "val_balanced_accuracy"
    return "val_loss"


def paired_differences(original_arm: dict, patched_arm: dict, metric: str) -> list[float]:
    """Per seed that both arms ran to a finite result: patched minus original (better > 0)."""
    sign = 1.0 if metric.endswith("accuracy") else -1.0
    first = {run.get("seed"): _run_value(run, metric) for run in original_arm.get("runs") or []}
    found = []
    for run in patched_arm.get("runs") or []:
        a, b = first.get(run.get("seed")), _run_value(run, metric)
        if a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
            found.append(sign * (b - a))
    return found


def verdict(original: dict[str, Any], patched: dict[str, Any], metric: str,
            paired: list[float] | None = None) -> str:
    """``helps``, ``worse`` or ``no_difference`` for the two arms' summaries (``paired``: the
    per-seed differences, when every seed ran both arms)."""
    a, b = original["mean"], patched["mean"]
    if not (patched["runs"] and original["runs"]):
        return "no_difference"
    higher_better = metric.endswith("accuracy")
    if math.isinf(a) or math.isinf(b):
        if a == b or (math.isinf(a) and math.isinf(b)):
            return "no_difference"
        better = b > a if higher_better else b < a
        return "helps" if better else "worse"
    difference = (b - a) if higher_better else (a - b)
    effect = MIN_ACCURACY_EFFECT if higher_better else MIN_LOSS_EFFECT * abs(a)
    if paired and len(paired) == min(original["runs"], patched["runs"]) and len(paired) > 1:
        mean = sum(paired) / len(paired)
        error = math.sqrt(sum((d - mean) ** 2 for d in paired) / (len(paired) - 1) / len(paired))
    else:
        error = math.sqrt(original["std"] ** 2 / original["runs"] + patched["std"] ** 2 / patched["runs"])
    if abs(difference) >= effect and abs(difference) >= SE_FACTOR * error:
        return "helps" if difference > 0 else "worse"
    return "no_difference"


def judge(raw: dict[str, Any], not_tried: list[str] | None = None) -> dict[str, Any]:
    """The worker's trial (``app.probe.trial.run_trial``) with a verdict for each fix."""
    arms = raw.get("arms") or []
    metric = trial_metric(arms)
    original = _summary(arms[0], metric) if arms else None
    trials = []
    for arm in arms[1:]:
        summary = _summary(arm, metric)
        paired = paired_differences(arms[0], arm, metric)
        trials.append({"fix": arm.get("fix"), "cause": arm.get("cause"), "metric": metric,
                       "verdict": verdict(original, summary, metric, paired) if original is not None
                       else "no_difference", "paired_differences": paired,
                       "original": original, "patched": summary, "seeds": raw.get("seeds"),
                       "seconds": raw.get("seconds")})
    return {"trials": trials, "original": original, "metric": metric, "seeds": raw.get("seeds"),
            "seconds": raw.get("seconds"), "rows_train": raw.get("rows_train"),
            "rows_validation": raw.get("rows_validation"), "not_tried": list(not_tried or []),
            "arms": [{"name": arm.get("name"), "error": arm.get("error"),
                      "runs": [{"seed": run.get("seed"), "epochs": run.get("epochs"), "history": run.get("history"),
                                "error": run.get("error")} for run in arm.get("runs") or []]} for arm in arms]}


def shown(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else ("NaN" if math.isnan(value) else "diverged")


def shown_summary(summary: dict[str, Any]) -> str:
    """An arm's result as people read it: the mean over the seeds, ± their spread when several."""
    mean = summary.get("mean", math.nan)
    spread = f" ± {summary.get('std', 0.0):.2g}" if summary.get("runs", 0) > 1 and math.isfinite(mean) else ""
    return shown(mean) + spread


def trial_evidence(cause: str, trials: list[dict] | None) -> list[Evidence]:
    """Evidence of kind ``measured`` for ``cause`` from the trials of its fixes."""
    found = []
    for trial in trials or []:
        if trial.get("cause") != cause or trial.get("verdict") not in TEXTS:
            continue
        code, text, weight = TEXTS[trial["verdict"]]
        found.append(Evidence(kind="measured", code=code, text=text, weight=weight, where={"setting": "trial"},
                              params={"fix": trial.get("fix"), "metric": trial.get("metric"),
                                      "original": shown_summary(trial["original"]),
                                      "patched": shown_summary(trial["patched"]),
                                      "seeds": trial.get("seeds"), "epochs": trial["patched"].get("epochs")}))
    return found
