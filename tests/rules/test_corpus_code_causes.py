"""Cause evidence that the training code and the log decide together, on the public runs of the
corpus (``bench/corpus/cases``: logs kept verbatim with their URL; ``train.py`` our own script
of the posted model and settings, read without running it)."""

from pathlib import Path

from app.io.load import load_code_path, load_path
from app.patches import Patch, load_document, plan
from app.rules.engine import diagnose_all

CASES = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "cases"


def _diagnosis(case: str):
    loaded = load_path(CASES / case / "log.txt")
    loaded.extend(load_code_path(CASES / case / "train.py"))
    (item,) = diagnose_all(loaded.runs, loaded.models)
    return item.diagnosis


def _finding(diagnosis, cause: str):
    return next(f for f in diagnosis.findings if f.cause == cause)


def test_a_dropout_after_the_softmax_is_an_output_that_does_not_fit_the_loss():
    # cats vs dogs: Dense(30, softmax) then Dropout(0.2); training loss ~3 at accuracy 0.5
    diagnosis = _diagnosis("page-k-song14-github-io-hw3-model2")
    found = _finding(diagnosis, "final_activation_mismatch")
    assert found in diagnosis.reported
    evidence = next(e for e in found.evidence if e.code == "noise_after_output")
    assert evidence.params["layer"] == "dropout" and "no probabilities" in evidence.describe("en")
    assert not any(e.code == "activation_fits_loss" for e in found.evidence)
    (fix,) = found.fixes
    assert fix.id == "remove_noise_after_output" and fix.applicability == "safe"


def test_the_fix_removes_the_dropout_after_the_output():
    # the same model saved by real Keras (model.to_json()): the patch finds the Dropout itself
    result = plan(load_document(CASES / "page-k-song14-github-io-hw3-model2" / "model.json"),
                  [Patch("remove_noise_after_output")])
    assert [patch.id for patch in result.applied] == ["remove_noise_after_output"] and not result.refused
    classes = [layer["class_name"] for layer in result.document.config["config"]["layers"]]
    assert classes[-1] == "Dense" and "Dropout" not in classes


def test_dropout_before_the_output_is_no_mismatch():
    # keras.io gradient centralization: Dropout(0.5) -> Dense(512) -> Dense(1, sigmoid)
    for finding in _diagnosis("kerasio-gradient-centralization").findings:
        assert not any(e.code == "noise_after_output" for e in finding.evidence)


def test_an_application_read_from_code_counts_its_batchnorm_layers():
    # ResNet50(weights=None) trained on 3 images: predict() disagrees with training accuracy 1.0
    diagnosis = _diagnosis("gh-keras-team-keras-8411")
    top = diagnosis.reported[0]
    assert top.cause == "batchnorm_train_inference_mismatch"
    present = next(e for e in top.evidence if e.code == "batchnorm_present")
    assert present.params["count"] == 53 and "`resnet50`" in present.params["layers"]
    assert not any(e.code == "no_batchnorm" for f in diagnosis.findings for e in f.evidence)


def test_listed_batchnorm_layers_count_one_each_and_vgg_applications_hold_none():
    from app.io.code.keras_names import APPLICATION_BATCHNORM

    assert APPLICATION_BATCHNORM["VGG16"] == APPLICATION_BATCHNORM["VGG19"] == 0
    model = load_code_path(CASES / "gh-geifmany-cifar-vgg-7" / "train.py").models[0]
    from app.rules.causes.batchnorm_train_inference_mismatch import batchnorm_count, batchnorm_layers

    assert batchnorm_count(batchnorm_layers(model)) == 14  # its own VGG-style stack lists its BN layers


def test_a_crossentropy_near_zero_beside_zero_accuracy_names_the_label_encoding():
    # tensor2tensor 1264: float targets under sparse_categorical_crossentropy, loss 0.0158, accuracy 0
    found = _finding(_diagnosis("gh-tensorflow-tensor2tensor-1264"), "label_loss_mismatch")
    evidence = next(e for e in found.evidence if e.code == "accuracy_below_loss_bound")
    assert evidence.params["bound"] == 0.977 and evidence.params["accuracy"] == 0
    assert "do not see the same labels" in evidence.describe("en")


def test_a_diverging_loss_points_at_the_unscaled_inputs():
    # fixeme: Dense(1) regression on x = 1..20 with SGD(0.01), the loss x3.5 per epoch
    diagnosis = _diagnosis("page-fixeme-com-why-is-my-loss-function-increasing-with-each-epoch")
    assert [s.id for s in diagnosis.symptoms] == ["loss_diverges"]
    assert "unnormalized_inputs" in [f.cause for f in diagnosis.reported[:3]]
