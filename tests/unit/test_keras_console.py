"""The Keras console reader: seed reports, real fit() logs, every spelling, bad input.

Fixture logs in ``tests/fixtures/runs/*/console_v*.txt`` were printed by real Keras 3 and
tf.keras runs (through a pty, so with the ``\\r``/``\\b`` redraws); each run's
``history.json`` holds the exact values, which the console shows rounded as Keras prints
them (``.4f``, or ``.4e`` for magnitudes up to 1e-3).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import InputError
from app.core.run import EVENT_KINDS, canonical_metric
from app.io.load import load_path, load_text
from app.io.readers import keras_console as kc
from app.io.sniff import TextSource, probe_file, probe_text

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SEEDS = FIXTURES / "seeds"
MANIFEST = json.loads((FIXTURES / "fixtures.json").read_text(encoding="utf-8"))["scenarios"]
CONSOLE_FILES = sorted((FIXTURES / "runs").glob("*/console_v[12].txt"))
BS = "\b" * 70  # the backspaces Keras writes before each redraw


def read_text(text: str) -> list:
    return kc.read(TextSource.from_text(text, "<test>"))


def one_run(text: str):
    runs = read_text(text)
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


def values(run, name: str) -> list[float]:
    return run.epochs[name].y.tolist()


def same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b))


def as_printed(value: float) -> float:
    """A history value as Keras' progress bar prints it."""
    if value is None or math.isnan(value):
        return math.nan
    return float(f"{value:.4f}") if abs(value) > 1e-3 else float(f"{value:.4e}")


# ----------------------------------------------------------------------------- seed reports


def test_seed002_gives_ten_epochs_its_evaluate_result_and_its_summary():
    run = one_run((SEEDS / "seed002.txt").read_text(encoding="utf-8"))
    assert run.format == "keras_console"
    assert run.epoch_count == 10
    assert run.epochs["loss"].x.tolist() == list(range(1, 11))
    assert values(run, "loss")[0] == 0.6405 and values(run, "loss")[-1] == 0.1142
    assert values(run, "accuracy")[-1] == 0.9548
    assert values(run, "val_loss") == [7.9835, 19.8981, 1.9558, 20.2678, 5.4945, 32.4579,
                                       14.9538, 1.4420, 4.3830, 1.6054]
    assert values(run, "val_accuracy")[-1] == 0.5009
    assert run.fit.epochs_planned == 10 and run.fit.steps_per_epoch == 914
    # The first epoch's values sit on line 89 of the report.
    line_89 = (SEEDS / "seed002.txt").read_text(encoding="utf-8").split("\n")[88]
    assert run.epochs["loss"].source_lines[0] == 89 and "loss: 0.6405" in line_89
    [evaluation] = run.evaluations
    assert evaluation.metrics == {"loss": 1.7588, "accuracy": 0.5009}
    assert evaluation.label == "train"  # model.evaluate(X_train, Y_train)
    assert evaluation.after_epoch == 10
    model = run.model
    assert model is not None and model.format == "summary" and not model.complete
    assert model.params_total == 3_311_834 and model.params_trainable == 3_311_354
    assert len(model.layers) == 25 and model.layers[16].name == "conv1d_4"


def test_seed004_translated_log_gives_nan_loss_from_epoch_3():
    run = one_run((SEEDS / "seed004.txt").read_text(encoding="utf-8"))
    loss = run.epochs["loss"]
    assert loss.x.tolist() == [1, 2, 3, 4, 5]
    assert loss.y[:2].tolist() == [1.5150, 0.2535]  # printed as "损失" and "损耗"
    assert np.isnan(loss.y[2:]).all()
    assert values(run, "accuracy") == [0.7662, 0.9459, 0.7468, 0.5, 0.5]
    assert values(run, "val_accuracy") == [0.8526, 0.7009, 0.5, 0.5, 0.5]
    assert same(values(run, "val_loss"), [0.4117, 1.7812, math.nan, math.nan, math.nan])
    assert (run.fit.train_samples, run.fit.val_samples) == (2682, 468)  # 训练2682个样本,验证468个样本
    # "史诗1/6" (a translated "Epoch 1/6") is not an epoch header: no planned count from it.
    assert run.fit.epochs_planned is None
    assert any("no 'Epoch N/M' line" in w for w in run.warnings)
    assert any("损失 -> loss" in w for w in run.warnings)
    assert run.model.params_total == 14_751_554 and run.model.params_trainable == 36_866


@pytest.mark.parametrize("seed", ["seed000.txt", "seed001.txt", "seed003.txt"])
def test_seeds_without_a_training_log_are_an_input_error(seed):
    text = (SEEDS / seed).read_text(encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_text(text)
    assert info.value.expected == kc.EXPECTED
    assert info.value.found == repr(text.strip().split("\n")[0].strip()[:80])


# ----------------------------------------------------------------------------- real runs


@pytest.mark.parametrize("path", CONSOLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_console_fixture_matches_history_json(path):
    scenario = MANIFEST[path.parent.name]
    history = json.loads((path.parent / "history.json").read_text(encoding="utf-8"))
    loaded = load_path(path)
    assert [run.format for run in loaded.runs] == ["keras_console"]
    run = loaded.runs[0]
    assert run.epoch_count == scenario["epochs_run"]
    assert run.fit.steps_per_epoch == scenario["steps_per_epoch"]
    for raw, exact in history.items():
        series = run.epochs[canonical_metric(raw)]
        assert series.x.tolist() == list(range(1, len(exact) + 1))
        assert same(series.y.tolist(), [as_printed(v) for v in exact]), raw
        assert series.source_path == str(path)
    # Every point's line number is the line that printed it.
    lines = path.read_bytes().decode("utf-8", "replace").split("\n")
    loss = run.epochs["loss"]
    for epoch_index in (0, len(loss) - 1):
        line = lines[loss.source_lines[epoch_index] - 1].rstrip("\r")
        last_redraw = line.split("\r")[-1]
        value = loss.y[epoch_index]
        shown = "nan" if math.isnan(value) else f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
        assert f"loss: {shown}" in last_redraw


def test_early_stopping_and_restored_weights_are_events():
    run = load_path(FIXTURES / "runs" / "healthy_mlp" / "console_v1.txt").runs[0]
    kinds = {event.kind: event for event in run.events}
    assert kinds["early_stopping"].epoch == 33
    assert kinds["restore_best_weights"].params["best_epoch"] == 28
    assert run.fit.epochs_planned == 100 and run.epoch_count == 33


def test_reduce_lr_on_plateau_message_between_redraws():
    run = load_path(FIXTURES / "runs" / "healthy_conv2d" / "console_v1.txt").runs[0]
    [change] = [event for event in run.events if event.kind == "lr_change"]
    assert change.epoch == 19 and change.params["learning_rate"] == 0.0010000000474974513
    assert run.epochs["learning_rate"].y[-1] == 0.0010


def test_terminate_on_nan_run_stops_in_epoch_6():
    run = load_path(FIXTURES / "runs" / "seed004_relu_cce_nan" / "console_v1_terminate.txt").runs[0]
    assert run.epoch_count == 6
    assert math.isnan(run.epochs["loss"].y[-1]) and run.epochs["accuracy"].y[-1] == 0.7764
    [stop] = [event for event in run.events if event.kind == "terminate_on_nan"]
    assert stop.epoch == 6 and stop.params["batch"] == 12
    checkpoints = [event for event in run.events if event.kind == "checkpoint"]
    assert [event.epoch for event in checkpoints] == [1, 2, 3, 4, 5, 6]  # one per epoch
    assert checkpoints[0].params["path"] == "checkpoint.keras"
    assert checkpoints[1].params["previous"] == 0.69915 and checkpoints[1].params["value"] == 0.68242
    assert checkpoints[5].params["improved"] is False
    assert all(event.kind in EVENT_KINDS for event in run.events)


def test_fixture_evaluate_list_is_tied_to_the_bar_names():
    run = load_path(FIXTURES / "runs" / "seed002_softmax_bce_bn" / "console_v1.txt").runs[0]
    expected = MANIFEST["seed002_softmax_bce_bn"]["evaluate"]
    [evaluation] = run.evaluations
    # "[2.616441249847412, 0.5]" after a bar printing "accuracy: 0.5000 - loss: 2.6164".
    assert evaluation.metrics == expected
    assert evaluation.after_epoch == 12


@pytest.mark.parametrize("scenario", ["seed002_softmax_bce_bn", "seed004_relu_cce_nan"])
def test_fixture_summary_table_becomes_the_run_model(scenario):
    run = load_path(FIXTURES / "runs" / scenario / "console_v1.txt").runs[0]
    model = MANIFEST[scenario]["model"]
    assert run.model.params_total == model["params_total"]
    assert run.model.params_trainable == model["params_trainable"]
    assert [layer.class_name for layer in run.model.layers] == model["layer_classes"]


# ----------------------------------------------------------------------------- spellings

TF_KERAS_SAMPLES = (
    "Train on 1000 samples, validate on 200 samples\n"
    "Epoch 1/3\n"
    "  32/1000 [>.............................] - ETA: 2:39:53 - loss: 0.7000 - acc: 0.4000" + BS
    + "\r  64/1000 [=>............................] - ETA: 0s - loss: 0.6950 - acc: 0.4500" + BS
    + "\r1000/1000 [==============================] - 1s 2ms/step - loss: 0.6931 - acc: 0.5000"
    " - val_loss: 0.6900 - val_acc: 0.5100\n"
    "Epoch 2/3\n"
    "  32/1000 [>.............................] - ETA: 0s - loss: 0.6000 - acc: 0.6000" + BS
    + "\r1000/1000 [==============================] - 1s 2ms/step - loss: 0.6000 - acc: 0.6500"
    " - val_loss: 0.6100 - val_acc: 0.6000 - lr: 0.0010\n"
)


def test_tf_keras_bar_counting_samples_gives_batch_size():
    run = one_run(TF_KERAS_SAMPLES)
    assert values(run, "accuracy") == [0.5, 0.65]  # acc -> accuracy
    assert values(run, "val_accuracy") == [0.51, 0.6]
    assert run.epochs["learning_rate"].x.tolist() == [2]  # lr -> learning_rate, epoch 2 only
    assert run.epochs["accuracy"].raw_name == "acc"
    fit = run.fit
    assert (fit.train_samples, fit.val_samples, fit.epochs_planned) == (1000, 200, 3)
    assert fit.batch_size == 32 and fit.steps_per_epoch == 32  # ceil(1000 / 32)
    assert run.epochs["loss"].source_lines.tolist() == [3, 5]


def test_keras1_backspace_redraws_and_epoch_0():
    text = (
        "Epoch 0\n"
        "  128/60000 [..............................] - ETA: 40s - loss: 2.3000" + "\b" * 80
        + "  256/60000 [..............................] - ETA: 39s - loss: 2.1000" + "\b" * 80
        + "60000/60000 [==============================] - 6s - loss: 0.2857 - acc: 0.9132"
        " - val_loss: 0.1207 - val_acc: 0.9626\n"
        "Epoch 1\n"
        "60000/60000 [==============================] - 6s - loss: 0.1200 - acc: 0.9600"
        " - val_loss: 0.1000 - val_acc: 0.9700\n"
    )
    run = one_run(text)
    assert run.epochs["loss"].x.tolist() == [1, 2]  # 'Epoch 0' is the first epoch
    assert values(run, "loss") == [0.2857, 0.12]
    assert any("from 0" in warning for warning in run.warnings)


def test_callback_messages_glued_to_the_bar():
    text = (
        "Epoch 1/3\n"
        " 1/51 [..............................] - ETA: 10s - loss: 2.0000\r"
        "52/51 [==============================] - 3s 50ms/step - loss: 1.6080Epoch 00001: "
        "val_loss improved from inf to 1.60000, saving model to /tmp/best.h5\n"
        "Epoch 2/3\n"
        "51/51 [==============================] - 3s 50ms/step - loss: 1.5000 - val_loss: 1.4000\n"
        "Epoch 00002: ReduceLROnPlateau reducing learning rate to 1e-05.\n"
        "Epoch 3/3\n"
        "51/51 [==============================] - 3s 50ms/step - loss: 1.4000 - val_loss: 1.5000\n"
        "Epoch 00003: early stopping\n"
        "Restoring model weights from the end of the best epoch.\n"
    )
    run = one_run(text)
    assert values(run, "loss") == [1.608, 1.5, 1.4]
    assert run.fit.steps_per_epoch == 51
    assert any("52/51" in warning for warning in run.warnings)  # the counter overshot
    kinds = [(event.kind, event.epoch) for event in run.events]
    assert kinds == [("checkpoint", 1), ("lr_change", 2), ("early_stopping", 3),
                     ("restore_best_weights", 3)]
    assert run.events[0].params["path"] == "/tmp/best.h5"
    assert run.events[0].params["previous"] == math.inf
    assert run.events[1].params["learning_rate"] == 1e-05
    assert run.events[0].source.line == 2  # glued to the bar's last redraw


def test_keras3_messages_and_nan_terminate():
    text = (
        "Epoch 1/2\n"
        "\r\x1b[1m 1/19\x1b[0m \x1b[32m━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[1m13s\x1b[0m"
        " 749ms/step - accuracy: 0.2500 - loss: 1.3305" + BS
        + "\r\x1b[1m11/19\x1b[0m \x1b[32m━━━━━━━━━━━\x1b[0m\x1b[37m━━━━━━━━━\x1b[0m \x1b[1m0s\x1b[0m"
        " 5ms/step - accuracy: 0.5000 - loss: 1.0000 \n"
        "Epoch 1: ReduceLROnPlateau reducing learning rate to 9.999999747378752e-06.\n"
        + BS + "\r\x1b[1m19/19\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m1s\x1b[0m"
        " 11ms/step - accuracy: 0.3450 - loss: 1.1367 - val_accuracy: 0.4650 - val_loss: 1.0440\n"
        "Epoch 2/2\n"
        "\r\x1b[1m 3/19\x1b[0m ━━━ 0s 5ms/step - accuracy: 0.7784 - loss: 0.5166 "
        "Batch 3: Invalid loss, terminating training\n"
        + BS + "\r\x1b[1m19/19\x1b[0m ━━━━━━━━━━━━━━━━━━━━ 0s 8ms/step - accuracy: 0.7764 - loss: nan"
        " - val_accuracy: 0.5000 - val_loss: nan\n"
    )
    run = one_run(text)
    assert values(run, "accuracy") == [0.345, 0.7764]
    assert values(run, "val_loss")[0] == 1.044 and math.isnan(values(run, "val_loss")[1])
    assert run.epochs["loss"].source_lines.tolist() == [4, 7]
    assert [(e.kind, e.epoch) for e in run.events] == [("lr_change", 1), ("terminate_on_nan", 2)]
    assert run.events[0].params["learning_rate"] == 9.999999747378752e-06
    assert run.events[1].params["batch"] == 3


def test_verbose_2_spellings():
    keras22 = ("Epoch 1/2\n - 3s - loss: 0.3640 - acc: 0.8897 - val_loss: 0.2000 - val_acc: 0.9000\n"
               "Epoch 2/2\n - 2s - loss: 0.3000 - acc: 0.9000 - val_loss: 0.1900 - val_acc: 0.9100\n")
    tf2 = ("Epoch 1/2\n19/19 - 0s - loss: 0.0793 - acc: 0.9800 - val_loss: 0.1391 - val_acc: 0.9350"
           " - 34ms/epoch - 2ms/step\nEpoch 2/2\n19/19 - 0s - loss: 0.0725 - acc: 0.9850 - val_loss:"
           " 0.1455 - val_acc: 0.9500 - 34ms/epoch - 2ms/step\n")
    keras3 = ("Epoch 1/2\n19/19 - 1s - 55ms/step - accuracy: 0.3450 - loss: 1.1367\n"
              "Epoch 2/2\n19/19 - 0s - 5ms/step - accuracy: 0.4517 - loss: 1.0255\n")
    assert values(one_run(keras22), "accuracy") == [0.8897, 0.9]
    assert values(one_run(tf2), "val_accuracy") == [0.935, 0.95]
    assert one_run(tf2).fit.steps_per_epoch == 19
    assert values(one_run(keras3), "loss") == [1.1367, 1.0255]


def test_metrics_in_any_order_with_odd_values_and_multi_output_names():
    text = ("Epoch 1/1\n5/5 [==============================] - 0s 1ms/step - kl: inf - loss: -1.2500e+00"
            " - x: -inf - acc: nan - output_1_loss: 5.0000e-04 - dense_2_accuracy: 0.2500"
            " - val_sparse_categorical_accuracy: 0.1250\n")
    run = one_run(text)
    assert values(run, "loss") == [-1.25] and values(run, "kl") == [math.inf]
    assert values(run, "x") == [-math.inf] and math.isnan(values(run, "accuracy")[0])
    assert values(run, "output_1_loss") == [5e-4]
    assert values(run, "dense_2_accuracy") == [0.25]
    assert values(run, "val_sparse_categorical_accuracy") == [0.125]


def test_two_fit_calls_give_two_runs_and_evaluations_after_them():
    text = (
        "Epoch 1/2\n10/10 - 0s - loss: 0.5000\nEpoch 2/2\n10/10 - 0s - loss: 0.4000\n"
        "Epoch 1/3\n10/10 - 0s - loss: 0.9000\nEpoch 2/3\n10/10 - 0s - loss: 0.8000\n"
        "Epoch 3/3\n10/10 - 0s - loss: 0.7000\n"
        "Test loss: 0.6931\nTest accuracy: 0.5\n"
        "[0.6931, 0.5009]\n"
    )
    first, second = read_text(text)
    assert (first.name, second.name) == ("<test> #1", "<test> #2")
    assert values(first, "loss") == [0.5, 0.4] and values(second, "loss") == [0.9, 0.8, 0.7]
    assert (first.fit.epochs_planned, second.fit.epochs_planned) == (2, 3)
    labeled, unnamed = second.evaluations
    assert labeled.metrics == {"loss": 0.6931, "accuracy": 0.5} and labeled.label == "test"
    assert labeled.after_epoch == 3 and labeled.source.line == 11
    assert unnamed.metrics == {"value_0": 0.6931, "value_1": 0.5009}
    assert any("value_0" in warning for warning in second.warnings)


def test_evaluate_bar_without_epoch_header_and_its_printed_results():
    text = (
        "Epoch 1/1\n4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - loss: 0.6000\n"
        "score = model.evaluate(x_test, y_test)\n"
        " 1/2 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - accuracy: 0.0000e+00 - loss: 0.9000\r"
        "2/2 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - accuracy: 0.5000 - loss: 0.6931\n"
        "{'accuracy': 0.5, 'loss': 0.6931471824645996}\n"
        "313/313 [==============================] - 1s 2ms/step - loss: 0.0700 - accuracy: 0.9786\n"
        "[0.07001234, 0.978600025]\n"
    )
    run = one_run(text)
    assert run.epoch_count == 1
    first, second = run.evaluations
    assert first.metrics == {"accuracy": 0.5, "loss": 0.6931471824645996}  # the dict's precision
    assert first.label == "test" and first.after_epoch == 1 and first.source.line == 4
    assert second.metrics == {"loss": 0.07001234, "accuracy": 0.978600025}  # tied by value
    assert second.label == ""


def test_a_bare_evaluate_line_is_a_run_without_epochs():
    run = one_run("313/313 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.5000 - loss: 0.6900\n")
    assert run.epoch_count == 0
    assert run.evaluations[0].metrics == {"accuracy": 0.5, "loss": 0.69}


def test_log_pasted_from_a_page_with_prose_fences_and_tf_warnings():
    text = (
        "我的模型训练日志如下 (第1轮 损失下降, 史诗 2/2):\n"
        "```\n"
        "W tensorflow/core/platform/cpu_feature_guard.cc:142] Your CPU supports AVX2 loss: 9.9\n"
        "2019-03-07 20:04:22.123456: I tensorflow/core/common_runtime/x.cc:1] loss: 9.9\n"
        "I0000 00:00:1795376413.510037     389 port.cc:153] oneDNN custom operations are on.\n"
        "에포크 1/2 시작, 정확도: 0.1\n"
        "Epoch 1/2\n"
        "19/19 ━━━━━━━━━━━━━━━━━━━━ 1s 15ms/step - accuracy: 0.3450 - loss: 1.1367E0000 00:00:17953"
        "76433.456295    1522 node_def_util.cc:682] NodeDef mentions attribute x: 12\n"
        "Epoch 2/2\n"
        "19/19 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - accuracy: 0.4517 - loss: 1.0255\n"
        "```\n"
        "The loss: it goes down slowly. 이것은 제 로그입니다.\n"
    )
    run = one_run(text)
    assert sorted(run.epochs) == ["accuracy", "loss"]
    assert values(run, "loss") == [1.1367, 1.0255]
    assert run.epochs["loss"].source_lines.tolist() == [8, 10]
    assert not run.evaluations


def test_keras3_unknown_target_in_first_epoch():
    text = ("Epoch 1/2\n      5/Unknown 1s 20ms/step - loss: 0.9000\r     19/Unknown 2s 20ms/step"
            " - loss: 0.8000\r19/19 ━━━━━━━━━━━━━━━━━━━━ 2s 25ms/step - loss: 0.8000 - val_loss: 0.7000\n"
            "Epoch 2/2\n19/19 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - loss: 0.6000 - val_loss: 0.5000\n")
    run = one_run(text)
    assert run.epochs["loss"].x.tolist() == [1, 2] and values(run, "val_loss") == [0.7, 0.5]
    assert not run.warnings


def test_every_redraw_on_its_own_line_is_one_epoch():
    text = ("Epoch 1/1\n 1/19 [>.............................] - ETA: 0s - loss: 0.7000\n"
            "10/19 [===============>..............] - ETA: 0s - loss: 0.6000\n"
            "19/19 [==============================] - 0s 3ms/step - loss: 0.5000 - val_loss: 0.4000\n")
    run = one_run(text)
    assert values(run, "loss") == [0.5] and not run.evaluations
    # A run cut short mid-epoch: the last redraw (with its ETA) holds the values.
    cut_short = one_run("Epoch 1/1\n 10/19 [====>.........] - ETA: 2:39:53 - loss: 0.6000\n")
    assert sorted(cut_short.epochs) == ["loss"] and values(cut_short, "loss") == [0.6]


def test_initial_epoch_and_summary_before_training():
    text = (
        'Model: "sequential"\n'
        "_________________________________________________________________\n"
        "Layer (type)                 Output Shape              Param #   \n"
        "=================================================================\n"
        "dense (Dense)                (None, 2)                 10        \n"
        "=================================================================\n"
        "Total params: 10\nTrainable params: 10\nNon-trainable params: 0\n"
        "_________________________________________________________________\n"
        "Epoch 11/12\n8/8 - 0s - loss: 0.3000\nEpoch 12/12\n8/8 - 0s - loss: 0.2000\n"
    )
    run = one_run(text)
    assert run.epochs["loss"].x.tolist() == [11, 12]
    assert run.fit.initial_epoch == 10
    assert run.model.layers[0].name == "dense" and run.model.params_total == 10


# ----------------------------------------------------------------------------- files, chunks


def _write(tmp_path, name: str, text: str, encoding: str, bom: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                           ("gbk", b""), ("utf-8", b"\xef\xbb\xbf")])
@pytest.mark.parametrize("chunk", [kc.CHUNK_CHARS, 3])  # 3 bytes: characters cut at borders
def test_encodings_through_load_path(tmp_path, monkeypatch, encoding, bom, chunk):
    monkeypatch.setattr(kc, "CHUNK_CHARS", chunk)
    text = "训练日志 第1轮\r\n" + TF_KERAS_SAMPLES.replace("\n", "\r\n")
    path = _write(tmp_path, "log.txt", text, encoding, bom)
    [run] = load_path(path).runs
    assert run.format == "keras_console"
    assert values(run, "loss") == [0.6931, 0.6]
    assert run.epochs["loss"].source_lines.tolist() == [4, 6]  # the prose line comes first
    assert run.fit.batch_size == 32


def test_old_mac_line_ends(tmp_path):
    path = _write(tmp_path, "log.txt", "Epoch 1/2\r5/5 - 0s - loss: 0.5000\rEpoch 2/2\r"
                  "5/5 - 0s - loss: 0.4000\r", "utf-8")
    [run] = load_path(path).runs
    assert values(run, "loss") == [0.5, 0.4] and run.epochs["loss"].source_lines.tolist() == [2, 4]


def _summary(runs) -> list:
    return [(r.name, {k: (s.x.tolist(), [repr(v) for v in s.y], s.source_lines.tolist())
                      for k, s in r.epochs.items()},
             [(e.metrics, e.label, e.after_epoch, e.source.line) for e in r.evaluations],
             [(e.kind, e.epoch, e.source.line) for e in r.events], r.fit.to_dict(),
             r.model.params_total if r.model else None) for r in runs]


@pytest.mark.parametrize("name", ["seed002_softmax_bce_bn/console_v1.txt",
                                  "seed004_relu_cce_nan/console_v1_terminate.txt",
                                  "keras2_tfkeras/console_v1.txt", "healthy_conv2d/console_v1.txt"])
def test_tiny_chunks_and_cut_long_lines_give_the_same_result(monkeypatch, name):
    path = FIXTURES / "runs" / name
    if not path.exists():
        pytest.skip("fixture not generated")
    source = TextSource.from_file(str(path), "utf-8")
    expected = _summary(kc.read(source))
    monkeypatch.setattr(kc, "CHUNK_CHARS", 7)  # UTF-8 characters and '\r\n' cut at borders
    monkeypatch.setattr(kc, "MAX_CARRY", 700)  # bar lines cut to their last redraw
    assert _summary(kc.read(source)) == expected
    pasted = TextSource.from_text(path.read_bytes().decode("utf-8"), str(path))
    assert _summary(kc.read(pasted)) == expected


def test_tiny_chunks_keep_the_first_redraw_of_a_samples_counter(monkeypatch):
    monkeypatch.setattr(kc, "CHUNK_CHARS", 5)
    monkeypatch.setattr(kc, "MAX_CARRY", 150)
    run = one_run(TF_KERAS_SAMPLES)
    assert run.fit.batch_size == 32 and values(run, "loss") == [0.6931, 0.6]


# ----------------------------------------------------------------------------- detection, errors


def test_identify_scores():
    header = probe_text("Epoch 1/10\n10/10 [======] - 1s - loss: 0.5 - acc: 0.7\n")
    bare = probe_text("313/313 ━━━━━━━━━━━━━━━━━━━━ 1s 2ms/step - accuracy: 0.5 - loss: 0.69\n")
    assert kc.identify(header) >= 0.8
    assert 0.3 <= kc.identify(bare) < kc.identify(header)
    assert kc.identify(probe_text('{"loss": [0.69, 0.5], "accuracy": [0.5, 0.6]}')) == 0.0
    assert kc.identify(probe_text("epoch,loss,accuracy\n0,0.69,0.5\n1,0.6,0.6\n")) == 0.0
    assert kc.identify(probe_text("just some words\n")) == 0.0
    run_dir = FIXTURES / "runs" / "healthy_mlp"
    if (run_dir / "log.csv").exists():
        assert kc.identify(probe_file(str(run_dir / "log.csv"))) == 0.0
        assert kc.identify(probe_file(str(run_dir / "history.json"))) == 0.0


def test_text_without_epoch_values_is_an_input_error():
    with pytest.raises(InputError) as info:
        read_text("\n\n  Epoch 1/10 was slow\nloss: went down\nEpoch 2/10\n")
    assert info.value.expected == "Keras console output with 'Epoch N/M' lines and 'loss: ...' values"
    assert info.value.found == repr("Epoch 1/10 was slow")


def test_load_text_picks_this_reader():
    [run] = load_text("Epoch 1/1\n3/3 [======] - 0s - loss: 0.1000 - val_loss: 0.2000\n").runs
    assert run.format == "keras_console" and run.last_values() == {"loss": 0.1, "val_loss": 0.2}


TOKENS = st.sampled_from([
    "Epoch 1/3", "Epoch 2/3", "Epoch 0", "Epoch 3", "\n", "\r", "\b\b\b", "\r\n", " - ", "loss: ",
    "val_loss: ", "acc: ", "0.5000", "nan", "-inf", "1e-05", "52/51 ", "19/19 ", "5/Unknown ",
    "[======>....]", "━━━━", " 3s 2ms/step", "ETA: 2:39:53", "[0.69, 0.5]", "{'loss': 0.69}",
    "Test loss: 0.7", "Train on 100 samples, validate on 20 samples", "Batch 3: Invalid loss, "
    "terminating training", "Epoch 00001: early stopping", "Restoring model weights from the end"
    " of the best epoch: 1.", "Epoch 1: ReduceLROnPlateau reducing learning rate to 1e-05.",
    "Layer (type)   Output Shape   Param #", "dense (Dense)  (None, 2)  10", "│", "┃", "└",
    "Total params: 10", "Non-trainable params: 0", "\x1b[1m", "史诗", "第1轮", "evaluate(x_test",
    "E0000 00:00:1.5 1 a.cc:1] ", "val_accuracy: 0.5", "  ", "model.evaluate(x_train)",
])


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=60), st.integers(min_value=1, max_value=40),
       st.sampled_from([40, 1 << 20]))
def test_log_like_noise_never_crashes_or_hangs(tokens, chunk, carry):
    text = "".join(tokens)
    old = kc.CHUNK_CHARS, kc.MAX_CARRY
    kc.CHUNK_CHARS, kc.MAX_CARRY = chunk, carry
    try:
        start = time.perf_counter()
        try:
            runs = read_text(text)
        except InputError:
            runs = []
        assert time.perf_counter() - start < 5
        for run in runs:
            assert run.epochs or run.evaluations
            for series in run.epochs.values():
                assert len(series.source_lines) == len(series) and (series.x >= 1).all()
                assert (np.diff(series.x) > 0).all()
    finally:
        kc.CHUNK_CHARS, kc.MAX_CARRY = old


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text):
    start = time.perf_counter()
    try:
        read_text(text)
    except InputError:
        pass
    assert time.perf_counter() - start < 5
