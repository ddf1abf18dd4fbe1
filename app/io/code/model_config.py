"""A Keras-3-shaped model config (plain JSON) from the abstract values, and where each layer came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.core.model import LayerSpec, ModelSpec
from app.io import keras_config, shapes
from app.io.code.limits import FORMAT
from app.io.code.spec import CodeSite
from app.io.code.values import LayerObj, ModelObj, Span, Tensor, _declared_input_shape, _json_safe

if TYPE_CHECKING:
    from app.io.code.interpreter import _Interpreter


# ======================================================================================
# Model config from the abstract values
# ======================================================================================


class _ConfigBuilder:
    """Builds a Keras-3-like model config (plain JSON) from a ModelObj, and remembers where
    each layer came from in the code."""

    def __init__(self, interpreter: _Interpreter) -> None:
        self.interpreter = interpreter
        self.origins: dict[str, LayerObj | ModelObj] = {}
        self.app_layers: dict[str, ModelObj] = {}
        self.depth = 0

    def layer_entry(self, layer: LayerObj, prefix: str, inbound: list[list[Tensor]] | None,
                    input_shape: tuple | None) -> dict[str, Any]:
        config = _json_safe(layer.config)
        entry: dict[str, Any] = {"module": "keras.layers", "class_name": layer.class_name, "config": config,
                                 "name": layer.name}
        if inbound is not None:
            entry["inbound_nodes"] = [[[t.producer.name, t.node if not isinstance(t.producer, ModelObj) else t.node,
                                        t.index, {}] for t in node] for node in inbound if node]
        if input_shape is not None and layer.class_name != "InputLayer":
            entry["build_config"] = {"input_shape": list(input_shape)}
        self.origins[prefix + layer.name] = layer
        return entry

    def model_entry(self, model: ModelObj, prefix: str = "", input_shape: tuple | None = None) -> dict[str, Any]:
        self.depth += 1
        try:
            if self.depth > shapes.MAX_DEPTH:
                return {"class_name": "Functional", "config": {"name": model.name, "layers": []}}
            if model.kind == "sequential":
                entry = self.sequential_entry(model, prefix)
            elif model.kind == "application" and not model.layers:
                entry = {"class_name": "Functional", "config": {"name": model.name, "layers": [],
                                                                "input_layers": [], "output_layers": []}}
                self.app_layers[prefix + model.name] = model
            else:
                entry = self.functional_entry(model, prefix)
            entry["name"] = model.name
            entry["config"]["trainable"] = model.trainable
            if input_shape is not None:
                entry["build_config"] = {"input_shape": list(input_shape)}
            self.origins[prefix + model.name] = model
            return entry
        finally:
            self.depth -= 1

    def sequential_entry(self, model: ModelObj, prefix: str) -> dict[str, Any]:
        layers: list[dict[str, Any]] = []
        inner = prefix + model.name + "/" if prefix or self.depth > 1 else prefix
        current: tuple | None = None
        for index, item in enumerate(model.layers):
            if isinstance(item, Tensor):
                producer = item.producer
                if index == 0 and isinstance(producer, LayerObj) and producer.class_name == "InputLayer":
                    layers.append(self.layer_entry(producer, inner, None, None))
                    current = item.shape
                continue
            if isinstance(item, ModelObj):
                entry = self.model_entry(item, inner, current)
                layers.append(entry)
                current = self.nested_output(item, current)
                continue
            if current is None and index == 0:
                current = _declared_input_shape(item.config)
            layers.append(self.layer_entry(item, inner, None, current))
            result = shapes.infer_layer(item.class_name, _json_safe(item.config), [current]) if not item.custom else None
            current = result.output_shape if result is not None else None
        return {"module": "keras", "class_name": "Sequential", "config": {"name": model.name, "layers": layers}}

    def nested_output(self, model: ModelObj, given: tuple | None) -> tuple | None:
        if model.kind == "application" and model.app is not None and not model.layers:
            return model.app.get("output_shape")
        outputs = self.interpreter.model_output_shapes(model, [given])
        return outputs[0] if outputs and len(outputs) == 1 else None

    def functional_entry(self, model: ModelObj, prefix: str) -> dict[str, Any]:
        inner = prefix + model.name + "/" if prefix or self.depth > 1 else prefix
        producers = self.interpreter.graph_producers(model.inputs, model.outputs)
        inside = {id(p) for p in producers}
        layers = []
        for producer in producers:
            nodes = [node for node in (producer.nodes or [])]
            # only the calls made inside this model's graph
            calls = []
            for index, node in enumerate(nodes):
                if not node or all(id(t.producer) in inside for t in node):
                    calls.append(node)
            if isinstance(producer, ModelObj):
                first = calls[0] if calls else []
                shape = first[0].shape if len(first) == 1 else None
                entry = self.model_entry(producer, inner, shape)
                entry["inbound_nodes"] = [[[t.producer.name, t.node, t.index, {}] for t in node] for node in calls if node]
                layers.append(entry)
                continue
            first = calls[0] if calls else []
            shape = first[0].shape if len(first) == 1 else None
            entry = self.layer_entry(producer, inner, calls, shape)
            layers.append(entry)
        input_refs = [[t.producer.name, t.node, t.index] for t in model.inputs]
        output_refs = [[t.producer.name, t.node, t.index] for t in model.outputs]
        return {"module": "keras", "class_name": "Functional",
                "config": {"name": model.name, "layers": layers, "input_layers": input_refs,
                           "output_layers": output_refs}}


def _compile_config(model: ModelObj) -> dict[str, Any] | None:
    return model.compile if model.compile else None


def _to_model_spec(interpreter: _Interpreter, model: ModelObj) -> tuple[ModelSpec, dict[str, Any], _ConfigBuilder]:
    """The ModelSpec of ``model``, with the config it was made from and the builder (which
    knows where each layer came from)."""
    builder = _ConfigBuilder(interpreter)
    entry = builder.model_entry(model)
    spec = keras_config.model_from_config(entry, path=interpreter.path, fmt=FORMAT,
                                          compile_config=_compile_config(model))
    spec.name = model.name
    _attach_origins(interpreter, builder, spec)
    if model.kind == "application" and not model.layers:
        _application_spec(spec, model)
    keras_config.update_totals(spec)
    spec.warnings.extend(note for note in model.notes if note not in spec.warnings)
    return spec, entry, builder


def _application_spec(spec: ModelSpec, model: ModelObj) -> None:
    """A table-sized application used as the model itself."""
    app = model.app or {}
    params = app.get("params")
    layer = LayerSpec(name=model.name, class_name="Functional", path=model.name, trainable=model.trainable)
    if params:
        layer.params_total = params[0]
        layer.params_trainable = params[1] if model.trainable else 0
    layer.output_shape = app.get("output_shape")
    if app.get("include_top"):
        layer.activation = app.get("classifier_activation") or "linear"
        if isinstance(app.get("classes"), int):
            layer.units = app["classes"]
    layer.notes.append(f"keras.applications.{app.get('name')}: parameters from TrainDoc's table, layers not listed")
    _mark_application(layer, app.get("name"))
    spec.layers = [layer]
    spec.output_names = [model.name]


def _mark_application(layer: LayerSpec, name: object) -> None:
    """Which keras.applications model ``layer`` stands for, and how many BatchNormalization
    layers it holds (its layers are not listed)."""
    from app.io.code.keras_names import APPLICATION_BATCHNORM

    layer.config["application"] = str(name)
    if name in APPLICATION_BATCHNORM:
        layer.config["batchnorm_layers"] = APPLICATION_BATCHNORM[str(name)]


def _attach_origins(interpreter: _Interpreter, builder: _ConfigBuilder, spec: ModelSpec) -> None:
    for layer in spec.all_layers():
        origin = builder.origins.get(layer.path) or builder.origins.get(layer.name)
        app = builder.app_layers.get(layer.path)
        if app is not None and app.app is not None:
            params = app.app.get("params")
            if params:
                layer.params_total = params[0]
                layer.params_trainable = params[1] if layer.trainable else 0
            layer.output_shape = app.app.get("output_shape")
            if app.app.get("include_top"):
                layer.activation = app.app.get("classifier_activation") or "linear"
            layer.notes.append(f"keras.applications.{app.app.get('name')} (include_top={app.app.get('include_top')}, "
                               f"weights={app.app.get('weights')!r}): parameters from TrainDoc's table, "
                               "its layers are not listed")
            _mark_application(layer, app.app.get("name"))
        if origin is None:
            continue
        layer.source = interpreter.source(origin.line, getattr(origin, "snippet", "") or None)
        if origin.call_path:
            layer.notes.append(f"built in {origin.call_path}")
        for note in origin.notes:
            if note not in layer.notes:
                layer.notes.append(note)
        lambda_text = getattr(origin, "lambda_text", None)
        if lambda_text is not None and layer.is_lambda:
            layer.lambda_code = f"source code: {lambda_text}"


def _layer_sites(builder: _ConfigBuilder) -> dict[str, CodeSite]:
    """Where each layer of the main model is constructed; ``builds`` counts the layers one
    call made (a helper function or a loop builds several from the same line)."""
    objects = [(path, obj) for path, obj in builder.origins.items()
               if isinstance(obj, LayerObj) and obj.span is not None]
    counts: dict[Span, int] = {}
    for _, obj in objects:
        counts[obj.span] = counts.get(obj.span, 0) + 1  # type: ignore[index]
    return {path: CodeSite(obj.span, obj.line, obj.snippet, counts[obj.span])  # type: ignore[index]
            for path, obj in objects}
