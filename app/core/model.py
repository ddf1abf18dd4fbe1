"""A model as TrainDoc sees it: layers, parameter counts, compile settings.

Built by the readers in ``app.io`` from a saved config (``.keras``, ``.h5``,
``model.to_json()``) or from a ``model.summary()`` table, never by deserializing the model.
Everything here is plain data; the raw config of each layer is kept as parsed JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

# Layers that only apply an activation: their "activation" is what they apply.
ACTIVATION_LAYERS = {
    "Activation": None,  # from config["activation"]
    "Softmax": "softmax",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "PReLU": "prelu",
    "ELU": "elu",
    "ThresholdedReLU": "thresholded_relu",
}
# Layers that do not change values (looked through when finding the output activation).
PASS_THROUGH_LAYERS = {"Dropout", "Flatten", "Reshape", "GaussianNoise", "GaussianDropout",
                       "AlphaDropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                       "ActivityRegularization", "InputLayer"}
CROSSENTROPY_LOSSES = {"categorical_crossentropy", "sparse_categorical_crossentropy",
                       "binary_crossentropy", "binary_focal_crossentropy",
                       "categorical_focal_crossentropy"}


@dataclass
class BatchNormSpec:
    momentum: float | None = None
    epsilon: float | None = None
    center: bool | None = None
    scale: bool | None = None
    renorm: bool | None = None
    axis: Any = None
    synchronized: bool | None = None


# Layers whose output has the width of their input (the output width can be read before them).
WIDTH_KEEPING = frozenset({
    "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "BatchNormalization", "LayerNormalization", "GroupNormalization",
    "UnitNormalization", "Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU", "ThresholdedReLU",
    "ActivityRegularization", "Masking", "InputLayer"})


@dataclass
class LayerSpec:
    """One layer, as its saved config describes it."""

    name: str
    class_name: str  # "Dense", "Conv1D", "Functional" (a nested model) ...
    path: str = ""  # "vgg16/block1_conv1" for layers inside nested models
    module: str | None = None  # "keras.layers" as recorded in the file (never imported)
    config: dict[str, Any] = field(default_factory=dict)  # raw config, plain JSON data
    units: int | None = None  # units (Dense, RNN) or filters (Conv)
    kernel_size: tuple[int, ...] | None = None
    strides: tuple[int, ...] | None = None
    activation: str | None = None  # "relu", "softmax", "linear" ...
    kernel_initializer: str | None = None  # class name: "GlorotUniform", "Zeros" ...
    bias_initializer: str | None = None
    kernel_regularizer: dict[str, Any] | None = None  # {"class": "L2", "l2": 0.01}
    bias_regularizer: dict[str, Any] | None = None
    activity_regularizer: dict[str, Any] | None = None
    use_bias: bool | None = None
    batchnorm: BatchNormSpec | None = None
    trainable: bool = True  # as saved; a layer inside a frozen nested model is frozen too
    params_total: int | None = None
    params_trainable: int | None = None
    output_shape: tuple | None = None  # (None, 10) — None for the batch dimension
    inbound: list[str] = field(default_factory=list)  # names of layers feeding this one
    sublayers: list["LayerSpec"] = field(default_factory=list)  # nested model's layers
    lambda_code: str | None = None  # for Lambda layers: a description, never executed
    notes: list[str] = field(default_factory=list)  # oddities found while reading
    source: Any = None  # app.core.run.Source of the code line that built it (code reader only)

    @property
    def is_nested_model(self) -> bool:
        return bool(self.sublayers)

    @property
    def is_lambda(self) -> bool:
        return self.class_name == "Lambda"

    @property
    def params_non_trainable(self) -> int | None:
        if self.params_total is None or self.params_trainable is None:
            return None
        return self.params_total - self.params_trainable

    def walk(self) -> Iterator["LayerSpec"]:
        """This layer, then every layer nested inside it, depth first."""
        yield self
        for sub in self.sublayers:
            yield from sub.walk()


@dataclass
class LossSpec:
    name: str  # canonical snake_case: "categorical_crossentropy", "mean_squared_error"
    from_logits: bool | None = None
    class_name: str | None = None  # "CategoricalCrossentropy" when given as an object
    config: dict[str, Any] = field(default_factory=dict)
    output: str | None = None  # the output it applies to, for multi-output models

    @property
    def is_crossentropy(self) -> bool:
        return self.name in CROSSENTROPY_LOSSES


@dataclass
class OptimizerSpec:
    name: str  # class name: "Adam", "SGD", "RMSprop" ...
    learning_rate: float | None = None  # the initial rate when a schedule is used
    schedule: dict[str, Any] | None = None  # {"class": "ExponentialDecay", ...config}
    epsilon: float | None = None
    momentum: float | None = None
    beta_1: float | None = None
    beta_2: float | None = None
    nesterov: bool | None = None
    clipnorm: float | None = None
    clipvalue: float | None = None
    global_clipnorm: float | None = None
    weight_decay: float | None = None
    amsgrad: bool | None = None
    config: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> dict[str, Any]:
        """The known settings, without the raw config: for tables and JSON."""
        keys = ("learning_rate", "schedule", "epsilon", "momentum", "beta_1", "beta_2",
                "nesterov", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay",
                "amsgrad")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


@dataclass
class CompileSpec:
    loss: list[LossSpec] = field(default_factory=list)  # one per output (usually one)
    optimizer: OptimizerSpec | None = None
    metrics: list[str] = field(default_factory=list)
    loss_weights: Any = None


@dataclass
class ModelSpec:
    """A model read from a file without running it."""

    name: str
    class_name: str  # "Sequential", "Functional", "Model"
    format: str  # "keras", "h5", "json", "summary"
    source_path: str = ""
    layers: list[LayerSpec] = field(default_factory=list)  # top level, graph order
    input_shapes: list[tuple] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)  # layers that are model outputs
    compile: CompileSpec | None = None
    params_total: int | None = None
    params_trainable: int | None = None
    keras_version: str | None = None
    backend: str | None = None
    complete: bool = True  # False when only a summary table was available
    warnings: list[str] = field(default_factory=list)  # Lambda layers, unknown modules ...
    fit_settings: Any = None  # app.core.run.FitSettings seen in training code (code reader only)
    # Data preparation seen in training code (code reader only): "divides_by_255", "scaler",
    # "shuffles_data", "computes_class_weight" ... -> the app.core.run.Source of the first sighting
    code_hints: dict[str, Any] = field(default_factory=dict)
    code_path: str | None = None  # the training script joined with this model file (app.io.group.join_code)
    # The app.io.code.CodeSpec this model was read from (code reader only): what the Code tab
    # shows and the fix preview edits, so the script is read once.
    code: Any = field(default=None, repr=False, compare=False)

    @property
    def params_non_trainable(self) -> int | None:
        if self.params_total is None or self.params_trainable is None:
            return None
        return self.params_total - self.params_trainable

    def all_layers(self) -> list[LayerSpec]:
        """Every layer, nested ones included, depth first in graph order."""
        return [layer for top in self.layers for layer in top.walk()]

    def layer(self, name: str) -> LayerSpec | None:
        for layer in self.all_layers():
            if layer.name == name or layer.path == name:
                return layer
        return None

    @property
    def output_layer(self) -> LayerSpec | None:
        """The (first) output layer at the top level."""
        if self.output_names:
            for layer in self.layers:
                if layer.name == self.output_names[0]:
                    return layer
        return self.layers[-1] if self.layers else None

    @property
    def output_units(self) -> int | None:
        """Units of the output: the last layer with units on the path to the output."""
        for layer in self._output_chain():
            if layer.units is not None:
                return layer.units
            if layer.output_shape and isinstance(layer.output_shape[-1], int):
                return layer.output_shape[-1]
            if layer.class_name not in WIDTH_KEEPING:
                return None  # e.g. Dense(n_classes) with n_classes unknown: not the width before it
        return None

    @property
    def output_activation(self) -> str | None:
        """The activation that produces the output.

        An ``Activation``/``Softmax`` layer at the end wins; otherwise the activation of
        the last layer that has one, looking through Dropout/Flatten/Reshape.
        """
        for layer in self._output_chain():
            if layer.class_name in ACTIVATION_LAYERS:
                return ACTIVATION_LAYERS[layer.class_name] or layer.activation
            if layer.class_name in PASS_THROUGH_LAYERS:
                continue
            if layer.activation is not None:
                return layer.activation
            if layer.units is not None:
                return "linear"
        return None

    def _output_chain(self) -> Iterator[LayerSpec]:
        """Layers walked back from the output along first inbound connections."""
        by_name = {layer.name: layer for layer in self.layers}
        layer = self.output_layer
        seen: set[str] = set()
        while layer is not None and layer.name not in seen:
            seen.add(layer.name)
            yield layer
            if layer.inbound:
                layer = by_name.get(layer.inbound[0])
            else:
                index = self.layers.index(layer)
                layer = self.layers[index - 1] if index > 0 and self.class_name == "Sequential" else None

    @property
    def loss(self) -> LossSpec | None:
        return self.compile.loss[0] if self.compile and self.compile.loss else None

    @property
    def optimizer(self) -> OptimizerSpec | None:
        return self.compile.optimizer if self.compile else None

    @property
    def lambda_layers(self) -> list[LayerSpec]:
        return [layer for layer in self.all_layers() if layer.is_lambda]
