"""model.summary() tables read back into a partial ModelSpec.

The Keras 3 and tf.keras 2.21 tables below were printed by the installed keras 3.15 and
tf_keras 2.21 (``model.summary()`` of small models built for the purpose), copied verbatim
apart from trailing spaces; seed 002 and 004 hold the tables users pasted, and the fixture
logs the ANSI-coloured ones a terminal shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.io.summary_table import complete_class, find_summary, parse_shape, parse_summary

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
MANIFEST = json.loads((FIXTURES / "fixtures.json").read_text(encoding="utf-8"))["scenarios"]

KERAS3_SEQUENTIAL = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 16)             │           336 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ batch_normalization             │ (None, 16)             │            64 │
│ (BatchNormalization)            │                        │               │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 3)              │            51 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 451 (1.76 KB)
 Trainable params: 419 (1.64 KB)
 Non-trainable params: 32 (128.00 B)
"""

KERAS3_FUNCTIONAL = """\
Model: "multi"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ a_very_long_input_… │ (None, 8)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ shared_dense_with_… │ (None, 32)        │        288 │ a_very_long_inpu… │
│ (Dense)             │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ aux (InputLayer)    │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concat              │ (None, 36)        │          0 │ shared_dense_wit… │
│ (Concatenate)       │                   │            │ aux[0][0]         │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ class_out (Dense)   │ (None, 3)         │        111 │ concat[0][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ value_out (Dense)   │ (None, 1)         │         37 │ concat[0][0]      │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 436 (1.70 KB)
 Trainable params: 436 (1.70 KB)
 Non-trainable params: 0 (0.00 B)
"""

KERAS3_NESTED = """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ inner (Sequential)              │ (None, 2)              │            38 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│    └ dense_3 (Dense)            │ (None, 4)              │            28 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│    └ dense_4 (Dense)            │ (None, 2)              │            10 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_5 (Dense)                 │ (None, 1)              │             3 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 41 (164.00 B)
 Trainable params: 41 (164.00 B)
 Non-trainable params: 0 (0.00 B)
"""

KERAS3_TRAINABLE = """\
Model: "frozen"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ base (Sequential)           │ (None, 3)             │         51 │   N   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ head (Dense)                │ (None, 2)             │          8 │   Y   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 59 (236.00 B)
 Trainable params: 8 (32.00 B)
 Non-trainable params: 51 (204.00 B)
"""

TF_KERAS_WRAPPED = """\
Model: "multi"
__________________________________________________________________________________________________
 Layer (type)                Output Shape                 Param #   Connected to
==================================================================================================
 a_very_long_input_layer_na  [(None, 8)]                  0         []
 me_for_wrapping_tests (Inp
 utLayer)

 shared_dense_with_a_long_n  (None, 32)                   288       ['a_very_long_input_layer_name
 ame (Dense)                                                        _for_wrapping_tests[0][0]']

 aux (InputLayer)            [(None, 4)]                  0         []

 concat (Concatenate)        (None, 36)                   0         ['shared_dense_with_a_long_nam
                                                                    e[0][0]',
                                                                     'aux[0][0]']

 class_out (Dense)           (None, 3)                    111       ['concat[0][0]']

 value_out (Dense)           (None, 1)                    37        ['concat[0][0]']

==================================================================================================
Total params: 436 (1.70 KB)
Trainable params: 436 (1.70 KB)
Non-trainable params: 0 (0.00 Byte)
__________________________________________________________________________________________________
"""

TF_KERAS_NESTED = """\
Model: "outer"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 inner (Sequential)          (None, 2)                 38
|¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯|
| dense_3 (Dense)            (None, 4)                 28       |
|                                                               |
| dense_4 (Dense)            (None, 2)                 10       |
¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯¯
 dense_5 (Dense)             (None, 1)                 3

=================================================================
Total params: 41 (164.00 Byte)
Trainable params: 41 (164.00 Byte)
Non-trainable params: 0 (0.00 Byte)
_________________________________________________________________
"""

# The Keras 1 layout (column positions of keras/utils/layer_utils.py in Keras 1.2), written
# out by hand: a merge with two inputs continues its "Connected to" cell on the next line.
KERAS1_FUNCTIONAL = """\
____________________________________________________________________________________________________
Layer (type)                     Output Shape          Param #     Connected to
====================================================================================================
input_1 (InputLayer)             (None, 784)           0
____________________________________________________________________________________________________
dense_1 (Dense)                  (None, 64)            50240       input_1[0][0]
____________________________________________________________________________________________________
dense_2 (Dense)                  (None, 64)            4160        dense_1[0][0]
____________________________________________________________________________________________________
merge_1 (Merge)                  (None, 128)           0           dense_1[0][0]
                                                                   dense_2[0][0]
____________________________________________________________________________________________________
dense_3 (Dense)                  (None, 10)            1290        merge_1[0][0]
====================================================================================================
Total params: 55,690
Trainable params: 55,690
Non-trainable params: 0
____________________________________________________________________________________________________
"""


def layers_of(model):
    return [(layer.name, layer.class_name, layer.output_shape, layer.params_total)
            for layer in model.layers]


def test_keras3_box_table_with_a_wrapped_class_cell():
    model = find_summary(KERAS3_SEQUENTIAL, source_path="log.txt")
    assert model.format == "summary" and model.complete is False
    assert (model.name, model.class_name, model.source_path) == ("sequential", "Sequential", "log.txt")
    assert layers_of(model) == [("dense", "Dense", (None, 16), 336),
                                ("batch_normalization", "BatchNormalization", (None, 16), 64),
                                ("dense_1", "Dense", (None, 3), 51)]
    assert (model.params_total, model.params_trainable, model.params_non_trainable) == (451, 419, 32)
    assert model.output_units == 3
    assert model.output_activation is None  # a summary does not show activations


def test_keras3_functional_connections_and_cut_names():
    model = find_summary(KERAS3_FUNCTIONAL)
    assert model.class_name == "Functional"
    names = [layer.name for layer in model.layers]
    assert names == ["a_very_long_input_…", "shared_dense_with_…", "aux", "concat", "class_out",
                     "value_out"]
    by_name = {layer.name: layer for layer in model.layers}
    assert by_name["concat"].inbound == ["shared_dense_with_…", "aux"]
    assert by_name["shared_dense_with_…"].inbound == ["a_very_long_input_…"]  # "a_very_long_inpu…"
    assert by_name["a_very_long_input_…"].class_name == "InputLayer"
    assert model.output_names == ["class_out", "value_out"]
    assert model.input_shapes == [(None, 8), (None, 4)]
    assert any("cut" in warning for warning in model.warnings)


def test_keras3_nested_rows_become_sublayers():
    model = find_summary(KERAS3_NESTED)
    assert [layer.name for layer in model.layers] == ["inner", "dense_5"]
    inner = model.layers[0]
    assert inner.class_name == "Sequential" and inner.params_total == 38
    assert [(sub.path, sub.params_total) for sub in inner.sublayers] == [("inner/dense_3", 28),
                                                                         ("inner/dense_4", 10)]
    assert model.params_total == 41


def test_keras3_trainable_column():
    model = find_summary(KERAS3_TRAINABLE)
    base, head = model.layers
    assert base.trainable is False and base.params_trainable == 0
    assert head.trainable is True and head.params_trainable == 8
    assert (model.params_total, model.params_trainable) == (59, 8)


def test_tf_keras_cells_wrapped_over_several_lines():
    model = find_summary(TF_KERAS_WRAPPED)
    by_name = {layer.name: layer for layer in model.layers}
    assert list(by_name) == ["a_very_long_input_layer_name_for_wrapping_tests",
                             "shared_dense_with_a_long_name", "aux", "concat", "class_out",
                             "value_out"]
    assert by_name["a_very_long_input_layer_name_for_wrapping_tests"].class_name == "InputLayer"
    assert by_name["a_very_long_input_layer_name_for_wrapping_tests"].output_shape == (None, 8)
    assert by_name["concat"].inbound == ["shared_dense_with_a_long_name", "aux"]
    assert by_name["shared_dense_with_a_long_name"].inbound == [
        "a_very_long_input_layer_name_for_wrapping_tests"]
    assert by_name["value_out"].params_total == 37
    assert model.params_total == 436 and model.output_names == ["class_out", "value_out"]


def test_tf_keras_nested_rows_framed_by_bars():
    model = find_summary(TF_KERAS_NESTED)
    assert [layer.name for layer in model.layers] == ["inner", "dense_5"]
    assert [sub.name for sub in model.layers[0].sublayers] == ["dense_3", "dense_4"]
    assert model.layers[0].sublayers[1].output_shape == (None, 2)


def test_keras1_table_with_continued_connections():
    model = find_summary(KERAS1_FUNCTIONAL)
    assert model.class_name == "Functional"
    by_name = {layer.name: layer for layer in model.layers}
    assert by_name["merge_1"].inbound == ["dense_1", "dense_2"]
    assert by_name["merge_1"].class_name == "Merge"
    assert by_name["dense_1"].params_total == 50240
    assert model.output_names == ["dense_3"] and model.params_total == 55_690


def test_seed002_keras2_table_with_cut_class_names():
    model = find_summary((FIXTURES / "seeds" / "seed002.txt").read_text(encoding="utf-8"))
    assert model.name == "sequential" and len(model.layers) == 25
    first_bn = model.layers[1]
    assert (first_bn.name, first_bn.class_name, first_bn.output_shape, first_bn.params_total) == (
        "batch_normalization", "BatchNormalization", (None, 4096, 16), 64)
    assert "BatchNo" in first_bn.notes[0]  # printed as "(BatchNo"
    assert model.layers[7].class_name == "MaxPooling1D"  # printed as "(MaxPooling1"
    dense = model.layers[21]
    assert (dense.name, dense.params_total, dense.output_shape) == ("dense", 3_277_000, (None, 200))
    assert (model.params_total, model.params_trainable, model.params_non_trainable) == (
        3_311_834, 3_311_354, 480)
    assert sum(layer.params_total for layer in model.layers) == model.params_total


def test_seed004_table_pasted_through_a_translator():
    model = find_summary((FIXTURES / "seeds" / "seed004.txt").read_text(encoding="utf-8"))
    assert len(model.layers) == 21
    assert layers_of(model)[0] == ("input_1", "InputLayer", (None, 200, 200, 3), 0)  # (无,200、200、3)
    assert layers_of(model)[-1] == ("dense_2", "Dense", (None, 2), 36_866)
    assert model.layers[13].output_shape == (None, 25, 25, 512)
    assert (model.params_total, model.params_trainable) == (14_751_554, 36_866)  # 总参数, 可训练的参数
    assert sum(layer.params_total for layer in model.layers) == model.params_total
    assert any("by pattern" in warning for warning in model.warnings)


@pytest.mark.parametrize("scenario", ["seed002_softmax_bce_bn", "seed004_relu_cce_nan"])
def test_ansi_coloured_tables_in_fixture_logs(scenario):
    path = FIXTURES / "runs" / scenario / "console_v1.txt"
    if not path.exists():
        pytest.skip("fixture not generated")
    model = find_summary(path.read_bytes().decode("utf-8"))
    expected = MANIFEST[scenario]["model"]
    assert [layer.class_name for layer in model.layers] == expected["layer_classes"]
    assert [layer.name for layer in model.layers] == expected["layer_names"]
    assert model.params_total == expected["params_total"]
    assert model.params_trainable == expected["params_trainable"]


def test_helpers():
    assert parse_shape("(None, 4096, 16)") == (None, 4096, 16)
    assert parse_shape("[(None, 8)]") == (None, 8)
    assert parse_shape("[(None, 2), (None, 3)]") == ((None, 2), (None, 3))
    assert parse_shape("(无,200、200、3)") == (None, 200, 200, 3)
    assert parse_shape("multiple") is None
    assert complete_class("BatchNo") == ("BatchNormalization", True)
    assert complete_class("Dense") == ("Dense", False)
    assert complete_class("Conv") == ("Conv", False)  # several classes start with "Conv"


def test_no_table_gives_none():
    assert find_summary("Epoch 1/2\nloss: 0.5\n") is None
    assert parse_summary(["Layer (type)  Output Shape  Param #", "nothing here"]) is None


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from([
    "Layer (type)   Output Shape   Param #   Connected to", "┃ Layer (type) ┃ Output Shape ┃",
    "│ dense (Dense) │ (None, 2) │ 10 │", "├──┼──┤", "└──┴──┘", "dense (Dense)  (None, 2)  10",
    "|", "¯¯¯", "====", "____", "   ", "", "Total params: 1,234", "(无,2、3)5", "x(Y)(None,", "└",
    "a" * 50, "Non-trainable params: 0", "(BatchNo", "[0][0]", "…",
]), max_size=40), st.text(max_size=80))
def test_odd_tables_never_crash(lines, noise):
    model = parse_summary(lines + [noise])
    if model is not None:
        assert model.format == "summary" and model.layers
