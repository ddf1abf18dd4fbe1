"""Every fixed label of the report, in English and Simplified Chinese.

Rule texts (titles, explanations, evidence) carry their own two languages; these are the
headings and column names around them. :func:`label` renders one in the report's language.
"""

from __future__ import annotations

from typing import Any

from app.core.i18n import T, Text

L: dict[str, Text] = {
    "title": T("TrainDoc diagnosis report", "TrainDoc 诊断报告"),
    "case": T("Diagnosis of {what}", "诊断：{what}"),
    "run": T("run {name}", "运行 {name}"),
    "model": T("model {name}", "模型 {name}"),
    "generated": T("Generated {time} by TrainDoc {version}", "由 TrainDoc {version} 生成于 {time}"),
    # inputs
    "inputs": T("What was loaded", "已载入的文件"),
    "file": T("File", "文件"),
    "format": T("Format", "格式"),
    "kind": T("Kind", "类型"),
    "size": T("Size", "大小"),
    "kind_run": T("training log", "训练日志"),
    "kind_model": T("model", "模型"),
    "kind_data": T("data sample", "数据样本"),
    "kind_validation_data": T("validation sample", "验证样本"),
    "data_sample": T("Data sample", "数据样本"),
    "trials": T("Fixes tried on the data sample", "在数据样本上试验的修复"),
    "trial_line": T("{fix} (for {cause}): {metric} {patched} against {original} for the original setup, {seeds} seed(s), "
                    "{epochs} epochs each: {verdict}.",
                    "{fix}（针对 {cause}）：{metric} 为 {patched}，原设置为 {original}，{seeds} 个种子，每个约 {epochs} 轮：{verdict}。"),
    "verdict_helps": T("the fix helps", "修复有效"),
    "verdict_no_difference": T("no clear difference", "没有明显差异"),
    "verdict_worse": T("the fix makes it worse", "修复反而更差"),
    "data_rows": T("{path}: {rows} rows used ({total} in the file).", "{path}：使用 {rows} 行（文件中共 {total} 行）。"),
    "data_labels": T("Labels: {encoding}, {classes} classes, the largest holds {largest}% of the rows.",
                     "标签：{encoding}，{classes} 个类别，最大类别占 {largest}% 的行。"),
    "encoding_integer": T("integer class ids", "整数类别编号"),
    "encoding_one_hot": T("one-hot rows", "one-hot 行"),
    "encoding_multi_hot": T("multi-hot rows", "multi-hot 行"),
    "encoding_binary": T("binary 0/1", "二值 0/1"),
    "encoding_real": T("real values", "实数值"),
    "data_sorted": T("The rows come sorted by class.", "各行按类别排序。"),
    "data_inputs": T("Inputs from {low} to {high} (mean |x| {mean_abs}); {nonfinite} NaN/inf values; "
                     "{constant} of {features} features constant.",
                     "输入取值 {low} 到 {high}（|x| 均值 {mean_abs}）；{nonfinite} 个 NaN/inf 值；"
                     "{features} 个特征中有 {constant} 个为常量。"),
    "data_validation_inputs": T("Validation inputs from {low} to {high} (mean |x| {mean_abs}); {nonfinite} NaN/inf "
                                "values; {constant} of {features} features constant.",
                                "验证输入取值 {low} 到 {high}（|x| 均值 {mean_abs}）；{nonfinite} 个 NaN/inf 值；"
                                "{features} 个特征中有 {constant} 个为常量。"),
    "data_validation": T("Validation sample: {rows} rows, {shared} of them also training rows ({differ} labeled "
                         "differently).", "验证样本：{rows} 行，其中 {shared} 行也在训练样本中（{differ} 行标签不同）。"),
    "no_inputs": T("No input files were named (pasted text or built in memory).",
                   "没有输入文件（粘贴的文本或内存中的数据）。"),
    # runs
    "runs": T("Runs", "运行"),
    "run_summary": T("{points} {axis}, metrics: {metrics}", "{points} 个{axis}，指标：{metrics}"),
    "epochs": T("epochs", "轮次"),
    "steps": T("steps", "步"),
    "epoch": T("epoch", "轮次"),
    "step": T("step", "步"),
    "curves": T("Curves", "曲线"),
    "chart_caption": T("Shaded: the epochs of each symptom. Solid: training, dashed: validation; "
                       "a red cross marks where a value became NaN/inf.",
                       "阴影：各症状所在的轮次。实线：训练，虚线：验证；红叉标出数值开始变为 NaN/inf 的位置。"),
    "table_caption": T("Logged values: the first and last {axis}, and those around each symptom "
                       "(… marks rows left out).",
                       "记录的数值：第一个和最后一个{axis}，以及每个症状前后的数值（… 表示省略的行）。"),
    "more_columns": T("{count} more metrics not shown: {names}", "另有 {count} 个指标未显示：{names}"),
    "note": T("Symptom", "症状"),
    "evaluations": T("Evaluations", "评估"),
    "evaluation": T("evaluate() on {label} data after epoch {epoch}: {values}",
                    "在 {label} 数据上 evaluate()（第 {epoch} 轮之后）：{values}"),
    "evaluation_plain": T("evaluate(): {values}", "evaluate()：{values}"),
    "events": T("Callback events", "回调事件"),
    "plot_loss": T("Loss", "损失"),
    "plot_metrics": T("Accuracy and other metrics", "准确率及其他指标"),
    "plot_lr": T("Learning rate", "学习率"),
    # symptoms and findings
    "symptoms": T("What the curves show", "曲线显示的症状"),
    "no_symptoms": T("No symptom: the curves look as expected.", "没有症状：曲线符合预期。"),
    "range": T("{axis} {start}–{end}", "{axis} {start}–{end}"),
    "at": T("{axis} {start}", "{axis} {start}"),
    "strength": T("strength {value}", "强度 {value}"),
    "findings": T("Likely causes, most likely first", "可能的原因（按可能性排序）"),
    "nothing": T("Nothing wrong found: the run trained as expected.", "未发现问题：训练按预期进行。"),
    "nothing_model": T("Nothing wrong found in the model's settings.", "模型设置中未发现问题。"),
    "undecided": T("Something is wrong, but no cause reaches the reporting threshold.",
                   "存在问题，但没有任何原因达到报告阈值。"),
    "possible": T("Possible causes: what was given cannot decide them, and what would",
                  "可能的原因：现有输入无法确定，以及可以确定它们的输入"),
    "confidence": T("confidence {value}", "置信度 {value}"),
    "finding_run": T("run {name}", "运行 {name}"),
    "why": T("Why", "原因"),
    "evidence": T("Evidence", "证据"),
    "for": T("for", "支持"),
    "against": T("against", "反对"),
    "context": T("context", "背景"),
    "fixes": T("Fixes", "修复"),
    "settle": T("To settle it", "如何确认"),
    "script_change": T("The change in {path}", "{path} 中的修改"),
    "weaker": T("Weaker candidates (below the reporting threshold {threshold})",
                "较弱的候选（低于报告阈值 {threshold}）"),
    "not_checked": T("Not checked", "未检查"),
    "layer_ref": T("layer {name}", "层 {name}"),
    "safe": T("safe", "安全"),
    "review": T("review", "需确认"),
    "manual": T("by hand", "手动"),
    # model
    "model_summary": T("Model", "模型"),
    "probe": T("Measured inside the model (probe)", "模型内部测量（探测）"),
    "probe_line": T("{path}: {rows} rows of the data sample, {seconds} s in the TensorFlow worker; loss "
                    "{inference} in inference mode, {training} in training mode",
                    "{path}：数据样本的 {rows} 行，TensorFlow 工作进程用时 {seconds} 秒；推理模式损失 {inference}，"
                    "训练模式损失 {training}"),
    "probe_skipped": T("Not measured: {what}", "未测量：{what}"),
    "probe_learned": T("A fresh copy of the model learned {rows} rows of the sample (Adam(1e-3)): loss {start} → {end} "
                       "in {steps} steps.", "模型的全新副本学会了样本的 {rows} 行（Adam(1e-3)）：损失在 {steps} 步内 {start} → {end}。"),
    "probe_not_learned": T("A fresh copy of the model could not learn {rows} rows of the sample (Adam(1e-3)): loss "
                           "{start} → {end} in {steps} steps.",
                           "模型的全新副本无法学会样本的 {rows} 行（Adam(1e-3)）：损失在 {steps} 步内 {start} → {end}。"),
    "probe_outputs": T("Outputs on the sample (inference mode): accuracy {accuracy}, the most predicted class takes "
                       "{share}% of the rows{entropy}, output RMS {rms}.",
                       "样本上的输出（推理模式）：准确率 {accuracy}，预测最多的类别占 {share}% 的行{entropy}，输出 RMS 为 {rms}。"),
    "probe_chance": T(" (a crossentropy of the uniform guess: ln {classes} = {chance})", "（均匀猜测的交叉熵：ln {classes} = {chance}）"),
    "probe_entropy": T(", entropy {entropy} of the uniform guess's", "，熵为均匀猜测的 {entropy}"),
    "dead_units": T("dead units", "死亡单元"),
    "saturated": T("saturated", "饱和"),
    "channels": T("channels", "通道"),
    "mean_shift": T("moving mean off by (std)", "滑动均值偏差（标准差）"),
    "variance_ratio": T("sample / moving variance", "样本方差 / 滑动方差"),
    "grad_rms": T("gradient RMS", "梯度 RMS"),
    "weight_rms": T("weight RMS", "权重 RMS"),
    "model_line": T("{name} ({class_name}, read from {format})", "{name}（{class_name}，读取自 {format}）"),
    "partial_model": T("Only the model.summary() table printed in the log was available: "
                       "activations, loss and initializers are unknown.",
                       "只有日志中打印的 model.summary() 表格：激活函数、损失函数和初始化方式未知。"),
    "params": T("Parameters: {total} total, {trainable} trainable, {frozen} non-trainable",
                "参数：共 {total}，可训练 {trainable}，不可训练 {frozen}"),
    "layer": T("Layer", "层"),
    "type": T("Type", "类型"),
    "output_shape": T("Output shape", "输出形状"),
    "param_count": T("Params", "参数"),
    "activation": T("Activation", "激活函数"),
    "trainable": T("Trainable", "可训练"),
    "flag": T("Flagged", "标记"),
    "flagged": T("named by a finding", "被诊断指出"),
    "flagged_layers": T("Flagged layers: {names}", "被指出的层：{names}"),
    "layers_left_out": T("{count} more layers not shown", "另有 {count} 层未显示"),
    "yes": T("yes", "是"),
    "no": T("no", "否"),
    # settings
    "settings": T("Settings", "设置"),
    "setting": T("Setting", "设置项"),
    "value": T("Value", "值"),
    "source": T("Source", "来源"),
    "no_settings": T("No settings were visible in the inputs.", "输入中没有可见的设置。"),
    "loss": T("loss", "损失函数"),
    "optimizer": T("optimizer", "优化器"),
    "metrics": T("metrics", "指标"),
    # versions
    "versions": T("Versions", "版本"),
    "library": T("Library", "库"),
    "version": T("Version", "版本"),
    "not_installed": T("not installed", "未安装"),
    "page": T("Page {page} of {pages}", "第 {page} 页，共 {pages} 页"),
    "charts_unavailable": T("The charts could not be drawn here: {reason}", "无法在此绘制图表：{reason}"),
}

SETTING_NAMES: dict[str, Text] = {
    "epochs_planned": T("epochs planned", "计划轮数"),
    "steps_per_epoch": T("steps per epoch", "每轮步数"),
    "train_samples": T("training samples", "训练样本数"),
    "val_samples": T("validation samples", "验证样本数"),
    "batch_size": T("batch size", "批大小"),
    "initial_epoch": T("initial epoch", "起始轮次"),
    "shuffle": T("shuffle", "打乱"),
}


def label(key: str, lang: str, **params: Any) -> str:
    """The fixed label ``key`` in ``lang``, placeholders filled."""
    return L[key].render(lang, params)
