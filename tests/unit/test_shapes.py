"""Shape and parameter inference from layer configs (app/io/shapes.py).

Every expected output shape and parameter count in CASES was checked against real Keras
(keras 3.15: the layer built from the same config, ``count_params()`` and its output
shape) when the table was written; the whole-model checks below use the committed
fixtures (``model.json`` of real runs, compared with ``model.count_params()`` in
``tests/fixtures/fixtures.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.io import shapes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MANIFEST = FIXTURES / "fixtures.json"

# (class_name, config, input shapes, expected output shape, expected (total, trainable) params)
CASES = [
    ("Dense", {"units": 10}, [(None, 20)], (None, 10), (210, 210)),
    ("Dense", {"units": 4, "use_bias": False}, [(None, 5, 3)], (None, 5, 4), (12, 12)),
    ("Conv2D", {"filters": 8, "kernel_size": [3, 3]}, [(None, 28, 28, 1)], (None, 26, 26, 8), (80, 80)),
    ("Conv2D", {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same"},
     [(None, 28, 28, 3)], (None, 14, 14, 4), (112, 112)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2}, [(None, 10, 10, 4)], (None, 8, 8, 4), (76, 76)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "dilation_rate": 2, "data_format": "channels_first"},
     [(None, 3, 32, 32)], (None, 6, 28, 28), (168, 168)),
    ("Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal"}, [(None, 10, 4)], (None, 10, 2), (26, 26)),
    ("Conv1D", {"filters": 5, "kernel_size": 3, "strides": 2}, [(None, 11, 3)], (None, 5, 5), (50, 50)),
    ("Conv3D", {"filters": 4, "kernel_size": 3, "padding": "same"}, [(None, 8, 8, 8, 2)],
     (None, 8, 8, 8, 4), (220, 220)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
     [(None, 7, 7, 16)], (None, 14, 14, 4), (580, 580)),
    ("Conv2DTranspose", {"filters": 1, "kernel_size": 3, "strides": 2}, [(None, 7, 7, 1)],
     (None, 15, 15, 1), (10, 10)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2}, [(None, 5, 3)], (None, 12, 2), (26, 26)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
     [(None, 10, 10, 3)], (None, 10, 10, 6), (60, 60)),
    ("DepthwiseConv1D", {"kernel_size": 3}, [(None, 10, 4)], (None, 8, 4), (16, 16)),
    ("SeparableConv2D", {"filters": 16, "kernel_size": 3, "strides": 2}, [(None, 12, 12, 8)],
     (None, 5, 5, 16), (216, 216)),
    ("SeparableConv1D", {"filters": 3, "kernel_size": 2}, [(None, 8, 4)], (None, 7, 3), (23, 23)),
    ("BatchNormalization", {}, [(None, 64)], (None, 64), (256, 128)),
    ("BatchNormalization", {"axis": 1}, [(None, 3, 8, 8)], (None, 3, 8, 8), (12, 6)),
    ("BatchNormalization", {"center": False}, [(None, 5)], (None, 5), (15, 5)),
    ("BatchNormalization", {"renorm": True}, [(None, 4)], (None, 4), (28, 8)),
    ("LayerNormalization", {}, [(None, 10, 6)], (None, 10, 6), (12, 12)),
    ("LayerNormalization", {"axis": [1, 2]}, [(None, 4, 6)], (None, 4, 6), (48, 48)),
    ("GroupNormalization", {"groups": 2}, [(None, 8, 8, 4)], (None, 8, 8, 4), (8, 8)),
    ("Embedding", {"input_dim": 100, "output_dim": 8}, [(None, 12)], (None, 12, 8), (800, 800)),
    ("SimpleRNN", {"units": 4}, [(None, 10, 8)], (None, 4), (52, 52)),
    ("LSTM", {"units": 6, "return_sequences": True}, [(None, 10, 4)], (None, 10, 6), (264, 264)),
    ("GRU", {"units": 5}, [(None, 10, 6)], (None, 5), (195, 195)),
    ("GRU", {"units": 5, "reset_after": False}, [(None, 10, 6)], (None, 5), (180, 180)),
    ("Bidirectional", {"layer": {"class_name": "LSTM", "config": {"units": 3, "return_sequences": True}}},
     [(None, 10, 5)], (None, 10, 6), (216, 216)),
    ("Bidirectional", {"merge_mode": "sum", "layer": {"class_name": "GRU", "config": {"units": 4}}},
     [(None, 10, 5)], (None, 4), (264, 264)),
    ("TimeDistributed", {"layer": {"class_name": "Dense", "config": {"units": 7}}}, [(None, 10, 6)],
     (None, 10, 7), (49, 49)),
    ("Flatten", {}, [(None, 5, 5, 16)], (None, 400), (0, 0)),
    ("Reshape", {"target_shape": [2, -1]}, [(None, 12)], (None, 2, 6), (0, 0)),
    ("Reshape", {"target_shape": [3, 4]}, [(None, 12)], (None, 3, 4), (0, 0)),
    ("MaxPooling2D", {"pool_size": [2, 2]}, [(None, 26, 26, 8)], (None, 13, 13, 8), (0, 0)),
    ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, [(None, 10, 4)], (None, 5, 4), (0, 0)),
    ("MaxPooling3D", {"pool_size": 2}, [(None, 8, 8, 8, 3)], (None, 4, 4, 4, 3), (0, 0)),
    ("GlobalAveragePooling2D", {}, [(None, 7, 7, 32)], (None, 32), (0, 0)),
    ("GlobalMaxPooling1D", {"keepdims": True}, [(None, 7, 32)], (None, 1, 32), (0, 0)),
    ("Dropout", {"rate": 0.5}, [(None, 10)], (None, 10), (0, 0)),
    ("Activation", {"activation": "relu"}, [(None, 3, 4)], (None, 3, 4), (0, 0)),
    ("LeakyReLU", {}, [(None, 10)], (None, 10), (0, 0)),
    ("Softmax", {}, [(None, 10)], (None, 10), (0, 0)),
    ("GaussianNoise", {"stddev": 0.1}, [(None, 10)], (None, 10), (0, 0)),
    ("Rescaling", {"scale": 0.5}, [(None, 28, 28, 1)], (None, 28, 28, 1), (0, 0)),
    ("Add", {}, [(None, 5), (None, 5)], (None, 5), (0, 0)),
    ("Multiply", {}, [(None, 4, 5), (None, 4, 5)], (None, 4, 5), (0, 0)),
    ("Average", {}, [(None, 5), (None, 5), (None, 5)], (None, 5), (0, 0)),
    ("Concatenate", {}, [(None, 5), (None, 3)], (None, 8), (0, 0)),
    ("Concatenate", {"axis": 1}, [(None, 2, 4), (None, 3, 4)], (None, 5, 4), (0, 0)),
    ("ZeroPadding2D", {"padding": [[1, 2], [3, 4]]}, [(None, 10, 10, 3)], (None, 13, 17, 3), (0, 0)),
    ("ZeroPadding1D", {"padding": 2}, [(None, 5, 3)], (None, 9, 3), (0, 0)),
    ("Cropping2D", {"cropping": [[1, 1], [2, 2]]}, [(None, 10, 10, 3)], (None, 8, 6, 3), (0, 0)),
    ("Cropping1D", {"cropping": [1, 2]}, [(None, 10, 3)], (None, 7, 3), (0, 0)),
    ("UpSampling2D", {"size": [2, 2]}, [(None, 10, 10, 3)], (None, 20, 20, 3), (0, 0)),
    ("UpSampling1D", {"size": 3}, [(None, 4, 2)], (None, 12, 2), (0, 0)),
    ("UpSampling3D", {"size": 2}, [(None, 2, 3, 4, 1)], (None, 4, 6, 8, 1), (0, 0)),
    ("Normalization", {}, [(None, 5)], (None, 5), (11, 0)),
    ("PReLU", {"shared_axes": [1]}, [(None, 10, 3)], (None, 10, 3), (3, 3)),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [(None, 5, 8), (None, 7, 6)], (None, 5, 8), (256, 256)),
    ("RepeatVector", {"n": 3}, [(None, 4)], (None, 3, 4), (0, 0)),
    ("Permute", {"dims": [2, 1]}, [(None, 3, 4)], (None, 4, 3), (0, 0)),
    ("Resizing", {"height": 8, "width": 6}, [(None, 32, 32, 3)], (None, 8, 6, 3), (0, 0)),
    ("InputLayer", {"batch_shape": [None, 28, 28, 1]}, [], (None, 28, 28, 1), (0, 0)),
    ("InputLayer", {"batch_input_shape": [None, 12]}, [], (None, 12), (0, 0)),  # Keras 2 spelling
]


@pytest.mark.parametrize("class_name, config, inputs, output, params", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_output_shape_and_params_match_keras(class_name, config, inputs, output, params):
    result = shapes.infer_layer(class_name, config, inputs)
    assert result.output_shape == output
    assert result.params == params
    assert result.notes == []


def test_a_lambda_without_declared_shape_is_not_guessed():
    result = shapes.infer_layer("Lambda", {"function": {"class_name": "__lambda__", "config": {"code": "AA=="}}},
                                [(None, 5)])
    assert result.output_shapes is None
    assert result.params == (0, 0)  # a Lambda owns no weights, whatever it computes
    assert any("output_shape" in note for note in result.notes)
    declared = shapes.infer_layer("Lambda", {"output_shape": [7]}, [(None, 5)])
    assert declared.output_shape == (None, 7)


def test_an_unknown_class_gets_a_note_not_a_guess():
    result = shapes.infer_layer("MyFancyLayer", {"units": 10}, [(None, 5)])
    assert result.output_shapes is None and result.params is None
    assert "MyFancyLayer" in result.notes[0]


def test_missing_input_dimension_leaves_params_unknown():
    result = shapes.infer_layer("Dense", {"units": 3}, [(None, None)])
    assert result.params is None and result.output_shapes is None
    assert "last dimension" in result.notes[0]


def test_saved_weight_trainability_rules():
    # .h5 files name their weights; .keras files only number them (vars/0, vars/1 ...)
    names = ["bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]
    assert shapes.saved_trainable("BatchNormalization", {}, names, [(4,)] * 4) == [True, True, False, False]
    assert shapes.saved_trainable("BatchNormalization", {"center": False}, [None] * 3, [(4,)] * 3) == [True, False, False]
    assert shapes.saved_trainable("Normalization", {}, [None] * 3, [(5,), (5,), ()]) == [False] * 3
    assert shapes.saved_trainable("Dense", {}, [None, None], [(3, 2), (2,)]) == [True, True]


def _functional(layers, inputs, outputs):
    return {"class_name": "Functional", "config": {"name": "m", "layers": layers,
                                                   "input_layers": inputs, "output_layers": outputs}}


def _keras3_tensor(name, shape):
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "keras_history": [name, 0, 0]}}


def test_keras3_recorded_tensor_shapes_carry_inference_past_an_unknown_layer():
    layers = [
        {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_shape": [None, 6]},
         "inbound_nodes": []},
        {"class_name": "MyCustom", "name": "custom", "config": {"name": "custom"},
         "inbound_nodes": [{"args": [_keras3_tensor("x", [None, 6])], "kwargs": {}}]},
        {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 2},
         "inbound_nodes": [{"args": [_keras3_tensor("custom", [None, 9])], "kwargs": {}}]},
    ]
    outputs, results = shapes.infer_model(_functional(layers, [["x", 0, 0]], [["out", 0, 0]]))
    assert results["custom"].params is None
    assert results["out"].params == (9 * 2 + 2, 20)
    assert outputs == [(None, 2)]


def test_keras2_graph_without_recorded_shapes_stops_at_an_unknown_layer():
    layers = [
        {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [None, 6]},
         "inbound_nodes": []},
        {"class_name": "Lambda", "name": "f", "config": {"name": "f", "function": ["AA==", None, None]},
         "inbound_nodes": [[["x", 0, 0, {}]]]},
        {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 2},
         "inbound_nodes": [[["f", 0, 0, {}]]]},
    ]
    outputs, results = shapes.infer_model(_functional(layers, [["x", 0, 0]], [["out", 0, 0]]))
    assert results["f"].output_shapes is None
    assert results["out"].params is None  # never guessed from the Lambda's input
    assert outputs == [None]


def test_nested_sequential_inside_functional_is_inferred_with_paths():
    inner = {"class_name": "Sequential", "config": {"name": "block", "layers": [
        {"class_name": "Dense", "config": {"name": "d1", "units": 4}},
        {"class_name": "Dense", "config": {"name": "d2", "units": 3}},
    ]}, "name": "block", "inbound_nodes": [[["x", 0, 0, {}]]]}
    layers = [
        {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [None, 5]},
         "inbound_nodes": []},
        inner,
        {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 1},
         "inbound_nodes": [[["block", 0, 0, {}]]]},
    ]
    outputs, results = shapes.infer_model(_functional(layers, [["x", 0, 0]], [["head", 0, 0]]))
    assert results["block/d1"].params == (24, 24)
    assert results["block/d2"].params == (15, 15)
    assert results["block"].output_shape == (None, 3)
    assert results["head"].params == (4, 4)
    assert outputs == [(None, 1)]


def _manifest():
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8")).get("scenarios", {})


JSON_FIXTURES = [(name, file) for name, scenario in sorted(_manifest().items())
                 for file in scenario.get("files", []) if file.endswith("model.json")]


def test_the_fixture_manifest_lists_model_json_files():
    assert MANIFEST.exists(), "tests/fixtures/fixtures.json is produced by tools/make_fixtures.py"
    assert JSON_FIXTURES, "the manifest lists no model.json"


@pytest.mark.parametrize("scenario, file", JSON_FIXTURES, ids=[s for s, _ in JSON_FIXTURES])
def test_inferred_params_of_every_fixture_model_json_equal_count_params(scenario, file):
    """Summed over the top-level layers (nested models summed over theirs)."""
    expected = _manifest()[scenario]["model"]
    path = next((p for p in (FIXTURES / file, FIXTURES / "runs" / scenario / file, FIXTURES.parents[1] / file)
                 if p.exists()), FIXTURES / file)
    entry = json.loads(path.read_text(encoding="utf-8"))
    _outputs, results = shapes.infer_model(entry)
    leaf_params = [r.params for path, r in results.items()
                   if not any(other.startswith(path + "/") for other in results)]
    assert all(p is not None for p in leaf_params), [(p, r.notes) for p, r in results.items() if r.params is None]
    assert sum(p[0] for p in leaf_params) == expected["params_total"]


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 300) | st.floats(allow_nan=True)
    | st.sampled_from(["same", "valid", "causal", "channels_first", "relu", -1, None]),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["units", "filters", "kernel_size", "strides", "padding", "axis",
                                       "pool_size", "target_shape", "layer", "class_name", "config",
                                       "size", "cropping", "dims", "groups", "n", "rate", "use_bias",
                                       "return_sequences", "data_format", "output_shape", "num_heads",
                                       "key_dim", "input_dim", "output_dim", "dilation_rate"]),
                      children, max_size=6),
    max_leaves=25)
_CLASSES = st.sampled_from([c[0] for c in CASES] + ["Lambda", "Unknown", "Functional", "Sequential"])
_SHAPES = st.lists(st.none() | st.lists(st.none() | st.integers(0, 40), max_size=6).map(tuple), max_size=3)


@settings(max_examples=400, deadline=None)
@given(class_name=_CLASSES, config=st.dictionaries(st.text(max_size=12) | st.sampled_from(
    ["units", "filters", "kernel_size", "strides", "padding", "axis", "layer", "target_shape"]), _JSONISH,
    max_size=6), inputs=_SHAPES)
def test_no_config_crashes_layer_inference(class_name, config, inputs):
    result = shapes.infer_layer(class_name, config, inputs)
    assert result.output_shapes is None or isinstance(result.output_shapes, list)
    assert result.params is None or all(isinstance(v, int) for v in result.params)
