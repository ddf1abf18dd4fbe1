"""Detector branches calibrated on the real-world corpus, each checked on the public run that
shows it (``bench/corpus/cases``: logs kept verbatim, source URL in each case's meta.json),
and on a healthy public run of the same shape that must stay silent."""

from pathlib import Path

from app.io.load import load_code_path, load_path
from app.rules.base import Context
from app.rules.engine import detect_symptoms, diagnose_all

CASES = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "cases"


def symptoms(case: str) -> dict:
    (run,) = load_path(CASES / case / "log.txt").runs[:1]
    return {s.id: s for s in detect_symptoms(Context(run=run))}


# ------------------------------------------------------------------ saturated outputs

def test_loss_of_saturated_outputs_is_accuracy_at_one_class_share():
    # loss 5.3727 = 16.118 x (1 - 0.6667) in both epochs: every answer certain, a third wrong
    found = symptoms("gh-keras-team-keras-12096")
    stuck = found["stuck_chance_accuracy"]
    text = stuck.describe("en")
    assert "16.12 × (1 − accuracy) in 2 of 2 epochs" in text and "saturated" in text
    assert "饱和" in stuck.describe("zh_CN")
    # the same epochs repeat the loss exactly: no learning either
    assert found["plateau_no_learning"].describe("en").startswith("loss repeats 5.373 exactly")


def test_a_healthy_run_never_shows_the_saturation_ratio():
    for case in ("gh-keras-team-keras-8680", "kerasio-collaborative-filtering-movielens",
                 "gh-eagerai-fastai-readme-tabular"):
        assert "stuck_chance_accuracy" not in symptoms(case), case


# ------------------------------------------------------------------ plateau

def test_caffe_loss_pinned_at_its_cap_after_a_jump_is_a_plateau():
    # sphereface: 9.66 ... 9.70, then 87.3365 three times (Caffe's softmax loss cap)
    plateau = symptoms("gh-wy1iu-sphereface-103")["plateau_no_learning"]
    assert plateau.params["low"] == plateau.params["high"] == 87.3365


def test_a_loss_that_doubles_is_no_plateau():
    # 0.0475 -> 0.0958: a spike, not a flat loss (and keras-7603 0.905 -> 1.848)
    assert "plateau_no_learning" not in symptoms("gh-calclavia-deepj-49")
    assert "plateau_no_learning" not in symptoms("gh-keras-team-keras-7603")


def test_a_flat_loss_beside_an_accuracy_that_has_learned_is_no_plateau():
    # loss 0.774 -> 0.761 over 10 epochs while accuracy sits at 0.73-0.74 and creeps up
    assert "plateau_no_learning" not in symptoms("gh-keras-team-keras-8680")


def test_accuracy_repeated_exactly_with_no_loss_printed_is_a_plateau():
    # MLX example: val_accuracy 0.113 in all 10 epochs, no loss in the prints
    plateau = symptoms("gh-ml-explore-mlx-188")["plateau_no_learning"]
    assert plateau.metric == "val_accuracy" and "no loss printed" in plateau.describe("en")


def test_a_one_epoch_run_is_judged_on_its_step_losses():
    # flair: one epoch line, seven step lines all at 0.1744
    plateau = symptoms("gh-flairnlp-flair-3028")["plateau_no_learning"]
    assert plateau.axis == "step"


def test_keras_step_lines_are_running_means_and_not_a_plateau():
    # the step lines of keras-7648's unfinished epoch average the epoch so far
    assert "plateau_no_learning" not in symptoms("gh-keras-team-keras-7648")


# ------------------------------------------------------------------ uniform predictions

def test_loss_at_ln_c_decides_chance_when_the_accuracy_is_noisy():
    # a 4-choice reading task: loss 1.386-1.417 (ln 4 = 1.386) for 22 logging steps while
    # the evaluation accuracy wanders between 0.23 and 0.31
    found = symptoms("gh-yuanhuanghuang-quality-lrqa-trainer-state")
    assert "ln(4)" in found["stuck_chance_accuracy"].describe("en")
    assert "plateau_no_learning" in found


def test_the_class_count_is_the_nearest_ln_c():
    # loss 4.59-4.63 (ln 100 = 4.605) with accuracy 0 on every step: 100 classes, not 81
    stuck = symptoms("page-donghao-org-2018-05-11-764")["stuck_chance_accuracy"]
    assert "ln(100)" in stuck.describe("en")


# ------------------------------------------------------------------ collapse on step prints

def test_a_loss_of_exactly_zero_on_every_step_is_a_collapse():
    # tf_unet: one epoch line, ten step lines with loss 0.0 and accuracy 1.0
    collapse = symptoms("gh-jakeret-tf-unet-201")["loss_collapse_zero"]
    assert collapse.axis == "step"


# ------------------------------------------------------------------ accuracy that swings

def test_a_validation_accuracy_that_jumps_up_and_down_oscillates():
    # mxnet-1865: val_accuracy 0.695, 0.530, 0.658, 0.722, 0.696, 0.317, 0.719 while training
    # accuracy climbs 0.94 -> 0.99; no validation loss printed
    oscillation = symptoms("gh-apache-mxnet-1865")["oscillation"]
    assert oscillation.metric == "val_accuracy" and oscillation.params["swing"] == 0.147
    assert "0.147" in oscillation.describe("en") and "0.147" in oscillation.describe("zh_CN")


def test_a_healthy_accuracy_moving_a_few_points_does_not_oscillate():
    # healthy runs of the corpus move by a median 0.034 per epoch at most
    for case in ("gh-tensorflow-tensorflow-62460-fixed", "page-acgowda-github-io-hw3-model2-fixed"):
        assert "oscillation" not in symptoms(case), case


# ------------------------------------------------------------------ chance of an unknown task

def test_validation_at_half_beside_training_near_one_presumes_two_classes():
    # lipnet-2: val_accuracy 0.495, 0.161, 0.496, 0.469, 0.500 while accuracy 0.89 -> 0.98;
    # nothing in the log names the classes
    stuck = symptoms("gh-deepconvolution-lipnet-2")["val_stuck_train_improves"]
    assert stuck.params["median"] == 0.4951 and stuck.params["chance"] == 0.5
    assert "two-class task" in stuck.describe("en") and "二分类" in stuck.describe("zh_CN")
    assert "overfitting" not in symptoms("gh-deepconvolution-lipnet-2")  # the specific symptom wins


def test_validation_well_above_half_is_not_presumed_at_chance():
    # acgowda hw3 model1: validation median 0.576 beside training 0.94 is overfitting
    found = symptoms("page-acgowda-github-io-hw3-model1")
    assert "val_stuck_train_improves" not in found and "overfitting" in found


def test_an_evaluation_of_exactly_one_half_is_chance():
    # keras-12317: val_acc 1.0 in the last epoch, then "test accuracy: 0.5" on 5000 samples
    stuck = symptoms("gh-keras-team-keras-12317")["stuck_chance_accuracy"]
    assert stuck.params["value"] == 0.5 and "exactly 1/2" in stuck.describe("en")
    assert stuck.source is not None and stuck.source.line > 0


def test_an_evaluation_that_is_no_simple_fraction_is_not_chance():
    for case in ("kerasio-mixup", "kerasio-mnist-convnet"):  # test accuracy 0.868, 0.9922
        assert "stuck_chance_accuracy" not in symptoms(case), case


def test_the_evaluate_only_log_of_issue_13_is_not_healthy():
    # the script's own prints around a Keras evaluate bar; "Test accuracy: 0.5" is the story
    from app.io.load import load_text

    text = "(60000, 28, 28)\n10000/10000 [==============================] - 1s 60us/step\n" \
           "Test score: 7.6246\nTest accuracy: 0.5\n"
    (run,) = load_text(text, "post.txt").runs
    assert "stuck_chance_accuracy" in {s.id for s in detect_symptoms(Context(run=run))}


# ------------------------------------------------------------------ overfitting, short and long

def test_validation_loss_rising_every_epoch_of_a_short_run_is_overfitting():
    # keras.io text classification: val_loss 0.331, 0.350, 0.379 while loss 0.61 -> 0.14
    overfitting = symptoms("kerasio-text-classification-from-scratch")["overfitting"]
    assert (overfitting.params["best_value"], overfitting.params["last_value"]) == (0.3313, 0.3789)


def test_a_small_late_rise_of_a_healthy_run_is_no_overfitting():
    # acgowda hw3 model2 fixed: the last epochs rise 7.7 %
    assert "overfitting" not in symptoms("page-acgowda-github-io-hw3-model2-fixed")


def test_a_validation_loss_gap_beside_perfect_validation_accuracy_is_no_overfitting():
    # keras-12317: val_loss 0.30 is 7x the loss 0.04, but val_acc is 1.0 against acc 0.98
    assert "overfitting" not in symptoms("gh-keras-team-keras-12317")


def test_overfitting_is_reported_beside_an_evaluate_mismatch():
    # keras-10014: val_loss 3.32 vs loss 0.015, val_acc 0.69 vs acc 1.0; evaluate() 0.449
    found = symptoms("gh-keras-team-keras-10014")
    assert {"overfitting", "eval_mismatch"} <= set(found)


# ------------------------------------------------------------------ causes with the code

def test_negative_binary_crossentropy_with_the_code_names_the_label_encoding():
    # MNIST digits 0-9 fed to one sigmoid unit with binary crossentropy: the loss prints -55.03
    case = CASES / "page-datascience-stackexchange-com-38604"
    loaded = load_path(case / "log.txt")
    loaded.extend(load_code_path(case / "train.py"))
    (item,) = diagnose_all(loaded.runs, loaded.models)
    top = item.diagnosis.reported[0]
    assert top.cause == "label_loss_mismatch"
    assert any(e.code == "negative_loss" and e.kind == "static" for e in top.evidence)


def _diagnosis_with_code(case: str):
    folder = CASES / case
    loaded = load_path(folder / "log.txt")
    loaded.extend(load_code_path(folder / "train.py"))
    (item,) = diagnose_all(loaded.runs, loaded.models)
    return item.diagnosis


def test_measured_overfitting_without_early_stopping_in_the_code_is_reported():
    # keras.io GloVe example: val_loss turns up from epoch 10 of 20 beside Dropout(0.5); the
    # fit() call passes no callbacks
    diagnosis = _diagnosis_with_code("kerasio-pretrained-word-embeddings")
    top = diagnosis.reported[0]
    assert top.cause == "overfitting_small_data"
    codes = {e.code: e.weight for e in top.evidence}
    assert codes["no_early_stopping"] > 0 and -0.3 < codes["regularized"] < 0
    assert "still overfits" in next(e for e in top.evidence if e.code == "regularized").describe("en")


def test_early_stopping_in_the_code_counts_as_regularization():
    # keras.io 3D image classification passes EarlyStopping(monitor="val_acc", patience=15)
    from app.rules.causes.overfitting_small_data import code_callbacks, regularizers

    folder = CASES / "kerasio-3d-image-classification"
    loaded = load_path(folder / "log.txt")
    loaded.extend(load_code_path(folder / "train.py"))
    (item,) = diagnose_all(loaded.runs, loaded.models)
    ctx = Context(run=loaded.runs[0], model=item.case.model)
    assert "EarlyStopping" in code_callbacks(ctx) and "EarlyStopping" in regularizers(ctx)


# ------------------------------------------------------------------ divergence

def test_a_loss_that_rises_every_epoch_from_the_start_diverges_and_is_not_healthy():
    # fixeme: MSE 451 -> 1.8e9 in 13 epochs (x3.5 each); Cross Validated 594738: x140 per step
    for case, factor in (("page-fixeme-com-why-is-my-loss-function-increasing-with-each-epoch", "4.07e+06"),
                         ("page-stats-stackexchange-com-594738", "2.22e+19")):
        found = symptoms(case)
        assert "healthy" not in found, case
        diverges = found["loss_diverges"]
        assert diverges.params["rising_pct"] == 100 and diverges.params["factor"] == factor
        assert "training diverges" in diverges.describe("en") and "训练发散" in diverges.describe("zh_CN")


def test_spikes_and_a_noisy_rise_are_no_divergence():
    # each ends twice its minimum with the minimum early, but rises in half the steps at most
    for case in ("gh-keras-team-keras-7603", "gh-lc222-char-cnn-text-classification-tensorflow-3",
                 "gh-wy1iu-sphereface-103", "gh-keras-team-keras-8680", "kerasio-pretrained-word-embeddings"):
        assert "loss_diverges" not in symptoms(case), case
