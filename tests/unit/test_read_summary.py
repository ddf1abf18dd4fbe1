"""What was read from each input (issue 13, point 5): the facts ``traindoc inspect`` and the
Open files panel show, on the seed posts and on corpus logs printed by real runs."""

import json
from pathlib import Path

from app.cli import main
from app.core.read_summary import facts_text, model_facts, run_facts
from app.io.load import load_code_path, load_paths

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
CASES = ROOT / "bench" / "corpus" / "cases"


def _facts(path: Path) -> dict:
    (run,) = load_paths([str(path)]).runs
    return {fact.kind: fact for fact in run_facts(run)}


def test_a_post_with_log_code_and_prose_says_each_part():
    facts = _facts(SEEDS / "seed002.txt")
    assert facts["epochs"].count == 10
    assert facts["epochs"].names == ("accuracy", "loss", "val_accuracy", "val_loss")
    assert facts["evaluations"].count == 1
    assert facts["statements"].count == 2 and "stuck_chance_accuracy" in facts["statements"].names
    assert facts["layers"].count == 25 and "Conv1D" in facts["layers"].names
    assert "loss=binary_crossentropy" in facts["compile"].names
    assert "learning_rate=0.01" in facts["compile"].names
    assert "shuffle=False" in facts["fit"].names
    assert facts["skipped_lines"].count > 0  # the post's prose and code are not metrics


def test_a_post_without_a_log_says_its_sentences_and_code():
    facts = _facts(SEEDS / "seed000.txt")
    assert "epochs" not in facts and "steps" not in facts
    assert facts["statements"].names == ("stuck_chance_accuracy", "loss")
    assert facts["compile"].names == ("loss=mean_squared_error",)  # taken from the prose


def test_a_keras_log_skips_only_the_tensorflow_messages_and_reads_no_sentence():
    log = ROOT / "resources" / "samples" / "demo" / "training_log.txt"
    facts = _facts(log)
    assert facts["epochs"].count == 10
    tf_messages = [line for line in log.read_text(encoding="utf-8").splitlines()
                   if line.startswith(("I0000", "E0000", "W0000", "WARNING"))]
    assert facts["skipped_lines"].count >= len(tf_messages) > 0
    # "Epoch 6: val_loss did not improve from 0.60263" is a callback message, not a sentence.
    assert "statements" not in facts


def test_custom_loop_prints_count_the_lines_they_skip():
    # A real Caffe solver log with the solver's own setup lines around the iterations.
    facts = _facts(CASES / "gh-bvlc-caffe-1105" / "log.txt")
    assert facts["steps"].count == 4 and "loss" in facts["steps"].names
    assert facts["skipped_lines"].count == 9


def test_code_alone_says_layers_compile_and_fit():
    case = next(p for p in sorted(CASES.iterdir()) if (p / "train.py").exists())
    loaded = load_code_path(case / "train.py")
    model = loaded.models[0] if loaded.models else loaded.runs[0].model
    kinds = {fact.kind: fact for fact in model_facts(model)}
    assert kinds["layers"].count >= 2
    assert any(name.startswith("loss=") for name in kinds["compile"].names)
    assert any(name.startswith("epochs_planned=") for name in kinds["fit"].names)


def test_inspect_text_shows_what_was_read_and_the_sentences(capsys):
    assert main(["inspect", str(SEEDS / "seed000.txt")]) == 0
    out = capsys.readouterr().out
    assert "read: 2 sentences used as evidence" in out
    assert "said at line 3:" in out and "symptom stuck_chance_accuracy = 0.5" in out
    assert "model built by the code quoted in the text (never run):" in out
    assert "epochs: 0" not in out  # a post without a log has no epoch counter to show


def test_inspect_json_has_the_read_facts_statements_and_skipped_lines(capsys):
    assert main(["inspect", str(SEEDS / "seed002.txt"), "--format", "json"]) == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    kinds = {fact["kind"]: fact for fact in run["read"]}
    assert kinds["epochs"]["count"] == 10
    assert run["skipped_lines"] == kinds["skipped_lines"]["count"] > 0
    assert {s["id"] for s in run["statements"]} == {"stuck_chance_accuracy", "loss"}


def test_facts_text_in_english_counts_in_the_right_form():
    facts = _facts(SEEDS / "seed004.txt")
    text = facts_text(list(facts.values()))
    assert "5 epochs of accuracy" in text and "1 sentence used as evidence" in text
