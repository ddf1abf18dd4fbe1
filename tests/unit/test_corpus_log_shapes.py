"""Log shapes people post, read from the real-world corpus (``bench/corpus/cases``, each log
kept verbatim with its source URL in the case's meta.json). Every test names the case and
asserts numbers exactly as they were printed."""

from pathlib import Path

import numpy as np
import pytest

from app.core.errors import InputError
from app.io.load import load_path

CASES = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "cases"


def runs(case: str):
    return load_path(CASES / case / "log.txt").runs


def test_hugging_face_trainer_state_cut_off_mid_record():
    # a trainer_state.json pasted into an issue, cut off after the tenth log_history record
    (run,) = runs("gh-queque5987-nersota-trainer-state")
    loss = run.steps["loss"]
    assert list(loss.x[:3]) == [500, 1000, 1500] and list(loss.y[:3]) == [1.9663, 0.145, 0.1312]
    assert len(loss) == 10 and loss.source_lines[0] == 10  # the line of the record's first line


def test_hugging_face_trainer_state_with_evaluation_records():
    (run,) = runs("gh-yuanhuanghuang-quality-lrqa-trainer-state")
    assert run.steps["val_accuracy"].y[0] == pytest.approx(0.25503355264663696)
    assert run.steps["val_loss"].y[0] == pytest.approx(1.3863019943237305)
    assert "eval_runtime" not in run.steps and "runtime" not in run.steps


def test_one_number_per_line_reads_as_a_loss_with_a_warning():
    (run,) = runs("page-stats-stackexchange-com-594738")
    loss = run.steps["loss"]
    assert loss.y[0] == 1305310646.9058952 and len(loss) == 10
    assert any("one per line" in w for w in run.warnings)


def test_keras_guide_custom_loop_epochs_and_continued_steps():
    # "Start of epoch N", "Training loss (for 1 batch) at step S: V", epoch results after the steps
    (run,) = runs("kerasio-guide-custom-training-loop-tf-run2")
    steps = run.steps["loss"].x
    assert list(steps[:3]) == [0, 100, 200] and bool(np.all(np.diff(steps) > 0))  # one run, steps continued
    assert list(run.epochs["accuracy"].y) == [0.7961, 0.8896]
    assert list(run.epochs["val_accuracy"].y) == [0.8825, 0.9094]


def test_caffe_test_outputs_after_testing_net_lines():
    (run,) = runs("gh-chuckcho-video-caffe-11")
    assert list(run.steps["val_accuracy"].x) == [18000, 19000]  # accuracy/top-1 is the accuracy
    assert list(run.steps["val_accuracy"].y) == [0.24, 0.008]
    assert list(run.steps["val_loss"].y) == [3.30735, 87.3366]


def test_mxnet_whitespace_table_with_rows_cut_out():
    (run,) = runs("gh-apache-mxnet-1865")
    assert list(run.epochs["accuracy"].x) == [3, 4, 5, 6, 7, 8, 12]  # "...  ...  ..." skipped
    assert run.epochs["val_accuracy"].y[-1] == 0.71926


def test_fastai_metric_columns_are_validation_metrics():
    (run,) = runs("gh-eagerai-fastai-readme-tabular")
    assert set(run.epochs) == {"loss", "val_loss", "val_accuracy"}
    assert run.epochs["val_accuracy"].y[0] == 0.825871


def test_a_text_without_numbers_names_what_it_looks_like(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("We trained for a while and it did not work.\nAny idea?\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_path(text)
    assert "notes.txt" in error.value.message() and "it starts" in error.value.message()


def test_keras_metric_parts_without_bars_or_epochs_are_one_epoch_a_line():
    (run,) = runs("gh-kcct-fujimotolab-3dcnn-2")  # " - loss: 13.7778 - acc: 0.1451 -val_loss: ..."
    assert list(run.epochs["loss"].y[:2]) == [13.7778, 13.8914]
    assert list(run.epochs["val_loss"].x[:3]) == [1, 2, 3] and run.epochs["val_accuracy"].y[0] == 0.1633
    assert any("no epoch number" in w for w in run.warnings)


def test_pandas_history_table_with_its_index():
    (run,) = runs("page-52sbl-cn-90830")  # DataFrame(history.history) printed
    assert run.epochs["val_loss"].y[0] == 0.719960 and len(run.epochs["loss"]) == 20
    assert set(run.epochs) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_printed_evaluate_list_is_named_by_the_fit_metrics():
    (run,) = runs("gh-keras-team-keras-10014")  # "[4.552013397216797, 0.44897958636283875]" after fit
    assert run.evaluations[0].metrics == {"loss": 4.552013397216797, "accuracy": 0.44897958636283875}


def test_test_results_printed_with_a_semicolon():
    (run,) = runs("gh-keras-team-keras-12317")  # "test loss; 0.8240634125709534" / "test accuracy: 0.5"
    assert run.evaluations[-1].metrics == {"loss": 0.8240634125709534, "accuracy": 0.5}


def test_pytorch_word_language_model_batches_of_an_epoch():
    # "| epoch   1 |   200/ 2983 batches | lr 20.0000 | ms/batch 12.12 | loss  7.64 | ppl  2079.22"
    (run,) = runs("gh-pypi-data-pypi-mirror-359-nlpia2-lstm-notes")
    assert list(run.steps["loss"].x[:2]) == [200, 400] and list(run.steps["loss"].y[:2]) == [7.64, 6.87]
    assert run.steps["learning_rate"].y[0] == 20.0 and "ms" not in " ".join(run.steps)
    assert run.epochs["val_loss"].y[0] == 5.53  # "| end of epoch   1 | ... | valid loss  5.53 |"
