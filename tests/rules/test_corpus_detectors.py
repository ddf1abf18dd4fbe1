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
