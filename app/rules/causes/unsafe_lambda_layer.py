"""``unsafe_lambda_layer``: Lambda layers in the model (seed 000 wraps a custom normalization
in two of them). A finding about the file itself: loading it means running the recorded
Python code (Keras refuses unless ``safe_mode=False``), the code is tied to the Python version
that wrote it, and normalization done by hand inside a Lambda is easy to get subtly wrong.
TrainDoc records the code and never runs it.
"""

from __future__ import annotations

from typing import Iterator

from app.core.diagnosis import Evidence, Fix
from app.core.i18n import T
from app.rules.base import CauseRule, Context, evidence
from app.rules.static import layer_where

# The file cannot be loaded without executing its code: near certain as a finding about the
# file, whatever the number of Lambda layers. Each Lambda layer gets its own piece, weighted so
# that together they give LAMBDA_CONFIDENCE (noisy-OR). It stays below the confidence of a
# cause that explains the curves (seed 000: mse_for_classification 0.87), since a finding about
# the file explains no symptom and should not rank first.
LAMBDA_CONFIDENCE = 0.85
QUOTE_CHARS = 60

LAMBDA = T(
    "`{layer}` is a Lambda layer; its recorded code ({snippet}) runs when the file is loaded",
    "`{layer}` 是 Lambda 层；加载文件时会执行其中记录的代码（{snippet}）",
)


def quote(code: str | None) -> str:
    """A short, single-line quote of the recorded code."""
    if not code:
        return "code not recorded"
    text = " ".join(str(code).split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


class UnsafeLambdaLayer(CauseRule):
    id = "unsafe_lambda_layer"
    title = T("Lambda layers in the model", "模型中包含 Lambda 层")
    explanation = T(
        "A Lambda layer stores a Python function inside the model file. Loading the file means "
        "running that code, which Keras refuses by default (safe_mode) because a model file "
        "could then execute anything; the stored bytecode also breaks across Python versions. "
        "Custom normalization written inside a Lambda is easy to get subtly wrong and cannot be "
        "inspected from the file. Replace it with a built-in layer such as LayerNormalization, "
        "or a small registered Layer subclass that saves its configuration instead of code.",
        "Lambda 层把一个 Python 函数存进模型文件。加载文件就意味着执行这段代码，Keras 默认（safe_mode）会拒绝，"
        "因为那样模型文件就能执行任意代码；保存的字节码在不同 Python 版本之间也会失效。"
        "写在 Lambda 里的自定义归一化很容易出现细微错误，而且无法从文件中检查。"
        "请用内置层（如 LayerNormalization）或一个注册过的小型 Layer 子类代替它，后者保存的是配置而不是代码。",
    )
    when_not = T("Silent when the model has no Lambda layer.", "模型中没有 Lambda 层时不报告。")
    explains = ()
    needs = ("model",)

    def evaluate(self, ctx: Context) -> Iterator[Evidence]:
        if ctx.model is None:
            return
        lambdas = ctx.model.lambda_layers
        if not lambdas:
            return
        weight = 1.0 - (1.0 - LAMBDA_CONFIDENCE) ** (1.0 / len(lambdas))
        for layer in lambdas:
            yield evidence("static", "lambda_layer", LAMBDA, weight, where=layer_where(layer),
                           layer=layer.path or layer.name, snippet=quote(layer.lambda_code))

    def fixes(self, ctx: Context) -> list[Fix]:
        names = [layer.name for layer in ctx.model.lambda_layers] if ctx.model is not None else []
        return [Fix("replace_lambda",
                    T("Replace the Lambda layers with registered layers", "用注册过的层代替 Lambda 层"),
                    "review", {"layers": names, "replacement": "LayerNormalization"},
                    "x = layers.LayerNormalization()(x)  # instead of layers.Lambda(normalize)(x)\n"
                    "\n"
                    "# or, for custom code, a layer that saves its config instead of bytecode:\n"
                    "@keras.saving.register_keras_serializable(package=\"my_layers\")\n"
                    "class Standardize(keras.layers.Layer):\n"
                    "    def call(self, x):\n"
                    "        mean = keras.ops.mean(x, axis=-1, keepdims=True)\n"
                    "        std = keras.ops.std(x, axis=-1, keepdims=True)\n"
                    "        return (x - mean) / (std + 1e-6)\n")]
