"""The abstract interpreter: what Keras code builds (layers, graphs, models, compile and fit
settings), on top of the evaluator's Python semantics; never runs user code."""

from __future__ import annotations

import ast
import math
from typing import Any

from app.io import keras_config, shapes
from app.io.code.keras_names import (
    _ACTIVATION_DEFAULT_LINEAR,
    _HAS_DATA_FORMAT,
    _INITIALIZER_ARGS,
    KERAS1_RENAMES,
    _LAYER_DEFAULTS,
    APPLICATIONS,
    COMPILE_ARGS,
    FIT_ARGS,
    FIT_GENERATOR_ARGS,
    FIT_METHODS,
    KNOWN_LAYERS,
    LAYER_ARGS,
    LOSS_CLASSES,
    OPTIMIZER_ARGS,
    REGULARIZERS,
    _is_keras_path,
    _normalize_path,
)
from app.io.code.limits import (
    MAX_INT_BITS,
    MAX_LAYERS,
)
from app.io.code.evaluator import _arith, _Evaluator
from app.io.code.model_config import _ConfigBuilder
from app.io.code.source import _Program
from app.io.code.values import (
    AppLayers,
    Env,
    KerasObject,
    LayerObj,
    ModelObj,
    Ref,
    Span,
    Tensor,
    Unknown,
    Unresolved,
    UserClass,
    UserFunction,
    _Break,
    _Continue,
    _declared_input_shape,
    _json_safe,
    _known_int,
    _OutOfBudget,
    _Return,
    _why,
)


class _Interpreter(_Evaluator):
    """The evaluator with Keras' meaning for the calls it meets."""

    def __init__(self, program: _Program, path: str, deadline: float) -> None:
        super().__init__(program, path, deadline)
        self.models: list[ModelObj] = []
        self.layer_count = 0
        self.name_counts: dict[str, int] = {}
        self.used_names: set[str] = set()
        self.data_format: str | None = None
        self.fits: list[tuple[ModelObj, dict, int | None, str]] = []
        self.compiles: list[tuple[ModelObj, int | None]] = []

    # ---------------------------------------------------------------- Keras values in calls and attributes

    def call(self, function: Any, args: list[Any], kwargs: dict[str, Any], node: ast.Call, env: Env) -> Any:
        if isinstance(function, Ref):
            return self.call_ref(function, args, kwargs, node)
        if isinstance(function, _ModelMethod):
            return self.model_method(function.model, function.name, args, kwargs, node)
        if isinstance(function, LayerObj):
            return self.call_layer(function, args, kwargs, node)
        if isinstance(function, ModelObj):
            inputs = self.tensor_list(args[0] if args else kwargs.get("inputs"))
            if inputs is None:
                self.note(node, "a model called on inputs that are not known")
                return Unknown("a model called on unknown inputs")
            outputs = self.call_model(function, inputs, node)
            return outputs[0] if len(outputs) == 1 else outputs
        if isinstance(function, UserClass):
            return self.instantiate(function, args, kwargs, node)
        if isinstance(function, KerasObject):
            return Unknown(f"a call of a {function.class_name}")
        if isinstance(function, Unknown) and any(isinstance(a, Tensor) for a in list(args) + list(kwargs.values())):
            return self.opaque_op(self.text_of(node.func), args, node, function.why)
        return super().call(function, args, kwargs, node, env)

    def attribute(self, owner: Any, attr: str, node: ast.AST) -> Any:
        if isinstance(owner, ModelObj):
            return self.model_attribute(owner, attr, node)
        if isinstance(owner, Unknown) and attr in _MODEL_BUILDING and isinstance(node, ast.Attribute) \
                and isinstance(node.value, ast.Name) and owner.why.endswith("is not defined in this code"):
            return self.model_attribute(self.implicit_model(node.value.id, attr, node), attr, node)
        return super().attribute(owner, attr, node)

    def implicit_model(self, name: str, attr: str, node: ast.AST) -> ModelObj:
        """A fragment's model that the code never defines (``model.add(Dense(64))`` posted
        without ``model = Sequential()``, or ``model.fit(...)`` alone): a model of that name
        whose layers, compile() and fit() settings are the ones the fragment shows."""
        model = ModelObj("sequential", self.auto_name("sequential"), self.line_of(node), self.next_seq(),
                         call_path=self.where_built())
        self.models.append(model)
        self.module_env.vars[name] = model
        what = "a Sequential model built by its add() calls" if attr == "add" else "a model built elsewhere"
        self.assume(node, f"{name!r} is not defined in this code; read as {what}")
        return model

    # ---------------------------------------------------------------- layer names

    def auto_name(self, base: str) -> str:
        count = self.name_counts.get(base, 0)
        while True:
            name = base if count == 0 else f"{base}_{count}"
            count += 1
            if name not in self.used_names:
                break
        self.name_counts[base] = count
        self.used_names.add(name)
        return name

    # ---------------------------------------------------------------- the module, and functions nobody calls

    def run_module(self, tree: ast.Module) -> None:
        super().run_module(tree)
        self.run_uncalled_functions(tree)

    def run_uncalled_functions(self, tree: ast.Module) -> None:
        """Functions defined but never called (seed 000/004 build their model in one): read
        each with its parameters unknown (or their defaults)."""
        loaded: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loaded.add(node.id)
            elif isinstance(node, ast.Attribute):
                loaded.add(node.attr)
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name in loaded:
                continue
            if self.out_of_budget:
                return
            function = self.module_env.vars.get(node.name)
            if not isinstance(function, UserFunction) or function.node is not node:
                continue
            if not any(isinstance(n, ast.Call) for n in ast.walk(node)):
                continue
            args = []
            bound = {}
            params = node.args
            positional = params.posonlyargs + params.args
            first_default = len(positional) - len(params.defaults)
            for index, arg in enumerate(positional):
                if index >= first_default:
                    continue  # its default is used
                value = self._guess_parameter(arg.arg, node)
                bound[arg.arg] = value
            for arg, default in zip(params.kwonlyargs, params.kw_defaults):
                if default is None:
                    bound[arg.arg] = self._guess_parameter(arg.arg, node)
            before = (len(self.models), len(self.unresolved), len(self.assumptions))
            try:
                self.call_user(function, args, bound, node)
            except _OutOfBudget:
                self.note(node, "the reader's time or step budget ran out inside this function")
                return
            except (_Return, _Break, _Continue):
                pass
            if len(self.models) == before[0]:
                # it builds no model (a helper nobody calls any more): its loose ends are noise
                del self.unresolved[before[1]:]
                del self.assumptions[before[2]:]

    def _guess_parameter(self, name: str, node: ast.AST) -> Any:
        """A parameter of a function nobody calls: unknown, unless exactly one module-level
        Keras object's name starts with it (``optimizer`` -> ``optimizer1``, seed 004)."""
        candidates = [(key, value) for key, value in self.module_env.vars.items()
                      if key.startswith(name) and key != name and isinstance(value, (KerasObject, ModelObj))]
        if len(candidates) == 1:
            key, value = candidates[0]
            self.assumptions.append(Unresolved(self.line_of(node), f"{name} = {key}",
                                               f"parameter {name!r} of {getattr(node, 'name', '?')}() "
                                               f"has no value in this code (the function is never called); "
                                               f"assumed to be the module-level {key!r}"))
            return value
        return Unknown(f"parameter {name!r} of {getattr(node, 'name', 'a function')}() has no value in this "
                       "code (the function is never called here)")

    # ---------------------------------------------------------------- model attributes

    def model_attribute(self, model: ModelObj, attr: str, node: ast.AST) -> Any:
        if attr in ("add", "compile", "fit", "fit_generator", "summary", "evaluate", "predict",
                    "save", "save_weights", "load_weights", "get_layer", "pop", "count_params",
                    "to_json", "train_on_batch", "evaluate_generator", "predict_generator", "build"):
            return _ModelMethod(model, attr)
        if attr == "trainable":
            return model.trainable
        if attr == "name":
            return model.name
        if attr == "layers":
            model.used_as_part = model.used_as_part or model.kind == "application"
            if model.kind == "application" and not model.layers:
                return AppLayers(model)
            return list(self.model_layers(model))
        if attr in ("input", "inputs", "output", "outputs"):
            model.used_as_part = True
            inputs, outputs = self.model_tensors(model, node)
            chosen = inputs if attr.startswith("input") else outputs
            if not chosen:
                return Unknown(f"the model's {attr} is not known")
            if attr in ("input", "output") and len(chosen) == 1:
                return chosen[0]
            return list(chosen)
        if attr in ("output_shape", "input_shape"):
            inputs, outputs = self.model_tensors(model, node)
            chosen = outputs if attr == "output_shape" else inputs
            if len(chosen) == 1 and chosen[0].shape is not None:
                return chosen[0].shape
            return Unknown(f"the model's {attr} is not known")
        if attr == "optimizer":
            optimizer = (model.compile or {}).get("optimizer")
            return optimizer if optimizer is not None else Unknown("the model is not compiled here")
        return Unknown(f"model attribute {attr!r}")

    def model_layers(self, model: ModelObj) -> list[Any]:
        if model.kind == "sequential":
            return [layer for layer in model.layers if not isinstance(layer, Tensor)]
        if model.kind == "application" and model.layers:
            return list(model.layers)
        producers = self.graph_producers(model.inputs, model.outputs)
        return producers

    def model_tensors(self, model: ModelObj, node: ast.AST) -> tuple[list[Tensor], list[Tensor]]:
        """A model's input and output tensors (built on demand for Sequential and applications)."""
        if model.kind == "functional" or (model.kind == "application" and model.outputs):
            return model.inputs, model.outputs
        if model.own_input is not None and model.own_outputs:
            return [model.own_input], model.own_outputs
        if model.own_input is None:
            shape = self.sequential_input_shape(model) if model.kind == "sequential" else model.app.get("input_shape") if model.app else None
            layer = self.new_layer("InputLayer", {"batch_shape": list(shape) if shape else None}, node, "input_layer")
            tensor = Tensor(layer, 0, 0, shape)
            layer.nodes.append([])
            layer.outputs.append([tensor])
            layer.node_seq.append(self.next_seq())
            model.own_input = tensor
        outputs = self.call_model(model, [model.own_input], node, mark=False)
        model.own_outputs = outputs
        return [model.own_input], outputs

    def sequential_input_shape(self, model: ModelObj) -> tuple | None:
        for item in model.layers:
            if isinstance(item, Tensor):
                return item.shape
            if isinstance(item, LayerObj):
                return _declared_input_shape(item.config)
            break
        return None

    # ---------------------------------------------------------------- classes of the code, ops on tensors

    def instantiate(self, cls: UserClass, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        if cls.kind == "layer":
            layer = self.new_layer(cls.name, {}, node, keras_config.snake_case(cls.name))
            layer.custom = True
            layer.notes.append(f"custom layer class {cls.name} defined in the code: its weights are not counted")
            return layer
        if cls.kind == "callback":
            return KerasObject("callback", cls.name, {}, self.line_of(node), custom=True)
        return Unknown(f"an instance of class {cls.name} defined in the code")

    def opaque_op(self, text: str, args: list[Any], node: ast.AST, why: str) -> Any:
        """A TensorFlow op or unknown function applied to a Keras tensor: kept as an opaque
        layer so the graph stays connected (its shape is unknown)."""
        inputs = [a for a in args if isinstance(a, Tensor)]
        name = text.rsplit(".", 1)[-1] if text else "op"
        layer = self.new_layer("TFOpLambda", {"function": name}, node, "tf_op_" + keras_config.snake_case(name or "op"))
        layer.notes.append(f"{text}(...) applied to a tensor: not a Keras layer; its output shape is not known")
        self.note(node, f"{text}() on a Keras tensor is not a layer TrainDoc can size ({why})")
        return self.connect(layer, inputs, node, None)[0]

    def tensor_list(self, value: Any) -> list[Tensor] | None:
        if isinstance(value, Tensor):
            return [value]
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) for v in value):
            return list(value)
        if isinstance(value, dict) and value and all(isinstance(v, Tensor) for v in value.values()):
            return list(value.values())
        return None

    # ---------------------------------------------------------------- Keras calls

    def call_ref(self, ref: Ref, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        path = _normalize_path(ref.path)
        last = path.rsplit(".", 1)[-1]
        root = path.split(".", 1)[0]
        if root in ("np", "numpy", "math"):
            return _numeric(last, args, kwargs)
        if root == "tf" and not _is_keras_path(path):
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "a TensorFlow op")
            return Unknown(f"the result of {path}() (TensorFlow is not run)")
        if not _is_keras_path(path):
            if last in ("to_categorical",):
                return Unknown("one-hot labels")
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "a function outside Keras")
            return Unknown(f"the result of {path}() (not run)")
        segments = path.split(".")
        if "applications" in segments and last in APPLICATIONS:
            return self.application(last, args, kwargs, node)
        if "applications" in segments and last[:1].isupper() and last not in KNOWN_LAYERS:
            self.note(node, f"application {last} is not in TrainDoc's table: its layers and parameters are not known")
            return Unknown(f"application {last}")
        if "schedules" in segments:
            return KerasObject("schedule", last, _kwargs_json(self, _bind(args, kwargs, ()), node), self.line_of(node))
        if "optimizers" in segments and last not in ("get", "schedules", "legacy"):
            return self.optimizer(last, args, kwargs, node)
        if "losses" in segments:
            if last in LOSS_CLASSES or last[:1].isupper():
                return KerasObject("loss", last, _kwargs_json(self, _bind(args, kwargs, ("reduction", "name")) if last not in LOSS_CLASSES else _bind(args, kwargs, ("from_logits",)), node), self.line_of(node))
            return Unknown(f"the value of {path}() (a loss function applied to values)")
        if "callbacks" in segments:
            return KerasObject("callback", last, _kwargs_json(self, _bind(args, kwargs, _CALLBACK_ARGS.get(last, ())), node),
                               self.line_of(node))
        if "initializers" in segments:
            config = _kwargs_json(self, _bind(args, kwargs, _INITIALIZER_ARGS.get(last, ())), node)
            return KerasObject("initializer", last, config, self.line_of(node))
        if "regularizers" in segments:
            cls = REGULARIZERS.get(last, last)
            names = {"L1": ("l1",), "L2": ("l2",), "L1L2": ("l1", "l2")}.get(cls, ())
            return KerasObject("regularizer", cls, _kwargs_json(self, _bind(args, kwargs, names), node), self.line_of(node))
        if "metrics" in segments:
            return KerasObject("metric", last, _kwargs_json(self, _bind(args, kwargs, ()), node), self.line_of(node))
        if "utils" in segments or "backend" in segments:
            if last == "set_image_data_format" and args and isinstance(args[0], str):
                self.data_format = args[0]
                return None
            if last == "int_shape" and args and isinstance(args[0], Tensor):
                return args[0].shape if args[0].shape is not None else Unknown("the tensor's shape is not known")
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "a backend function")
            return Unknown(f"the result of {path}()")
        if last == "Input" or (last == "InputLayer" and ("shape" in kwargs or "batch_shape" in kwargs) and not args):
            return self.input_tensor(args, kwargs, node)
        if last == "Sequential":
            return self.sequential(args, kwargs, node)
        if last in ("Model", "Functional"):
            return self.functional(args, kwargs, node)
        if last in KNOWN_LAYERS or last == "InputLayer" or ("layers" in segments and last[:1].isupper()):
            return self.layer(last, args, kwargs, node)
        if "activations" in segments:
            if any(isinstance(a, Tensor) for a in args):
                return self.opaque_op(path, args, node, "an activation function applied directly")
            return Unknown(f"the value of {path}()")
        if any(isinstance(a, Tensor) for a in args):
            return self.opaque_op(path, args, node, "an unknown Keras function")
        return Unknown(f"the result of {path}()")

    def new_layer(self, class_name: str, config: dict[str, Any], node: ast.AST, base_name: str | None = None) -> LayerObj:
        self.layer_count += 1
        if self.layer_count > MAX_LAYERS:
            raise _OutOfBudget()
        name = config.get("name") if isinstance(config.get("name"), str) else None
        if name is None:
            name = self.auto_name(base_name or keras_config.snake_case(class_name))
        else:
            self.used_names.add(name)
        config["name"] = name
        return LayerObj(class_name, config, name, self.line_of(node), self.next_seq(), self.where_built(),
                        span=_span(node), snippet=self.text_of(node))

    def layer(self, class_name: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> LayerObj:
        """A layer constructor call: its arguments become the layer's config."""
        kwargs = dict(kwargs)
        for old, new in KERAS1_RENAMES.items():
            if old in kwargs and new not in kwargs:
                kwargs[new] = kwargs.pop(old)
        if class_name in ("Convolution2D", "Conv2D") and len(args) >= 3 and all(_known_int(a) for a in args[:3]):
            args = [args[0], (args[1], args[2])] + list(args[3:])  # Keras 1: Convolution2D(32, 3, 3)
        names = LAYER_ARGS.get(class_name, ())
        bound = _bind(args, kwargs, names)
        extra = args[len(names):]
        config: dict[str, Any] = {}
        unknown_args: list[str] = []
        for key, value in bound.items():
            if key == "input_dim" and _known_int(value) and "input_shape" not in bound:
                config["input_shape"] = [value]
                continue
            converted = self.to_config(value, key, node, class_name)
            if isinstance(converted, Unknown):
                unknown_args.append(key)
                continue
            config[key] = converted
        if extra:
            self.note(node, f"{len(extra)} positional argument(s) of {class_name} not mapped to a setting")
        for key, default in _LAYER_DEFAULTS.get(class_name, {}).items():
            config.setdefault(key, default)
        if class_name in _ACTIVATION_DEFAULT_LINEAR and config.get("activation") is None \
                and "activation" not in unknown_args:
            config["activation"] = "linear"  # Keras records activation=None as "linear"
        if class_name in _HAS_DATA_FORMAT and self.data_format and "data_format" not in config:
            config["data_format"] = self.data_format
        if class_name == "Activation" and "activation" not in config and "activation" not in unknown_args:
            config["activation"] = "linear"
        layer = self.new_layer(class_name, config, node)
        for key in unknown_args:
            self.note(node, f"{class_name} argument {key!r} is not known: {_why(bound[key])}")
            layer.notes.append(f"{key} not resolved from the code")
        if class_name == "Lambda":
            function = bound.get("function")
            text = None
            if isinstance(function, UserFunction):
                text = self.text_of(function.node) if function.name == "<lambda>" else function.name
            elif function is not None:
                text = _describe(function)
            layer.lambda_text = text
            layer.config["function"] = {"class_name": "function", "config": text or "unknown"}
            declared = bound.get("output_shape")
            if not isinstance(layer.config.get("output_shape"), list):
                layer.config.pop("output_shape", None)
            if isinstance(declared, UserFunction) and _is_identity(declared.node):
                layer.config["__same_shape__"] = True  # output_shape=lambda s: s
        if class_name not in KNOWN_LAYERS and class_name != "InputLayer":
            layer.notes.append(f"layer class {class_name} is not known to TrainDoc")
        return layer

    def to_config(self, value: Any, key: str, node: ast.AST, owner: str = "") -> Any:
        """A Python value as the JSON a Keras config would hold; Unknown when not possible."""
        if isinstance(value, Unknown):
            return value
        if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
            return value
        if isinstance(value, float):
            return value
        if isinstance(value, (list, tuple)):
            items = [self.to_config(v, key, node, owner) for v in value]
            if any(isinstance(v, Unknown) for v in items):
                return next(v for v in items if isinstance(v, Unknown))
            return items
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                converted = self.to_config(v, key, node, owner)
                if isinstance(converted, Unknown):
                    return converted
                out[str(k)] = converted
            return out
        if isinstance(value, KerasObject):
            return {"class_name": value.class_name, "config": dict(value.config)}
        if isinstance(value, Ref):
            return value.last  # keras.activations.relu, tf.nn.relu, "he_normal" objects by name
        if isinstance(value, LayerObj):
            if key == "layer":  # Bidirectional / TimeDistributed
                return {"class_name": value.class_name, "config": dict(value.config)}
            if key == "activation":
                return {"class_name": value.class_name, "config": dict(value.config)}
            return Unknown(f"a layer given as {key}")
        if isinstance(value, UserFunction):
            if key in ("function", "output_shape"):
                return self.text_of(value.node) if value.name == "<lambda>" else value.name
            return value.name  # a custom activation/initializer function: by its name
        if isinstance(value, Tensor):
            return Unknown(f"a tensor given as {key}")
        return Unknown(f"{key} given as a {type(value).__name__}")

    def call_layer(self, layer: LayerObj, args: list[Any], kwargs: dict[str, Any], node: ast.AST) -> Any:
        value = args[0] if args else kwargs.get("inputs")
        inputs = self.tensor_list(value)
        if inputs is None:
            why = _why(value) if isinstance(value, Unknown) else "its input is not a Keras tensor"
            self.note(node, f"{layer.class_name} {layer.name!r} is called on an input that is not known ({why}); "
                            "the layers before it are not connected")
            inputs = []
        outputs = self.connect(layer, inputs, node, None)
        return outputs[0] if len(outputs) == 1 else outputs

    def connect(self, layer: LayerObj, inputs: list[Tensor], node: ast.AST, shape: tuple | None) -> list[Tensor]:
        """Record a call of ``layer`` on ``inputs`` and return its output tensor(s)."""
        index = len(layer.nodes)
        layer.nodes.append(list(inputs))
        layer.node_seq.append(self.next_seq())
        if shape is None and layer.class_name != "TFOpLambda":
            shape = self.infer_output(layer, inputs)
        tensor = Tensor(layer, index, 0, shape)
        layer.outputs.append([tensor])
        return [tensor]

    def infer_output(self, layer: LayerObj, inputs: list[Tensor]) -> tuple | None:
        if layer.custom:
            return None
        if layer.config.get("__same_shape__") and len(inputs) == 1:
            shape = inputs[0].shape
            if shape is not None and "output_shape" not in layer.config:
                layer.config["output_shape"] = list(shape[1:])
            return shape
        in_shapes = [t.shape for t in inputs] or [None]
        try:
            result = shapes.infer_layer(layer.class_name, _json_safe(layer.config), list(in_shapes))
        except RecursionError:
            return None
        return result.output_shape

    def input_tensor(self, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        bound = _bind(args, kwargs, ("shape", "batch_size", "name", "dtype", "sparse", "batch_shape", "tensor"))
        shape: tuple | None = None
        given = bound.get("shape", bound.get("input_shape"))
        batch_shape = bound.get("batch_shape", bound.get("batch_input_shape"))
        if isinstance(batch_shape, (list, tuple)) and all(v is None or _known_int(v) for v in batch_shape):
            shape = tuple(batch_shape)
        elif isinstance(given, (list, tuple)) and all(v is None or _known_int(v) for v in given):
            shape = (None,) + tuple(given)
        elif _known_int(given):
            shape = (None, given)
        elif given is not None or batch_shape is not None:
            self.note(node, f"the input shape is not known ({_why(given, batch_shape)})")
        name = bound.get("name") if isinstance(bound.get("name"), str) else None
        config: dict[str, Any] = {"batch_shape": list(shape) if shape is not None else None}
        if name:
            config["name"] = name
        layer = self.new_layer("InputLayer", config, node, "input_layer")
        layer.nodes.append([])
        layer.node_seq.append(self.next_seq())
        tensor = Tensor(layer, 0, 0, shape)
        layer.outputs.append([tensor])
        return tensor

    def sequential(self, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> ModelObj:
        bound = _bind(args, kwargs, ("layers", "name"))
        name = bound.get("name") if isinstance(bound.get("name"), str) else self.auto_name("sequential")
        model = ModelObj("sequential", name, self.line_of(node), self.next_seq(), call_path=self.where_built())
        items = bound.get("layers")
        if isinstance(items, (list, tuple)):
            for item in items:
                self.add_to_sequential(model, item, node)
        elif items is not None:
            self.note(node, f"the layer list of Sequential is not known ({_why(items)})")
        self.models.append(model)
        return model

    def add_to_sequential(self, model: ModelObj, item: Any, node: ast.AST) -> None:
        if isinstance(item, LayerObj) and item.class_name == "InputLayer" and not item.nodes:
            shape = _declared_input_shape(item.config)
            tensor = Tensor(item, 0, 0, shape)
            item.nodes.append([])
            item.node_seq.append(self.next_seq())
            item.outputs.append([tensor])
            model.layers.append(tensor)
        elif isinstance(item, (LayerObj, Tensor)):
            model.layers.append(item)
        elif isinstance(item, ModelObj):
            item.used_as_part = True
            model.layers.append(item)
        else:
            self.note(node, f"a layer added to {model.name!r} is not known ({_why(item)})")
            model.notes.append("a layer of this model could not be read")

    def functional(self, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        kwargs = dict(kwargs)
        for old, new in (("input", "inputs"), ("output", "outputs")):
            if old in kwargs and new not in kwargs:
                kwargs[new] = kwargs.pop(old)
        bound = _bind(args, kwargs, ("inputs", "outputs", "name"))
        name = bound.get("name") if isinstance(bound.get("name"), str) else self.auto_name("functional")
        inputs = self.tensor_list(bound.get("inputs"))
        outputs_value = bound.get("outputs")
        outputs = self.tensor_list(outputs_value)
        if inputs is None or outputs is None:
            self.note(node, "the inputs or outputs of this Model are not known "
                            f"({_why(bound.get('inputs'), outputs_value)})")
            if outputs is None:
                return Unknown("a model whose outputs are not known")
            inputs = inputs or []
        model = ModelObj("functional", name, self.line_of(node), self.next_seq(), inputs=inputs,
                         outputs=outputs, call_path=self.where_built())
        if isinstance(outputs_value, dict):
            model.output_names = [str(k) for k in outputs_value]
        self.models.append(model)
        return model

    def call_model(self, model: ModelObj, inputs: list[Tensor], node: ast.AST, mark: bool = True) -> list[Tensor]:
        """A model used as a layer: one node with the model's output tensors."""
        if mark:
            model.used_as_part = True
        index = len(model.nodes)
        model.nodes.append(list(inputs))
        model.node_seq.append(self.next_seq())
        out_shapes = self.model_output_shapes(model, [t.shape for t in inputs])
        count = max(1, len(model.outputs) if model.kind == "functional" else 1)
        tensors = [Tensor(model, index, i, out_shapes[i] if out_shapes and i < len(out_shapes) else None)
                   for i in range(count)]
        model.node_outputs.append(tensors)
        return tensors

    def model_output_shapes(self, model: ModelObj, given: list[tuple | None]) -> list[tuple | None] | None:
        if model.kind == "application" and model.app is not None:
            return [model.app.get("output_shape")]
        try:
            entry = _ConfigBuilder(self).model_entry(model)
            outputs, _ = shapes.infer_model(entry, given)
        except (RecursionError, _OutOfBudget):
            return None
        return list(outputs) if outputs else None

    def graph_producers(self, inputs: list[Tensor], outputs: list[Tensor]) -> list[Any]:
        """Layers (and nested models) between a functional model's inputs and outputs, in the
        order Keras lists them: by depth from the outputs (deepest first), ties in the order
        a depth-first walk from the outputs first meets them."""
        input_ids = {id(t) for t in inputs}
        op_index: dict[int, int] = {}
        producers: dict[int, Any] = {}
        parents: dict[tuple[int, int], list[tuple[int, int]]] = {}
        consumers: dict[tuple[int, int], int] = {}
        stack = list(reversed(outputs))
        seen_nodes: set[tuple[int, int]] = set()
        steps = 0
        while stack and steps < 400_000:
            steps += 1
            tensor = stack.pop()
            producer = tensor.producer
            key = (id(producer), tensor.node)
            producers[id(producer)] = producer
            op_index.setdefault(id(producer), len(op_index))
            if key in seen_nodes:
                continue
            seen_nodes.add(key)
            consumers.setdefault(key, 0)
            inbound = [] if id(tensor) in input_ids or tensor.node >= len(producer.nodes) else producer.nodes[tensor.node]
            parents[key] = [(id(t.producer), t.node) for t in inbound]
            for parent in parents[key]:
                consumers[parent] = consumers.get(parent, 0) + 1
            stack.extend(reversed(inbound))
        for tensor in inputs:
            producers.setdefault(id(tensor.producer), tensor.producer)
            op_index.setdefault(id(tensor.producer), len(op_index))
        # Kahn's order from the outputs; node depth = longest path to an output
        depth: dict[tuple[int, int], int] = {key: 0 for key in parents}
        remaining = dict(consumers)
        ready = [key for key in parents if remaining.get(key, 0) == 0]
        op_depth: dict[int, int] = {}
        while ready:
            key = ready.pop()
            node_depth = max(depth.get(key, 0), op_depth.get(key[0], 0))
            op_depth[key[0]] = node_depth
            for parent in parents.get(key, []):
                depth[parent] = max(depth.get(parent, 0), node_depth + 1)
                remaining[parent] = remaining.get(parent, 1) - 1
                if remaining[parent] == 0:
                    ready.append(parent)
        for key, value in depth.items():
            op_depth[key[0]] = max(op_depth.get(key[0], 0), value)
        ordered = sorted(producers, key=lambda pid: (-op_depth.get(pid, 0), op_index.get(pid, 0)))
        return [producers[pid] for pid in ordered]

    # ---------------------------------------------------------------- applications

    def application(self, name: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        bound = _bind(args, kwargs, ("include_top", "weights", "input_tensor", "input_shape", "pooling", "classes"))
        include_top = bound.get("include_top", True)
        weights = bound.get("weights", "imagenet")
        pooling = bound.get("pooling")
        classes = bound.get("classes", 1000)
        input_shape = bound.get("input_shape")
        input_tensor = bound.get("input_tensor")
        notop_total, notop_trainable, top_total, top_trainable, channels, default_side, rule = APPLICATIONS[name]
        if isinstance(include_top, Unknown):
            self.note(node, f"include_top of {name} is not known")
            return Unknown(f"application {name} with unknown include_top")
        if isinstance(input_tensor, Tensor):
            shape = input_tensor.shape
        elif isinstance(input_shape, (list, tuple)) and all(v is None or _known_int(v) for v in input_shape):
            shape = (None,) + tuple(input_shape)
        elif include_top or input_shape is None:
            shape = (None, default_side, default_side, 3)
        else:
            shape = None
            self.note(node, f"the input shape of {name} is not known ({_why(input_shape)})")
        app = {"name": name, "include_top": bool(include_top), "weights": weights if isinstance(weights, (str, type(None))) else "unknown",
               "pooling": pooling if isinstance(pooling, (str, type(None))) else None, "input_shape": shape,
               "classes": classes}
        if include_top:
            # keras.applications put their classifier on top: softmax unless told otherwise
            head = kwargs.get("classifier_activation", "softmax")
            app["classifier_activation"] = head if isinstance(head, str) or head is None else "unknown"
        model = ModelObj("application", name.lower(), self.line_of(node), self.next_seq(), app=app,
                         call_path=self.where_built())
        if include_top and classes != 1000:
            self.note(node, f"{name} with include_top=True and classes={classes!r}: its parameter count is known only for 1000 classes")
            app["params"] = None
        else:
            app["params"] = (top_total, top_trainable) if include_top else (notop_total, notop_trainable)
        app["output_shape"] = _app_output_shape(app, channels, rule)
        if name in ("VGG16", "VGG19") and not include_top and shape is not None:
            self.build_vgg(model, name, shape, node, input_tensor if isinstance(input_tensor, Tensor) else None)
        if weights not in (None, "imagenet") and isinstance(weights, str):
            model.notes.append(f"weights loaded from {weights!r} (not read)")
        self.models.append(model)
        return model

    def build_vgg(self, model: ModelObj, name: str, shape: tuple, node: ast.AST, given_input: Tensor | None) -> None:
        """VGG16/VGG19 without the top, layer by layer (so a flattened use of it, as in
        ``Model(base.input, head(base.output))``, lists the same layers Keras does)."""
        convs = (2, 2, 3, 3, 3) if name == "VGG16" else (2, 2, 4, 4, 4)
        filters = (64, 128, 256, 512, 512)
        if given_input is not None:
            tensor = given_input
        else:
            layer = self.new_layer("InputLayer", {"batch_shape": list(shape), "name": self.auto_name("input_layer")}, node)
            layer.nodes.append([])
            layer.node_seq.append(self.next_seq())
            tensor = Tensor(layer, 0, 0, shape)
            layer.outputs.append([tensor])
        inputs = [tensor]
        created: list[LayerObj] = []
        for block, (count, width) in enumerate(zip(convs, filters), start=1):
            for index in range(1, count + 1):
                conv = self.new_layer("Conv2D", {"name": f"block{block}_conv{index}", "filters": width,
                                                 "kernel_size": [3, 3], "padding": "same", "activation": "relu",
                                                 "strides": [1, 1], "kernel_initializer": "glorot_uniform"}, node)
                created.append(conv)
                tensor = self.connect(conv, [tensor], node, None)[0]
            pool = self.new_layer("MaxPooling2D", {"name": f"block{block}_pool", "pool_size": [2, 2],
                                                   "strides": [2, 2], "padding": "valid"}, node)
            created.append(pool)
            tensor = self.connect(pool, [tensor], node, None)[0]
        pooling = model.app.get("pooling") if model.app else None
        if pooling in ("avg", "max"):
            cls = "GlobalAveragePooling2D" if pooling == "avg" else "GlobalMaxPooling2D"
            pool = self.new_layer(cls, {}, node)
            created.append(pool)
            tensor = self.connect(pool, [tensor], node, None)[0]
        for layer in created:
            layer.call_path = f"part of keras.applications.{name} (line {self.line_of(node)})"
        model.kind = "application"
        model.inputs = inputs
        model.outputs = [tensor]
        model.layers = [inputs[0].producer] + created

    # ---------------------------------------------------------------- optimizers

    def optimizer(self, class_name: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        kwargs = dict(kwargs)
        if "lr" in kwargs and "learning_rate" not in kwargs:
            kwargs["learning_rate"] = kwargs.pop("lr")  # Keras 2 spelling
        names = OPTIMIZER_ARGS.get(keras_config.canonical_optimizer(class_name), ("learning_rate",))
        bound = _bind(args, kwargs, names)
        config: dict[str, Any] = {}
        defaults = keras_config.optimizer_spec(class_name.lower())
        if defaults is not None:
            config.update(defaults.settings())
        for key, value in bound.items():
            converted = self.to_config(value, key, node, class_name)
            if isinstance(converted, Unknown):
                self.note(node, f"{class_name} argument {key!r} is not known: {_why(value)}")
                config.pop(key, None)
                continue
            config[key] = converted
        return KerasObject("optimizer", keras_config.canonical_optimizer(class_name), config, self.line_of(node),
                           span=_span(node))

    # ---------------------------------------------------------------- model methods

    def model_method(self, model: ModelObj, method: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> Any:
        if method == "add":
            item = args[0] if args else kwargs.get("layer")
            if model.kind != "sequential":
                self.note(node, "add() on a model that is not Sequential")
                return None
            self.add_to_sequential(model, item, node)
            return None
        if method == "pop":
            if model.kind == "sequential" and model.layers:
                model.layers.pop()
            return None
        if method == "compile":
            self.compile(model, args, kwargs, node)
            return None
        if method in FIT_METHODS:
            self.fit(model, method, args, kwargs, node)
            return Unknown("the History of fit()")
        if method == "get_layer":
            name = args[0] if args else kwargs.get("name")
            for layer in self.model_layers(model):
                if getattr(layer, "name", None) == name:
                    return layer
            return Unknown(f"layer {name!r} of {model.name}")
        if method == "build":
            return None
        return Unknown(f"the result of {method}()")

    def compile(self, model: ModelObj, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> None:
        kwargs = dict(kwargs)
        if "loss_function" in kwargs and "loss" not in kwargs:
            self.note(node, "compile() has no argument 'loss_function' (Keras raises TypeError); read as loss=")
            kwargs["loss"] = kwargs.pop("loss_function")
        positional = list(args)
        bound: dict[str, Any] = {}
        if positional and isinstance(positional[0], ModelObj):
            self.note(node, "compile() was given the model itself as its first argument; it is skipped")
            positional = positional[1:]
        bound.update(_bind(positional, kwargs, COMPILE_ARGS))
        settings: dict[str, Any] = {}
        optimizer = bound.get("optimizer")
        if optimizer is not None:
            settings["optimizer"] = self.optimizer_config(optimizer, node)
        loss = bound.get("loss")
        if loss is not None:
            settings["loss"] = self.loss_config(loss, node)
        metrics = bound.get("metrics")
        if metrics is not None:
            settings["metrics"] = self.metric_config(metrics, node)
        weights = bound.get("loss_weights")
        if weights is not None:
            converted = self.to_config(weights, "loss_weights", node)
            if not isinstance(converted, Unknown):
                settings["loss_weights"] = converted
        settings = {k: v for k, v in settings.items() if v is not None}
        if model.compile is not None:
            self.note(node, f"{model.name!r} is compiled again: the last compile() is used")
        model.compile = settings
        model.compile_line = self.line_of(node)
        model.compile_span, model.compile_snippet = _span(node), self.text_of(node)
        model.optimizer_span = optimizer.span if isinstance(optimizer, KerasObject) else None
        self.compiles.append((model, self.line_of(node)))

    def optimizer_config(self, value: Any, node: ast.AST) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, KerasObject) and value.kind == "optimizer":
            config = {}
            for key, item in value.config.items():
                if isinstance(item, KerasObject):
                    config[key] = {"class_name": item.class_name, "config": item.config}
                else:
                    config[key] = item
            return {"class_name": value.class_name, "config": config}
        if isinstance(value, Ref) and "optimizers" in value.path:
            return value.last.lower()
        self.note(node, f"the optimizer is not known ({_why(value) if isinstance(value, Unknown) else type(value).__name__})")
        return None

    def loss_config(self, value: Any, node: ast.AST) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, Ref):
            return value.last
        if isinstance(value, KerasObject) and value.kind == "loss":
            return {"class_name": value.class_name, "config": dict(value.config)}
        if isinstance(value, UserFunction):
            self.note(node, f"custom loss function {value.name}() defined in the code: read by its name only")
            return value.name
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                converted = self.loss_config(item, node)
                if converted is not None:
                    out[str(key)] = converted
            return out or None
        if isinstance(value, (list, tuple)):
            items = [self.loss_config(item, node) for item in value]
            return [item for item in items if item is not None] or None
        self.note(node, f"the loss is not known ({_why(value) if isinstance(value, Unknown) else type(value).__name__})")
        return None

    def metric_config(self, value: Any, node: ast.AST) -> Any:
        if isinstance(value, (str, Ref, KerasObject, UserFunction)):
            value = [value]
        if isinstance(value, dict):
            return {str(k): self.metric_config(v, node) for k, v in value.items()}
        if not isinstance(value, (list, tuple)):
            return None
        out = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Ref):
                out.append(item.last)
            elif isinstance(item, KerasObject):
                out.append({"class_name": item.class_name, "config": {"name": item.config.get("name", keras_config.snake_case(item.class_name))}})
            elif isinstance(item, UserFunction):
                out.append(item.name)
            elif isinstance(item, (list, tuple, dict)):
                nested = self.metric_config(item, node)
                if nested is not None:
                    out.append(nested)
        return out

    def fit(self, model: ModelObj, method: str, args: list[Any], kwargs: dict[str, Any], node: ast.Call) -> None:
        names = FIT_GENERATOR_ARGS if method == "fit_generator" else FIT_ARGS
        bound = _bind(args, kwargs, names)
        if model.fit is not None:
            self.note(node, f"{model.name!r} is fit again: the first {method}() call's settings are used")
            return
        model.fit = bound
        model.fit_line = self.line_of(node)
        model.fit_span, model.fit_snippet = _span(node), self.text_of(node)
        model.fit_method = method
        self.fits.append((model, bound, self.line_of(node), method))


# ---------------------------------------------------------------- small helpers of the interpreter

_MODEL_BUILDING = ("add", "compile", "fit", "fit_generator")


class _ModelMethod:
    """A model's method (``model.add``, ``model.compile``, ``model.fit`` ...), read by the interpreter."""

    def __init__(self, model: ModelObj, name: str) -> None:
        self.model = model
        self.name = name


_CALLBACK_ARGS = {"EarlyStopping": ("monitor", "min_delta", "patience", "verbose", "mode"),
                  "ModelCheckpoint": ("filepath", "monitor", "verbose", "save_best_only"),
                  "ReduceLROnPlateau": ("monitor", "factor", "patience", "verbose"),
                  "CSVLogger": ("filename", "separator", "append"), "TensorBoard": ("log_dir",),
                  "LearningRateScheduler": ("schedule", "verbose")}


def _span(node: ast.AST | None) -> Span | None:
    """The position of a call in the parsed text (None for anything else)."""
    if not isinstance(node, ast.Call) or getattr(node, "end_lineno", None) is None:
        return None
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def _bind(args: list[Any], kwargs: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Positional arguments by parameter name, then the keywords."""
    out: dict[str, Any] = {}
    for name, value in zip(names, args):
        out[name] = value
    for key, value in kwargs.items():
        out.setdefault(key, value)
    return out


def _kwargs_json(interpreter: _Interpreter, bound: dict[str, Any], node: ast.AST) -> dict[str, Any]:
    out = {}
    for key, value in bound.items():
        converted = interpreter.to_config(value, key, node)
        if not isinstance(converted, Unknown):
            out[key] = converted
    return out


def _kw_node(node: ast.AST, key: str) -> ast.AST | None:
    for keyword in getattr(node, "keywords", []):
        if keyword.arg == key:
            return keyword.value
    return None


def _is_identity(node: ast.AST) -> bool:
    """``lambda shape: shape`` (a Lambda's output_shape that keeps the input's shape)."""
    return (isinstance(node, ast.Lambda) and len(node.args.args) == 1 and isinstance(node.body, ast.Name)
            and node.body.id == node.args.args[0].arg)


def _describe(value: Any) -> str:
    if isinstance(value, Ref):
        return value.path
    if isinstance(value, Unknown):
        return f"unknown ({value.why})"
    return type(value).__name__



def _is_255(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 255


def _numeric(name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """The few numpy/math functions that matter for shapes: on constants only."""
    values = args[0] if args else None
    if name in ("prod", "product"):
        if isinstance(values, (list, tuple)) and values and all(_known_int(v) or isinstance(v, float) for v in values):
            result = 1
            for v in values:
                result = result * v
                if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
                    return Unknown("a product too large")
            return result
        return Unknown("a product of values that are not known")
    if all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args) and args:
        try:
            if name in ("sqrt", "ceil", "floor", "log", "log2", "log10", "exp", "fabs") and len(args) == 1:
                if name == "exp" and args[0] > 700:
                    return Unknown("exp out of range")
                return getattr(math, name)(args[0])
            if name in ("power", "pow") and len(args) == 2:
                return _arith(ast.Pow(), args[0], args[1])
            if name in ("maximum", "max") and len(args) >= 1:
                return max(args)
            if name in ("minimum", "min") and len(args) >= 1:
                return min(args)
            if name in ("float32", "float64", "float"):
                return float(args[0])
            if name in ("int32", "int64", "int"):
                return int(args[0])
        except (ValueError, OverflowError, ArithmeticError):
            return Unknown(f"{name} out of range")
    if name in ("pi",):
        return math.pi
    return Unknown(f"the result of {name}() (numeric code is not run)")


def _app_output_shape(app: dict[str, Any], channels: int, rule: str) -> tuple | None:
    if app["include_top"]:
        return (None, app["classes"]) if _known_int(app["classes"]) else None
    if app.get("pooling") in ("avg", "max"):
        return (None, channels)
    shape = app.get("input_shape")
    if shape is None or len(shape) != 4:
        return None
    sides = []
    for side in shape[1:3]:
        if side is None:
            sides.append(None)
        elif rule == "floor":
            sides.append(side // 32)
        elif rule == "ceil":
            sides.append(-(-side // 32))
        elif rule == "inception":
            sides.append((side - 75) // 32 + 1 if side >= 75 else None)
        else:
            sides.append(None)
    return (None, sides[0], sides[1], channels)
